"""PostgreSQL's binary COPY format, written a whole block at a time.

Owns turning a block of generated rows (an Arrow table: integers, money in
integer cents, timestamps, text) into the bytes of one
``COPY ... FROM STDIN (FORMAT binary)``, and copying them in frozen
(``copy_frozen``). The server reads binary values without parsing text
(``make bench`` P1 measures both against CSV).

The bytes are written by pgpq, a compiled Arrow-to-PostgreSQL encoder:
each column is first given the Arrow type whose encoding is the column's
PostgreSQL type (``_column``): integers of the column's width, money in
integer units of 10^-scale as a decimal of that scale (numeric), timestamps
in microseconds, dates as days. Values that do not fit the column are
refused by name before anything is written. Until 2026-12 this module laid
the rows out itself with numpy; pgpq took half the time (issue 26, P6).
"""

from __future__ import annotations

import numpy as np
import pgpq
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from .copy_text import copy_statement

#: the decimals' precision: any 64-bit integer of units fits
DECIMAL_DIGITS = 19
_INTEGERS = {"smallint": pa.int16(), "integer": pa.int32(),
             "bigint": pa.int64()}


def column_types(conn: psycopg.Connection, schema: str,
                 table: str) -> dict[str, str]:
    """Each column's type as ``format_type`` spells it (``numeric(12,2)``)."""
    return dict(conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) "
        "from pg_attribute a where a.attrelid = %s::regclass "
        "and a.attnum > 0 and not a.attisdropped order by a.attnum",
        [f'"{schema}"."{table}"']).fetchall())


def numeric_type(pg_type: str) -> tuple[int, int] | None:
    """The (precision, scale) of ``numeric(p,s)``, None for any other
    type."""
    if not pg_type.startswith("numeric("):
        return None
    precision, scale = pg_type[len("numeric("):].rstrip(")").split(",")
    return int(precision), int(scale)


def encode(table: pa.Table, types: dict[str, str]) -> bytes:
    """The rows of ``table`` as binary COPY data, signature and trailer
    included; ``types`` maps each column to its PostgreSQL type (as from
    ``column_types``). Numeric columns hold integers in units of 10^-scale;
    any column may hold nulls.
    """
    columns = pa.table([_column(name, table[name], types[name])
                        for name in table.column_names],
                       names=table.column_names)
    encoder = pgpq.ArrowToPostgresBinaryEncoder(columns.schema)
    parts = [encoder.write_header()]
    parts += [encoder.write_batch(batch) for batch in columns.to_batches()]
    parts.append(encoder.finish())
    return b"".join(parts)


def _column(name: str, column, pg_type: str) -> pa.Array:
    """``column`` as the Arrow type pgpq writes as ``pg_type``."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pg_type in _INTEGERS:
        info = np.iinfo(_INTEGERS[pg_type].to_pandas_dtype())
        if _beyond(column, info.min, info.max):
            raise OverflowError(f"binary COPY of column {name!r}: values "
                                f"out of range of a {info.bits}-bit integer")
        return column.cast(_INTEGERS[pg_type], safe=False)
    numeric = numeric_type(pg_type)
    if numeric is not None:
        return _numeric(name, column, *numeric)
    if pg_type == "timestamp without time zone":
        return column.cast(pa.timestamp("us"))
    if pg_type == "date":
        return column.cast(pa.date32())
    if pg_type == "text":
        return column.cast(pa.large_string())
    raise TypeError(f"binary COPY of column {name!r}: type {pg_type} is not "
                    "supported")


def _beyond(column: pa.Array, low: int, high: int) -> bool:
    """Whether a value of ``column`` (nulls aside) is below ``low`` or
    above ``high``."""
    least, most = pc.min_max(column).values()
    return least.is_valid and (least.as_py() < low or most.as_py() > high)


def _numeric(name: str, units: pa.Array, precision: int,
             scale: int) -> pa.Array:
    """Integers in units of 10^-``scale`` as decimals of that scale (the
    same unscaled integers: no arithmetic, no rounding)."""
    if not pa.types.is_integer(units.type):
        raise TypeError(f"binary COPY of column {name!r}: numeric values "
                        f"must be integers in units of 10^-{scale}, not "
                        f"{units.type}")
    most = 10 ** precision - 1
    if _beyond(units, -most, most):
        raise OverflowError(
            f"binary COPY of column {name!r}: a value of 10^"
            f"{precision - scale} or more does not fit numeric({precision},"
            f"{scale})")
    values = units.cast(pa.int64())
    low = values.fill_null(0).to_numpy()
    words = np.empty((len(low), 2), np.int64)  # little-endian 128 bits
    words[:, 0] = low
    words[:, 1] = low >> 63                    # the sign, extended
    # (a new bitmap: the array's own may start at an offset)
    validity = (pc.is_valid(values).buffers()[1] if values.null_count
                else None)
    return pa.Array.from_buffers(
        pa.decimal128(DECIMAL_DIGITS, scale), len(values),
        [validity, pa.py_buffer(words)], values.null_count)


def copy_frozen(conn: psycopg.Connection, schema: str, table: str,
                columns: list[str], blocks) -> None:
    """Empty ``schema.table`` and COPY the binary ``blocks`` (from
    ``encode``) into it in one transaction, rows frozen.

    ``COPY ... (freeze)`` writes the rows as if vacuumed: allowed because
    the table was emptied in the same transaction (no other transaction can
    see it before the commit); nothing is visible until the commit.
    """
    statement = copy_statement(schema, table, columns,
                                "format binary, freeze")
    with conn.transaction():
        conn.execute(sql.SQL("truncate {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)))
        for data in blocks:
            with conn.cursor().copy(statement) as copy:
                copy.write(data)
