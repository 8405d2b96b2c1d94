"""warehouse: everything that writes to PostgreSQL.

The second stage: ``build.build(params)`` loads what ``generate`` draws into
a fresh schema and swaps it in when checked.

- ``sql_files``: the files of ``sql/``, what each reads and alters;
- ``schemas``: create, drop, swap, lock, analyze, vacuum;
- ``copy_text``, ``copy_binary``: COPY as CSV (dimensions) and in binary,
  frozen (facts); ``fact_load``: the facts' draw-and-copy loop;
- ``parallel``: the task graph run on a few sessions;
- ``keys``, ``views``, ``quality``: the SQL steps after the load;
- ``build``: the steps in order.
"""
