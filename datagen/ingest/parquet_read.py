"""Reading a Parquet file in blocks, by its row groups' batches.

Owns ``parquet_tables``: the columns the mapping reads of a Parquet file,
``BLOCK_LINES`` rows at a time, each column checked first to hold one
value per line (text, a number, a date, a time; not a list or a
struct), a damaged file named with the line after which it broke.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from ..escape import shown
from .reading import BLOCK_LINES, SourceError, reason, where
from .sniff import columns_seen
from .spec import Part


#: Arrow types a column the mapping reads may have: one value per line
def _plain(kind: pa.DataType) -> bool:
    types = pa.types
    if types.is_dictionary(kind):
        return _plain(kind.value_type)
    return (types.is_string(kind) or types.is_large_string(kind)
            or types.is_binary(kind) or types.is_large_binary(kind)
            or types.is_integer(kind) or types.is_floating(kind)
            or types.is_decimal(kind) or types.is_boolean(kind)
            or types.is_date(kind) or types.is_timestamp(kind)
            or types.is_null(kind)
            or getattr(types, "is_string_view", lambda _: False)(kind))


def parquet_tables(path: Path, part: Part) -> Iterator[pa.Table]:
    """The file's rows, a row group's batch at a time, as tables of the
    columns the part reads."""
    import pyarrow.parquet as pq
    at = where(path)
    try:
        parquet = pq.ParquetFile(str(path))
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError) as error:
        raise SourceError(f"{at}: not a readable Parquet file "
                          f"({reason(error)})") from None
    names = schema.names
    missing = [c for c in part.source_columns() if c not in names]
    if missing:
        raise SourceError(f"{at}: column {shown(missing[0], 40)} that "
                          f"the mapping names is not there ("
                          + columns_seen(names, missing[0], part, "").replace(
                              "the header has", "the file has") + ")")
    for name in part.source_columns():
        kind = schema.field(name).type
        if not _plain(kind):
            raise SourceError(
                f"{at}: column {shown(name, 40)} holds "
                f"{shown(kind, 40)} values, not one value per line (text, "
                "a number, a date or a time): the mapping cannot read it")
    first_line = 1
    batches = parquet.iter_batches(batch_size=BLOCK_LINES,
                                   columns=part.source_columns())
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as error:
            raise SourceError(
                f"{at}: a damaged Parquet file after line "
                f"{first_line - 1} ({reason(error)})") from None
        if batch is None:
            break
        table = pa.Table.from_batches([batch])
        yield table
        first_line += table.num_rows


