"""ingest: a shop's own order lines, read as a mapping says.

The stage beside ``generate``: where ``generate`` draws a shop, ``ingest``
reads one from an export as its mapping file describes it. The mapping:
``spec`` (what a checked mapping holds), ``schema`` (its shape and its
errors in words), ``mapping`` (reading and checking one; built-in ones in
``mappings/``), ``known`` (what its data knows, in words). Reading:
``source`` (``blocks``, the one entry), ``sniff`` (what a file is, its
header), ``csv_read``, ``blank_read`` and ``parquet_read`` (a file's rows
in blocks), ``diagnose`` (the line a reader could not read), ``values``
(a block as the warehouse's line fields), ``reading`` (their shared
error and limits). Never imports a database driver;
``warehouse.import_build`` loads what it reads and applies the rules that
need the whole file (joins, orders, duplicates, products) in SQL.
"""

from . import mapping
from .mapping import Mapping, MappingError, load
from .source import SourceError, blocks

__all__ = ["Mapping", "MappingError", "SourceError", "blocks", "load",
           "mapping"]
