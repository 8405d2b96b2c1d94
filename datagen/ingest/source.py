"""Reading a shop's export as mapped: blocks of typed order lines.

Owns ``blocks``, the one way to read a file of an export: the lines file
(the one on the command line) or a file joined to it (``orders``,
``products``, ``customers``), in blocks of about ``BLOCK_LINES`` data
lines so that memory stays flat whatever its size. It checks what the
file is and reads its header first (``sniff``), then hands each block of
the reader that fits the file (``csv_read``: delimited text with pyarrow;
``blank_read``: columns apart by runs of blanks; ``parquet_read``: by
row groups) to ``values.mapped``, which makes it the warehouse's line
fields (``LINE_COLUMNS``) with its ``line_no`` (1 = the first data line;
a line is a record: a quoted line break does not start a new one, blank
lines are not counted). A file that cannot be read as mapped raises
``SourceError`` in one line naming the file, the line and the column.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from .blank_read import blank_tables
from .csv_read import csv_tables
from .parquet_read import parquet_tables
from .reading import BLOCK_LINES, SourceError, where
from .sniff import column_names, header, sniff
from .spec import Mapping, Part
from .values import LINE_COLUMNS, mapped

__all__ = ["BLOCK_LINES", "LINE_COLUMNS", "SourceError", "blocks",
           "file_digest", "part_path"]


def part_path(source: Path, part: Part) -> Path:
    """Where a part's file is, for the lines file ``source``."""
    return part.where(Path(source))


def blocks(path: Path, mapping: Mapping,
           part: Part | None = None) -> Iterator[pa.Table]:
    """The mapped rows of ``path`` (read as ``part``: the lines file by
    default), a block at a time."""
    part = part or mapping.lines
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{where(path)}: no such file (or not a file)"
                          + ("" if part.name == "lines" else
                             f" (the {part.name} file the mapping names)"))
    sniff(path, part)
    if part.format == "parquet":
        tables = parquet_tables(path, part)
    else:
        names, header_lines, first = header(path, part)
        wanted = part.source_columns()
        if part.blanks:
            column_names(path, names, wanted, part, first)
            tables = blank_tables(path, part, names, header_lines)
        else:
            tables = csv_tables(path, part, names, header_lines,
                                column_names(path, names, wanted, part,
                                             first))
    first_line = 1
    for table in tables:
        yield mapped(table, part, mapping, first_line, path)
        first_line += table.num_rows
    if first_line == 1:
        raise SourceError(f"{where(path)}: no data lines" + (
            " after the header" if part.header and part.format == "csv"
            else ""))


def file_digest(path: Path) -> str:
    """sha256 of the file as stored (compressed or not)."""
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
