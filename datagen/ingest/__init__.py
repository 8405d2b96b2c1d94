"""ingest: a shop's own order lines, read as a mapping says.

The stage beside ``generate``: where ``generate`` draws a shop, ``ingest``
reads one from an export (CSV or Parquet, ``source``) as its mapping file
describes it (``mapping``; built-in ones in ``mappings/``). Never imports a
database driver; ``warehouse.import_build`` loads what it reads and applies
the rules that need the whole file (orders, duplicates, products) in SQL.
"""

from .mapping import Mapping, MappingError, load
from .source import SourceError, blocks

__all__ = ["Mapping", "MappingError", "SourceError", "blocks", "load"]
