"""The e-commerce warehouse book: a synthetic shop, its PostgreSQL
warehouse and the book that analyses it.

The rooms follow the data, and imports point one way, from an earlier
stage to a later one (``tests/test_layout.py`` fails on an arrow the other
way):

- the ground floor, which every room may import and which imports no
  room: ``errors`` (the one exception base: the command line reports any
  of its subclasses in one line) and ``escape`` (outside text escaped for
  the place it lands: a page, a table, a chart, a CSV, an error line);
- at the top: ``cli`` (``python -m datagen``), ``params`` (the build
  parameters, validated before anything is touched), ``server`` (which
  PostgreSQL, connecting to it), ``cluster`` (a Citus cluster on this
  machine, ``python -m datagen cluster``), ``bench`` (``make bench``);
- ``generate``: the shop drawn with numpy and Arrow; never a database;
- ``ingest``: beside it, a shop's own export read as its mapping says;
  never a database either;
- ``warehouse``: everything that writes to PostgreSQL, reading the plan
  of ``generate`` or the lines of ``ingest``;
- ``publish``: ``make book``, from the notebooks to the site;
- ``chapters``: what the chapter notebooks import; needs only ``params``
  and ``server`` (a chapter reads the warehouse with its own queries), and
  ``models``;
- ``models``: the statistical models (numpy, scipy), such as the BG/NBD
  and Gamma-Gamma lifetime value; never a database: ``warehouse`` writes
  what they fit, ``chapters`` show it.

``generate`` (or ``ingest``) ``-> warehouse -> publish``; ``chapters``
stands beside them.
"""

__version__ = "0.2.0"
