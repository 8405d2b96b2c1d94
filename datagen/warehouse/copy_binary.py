"""PostgreSQL's binary COPY format, written a whole block at a time.

Owns turning a block of generated rows (an Arrow table: integers, money in
integer cents, timestamps, text) into the bytes of one
``COPY ... FROM STDIN (FORMAT binary)``, and copying them in frozen
(``copy_frozen``). The server reads binary values without parsing text, and
every column is encoded with a few numpy operations on the whole block
(``make bench`` P1 measures both against CSV).

The format (PostgreSQL docs, "COPY", binary format): a signature, then per
row a 16-bit field count and per field a 32-bit length and the value in
network byte order, then a 16-bit -1. A block is laid out as an
``(rows, width)`` byte matrix, one field after another; when a text column's
values differ in length, each is padded to the longest in the block and the
padding is dropped at the end with one boolean mask (rows keep their order).

Values, as the server's ``*_recv`` functions read them:

- smallint / integer / bigint: 2 / 4 / 8-byte two's complement;
- timestamp (without time zone): microseconds since 2000-01-01 00:00 (a
  null: length -1 and no bytes, the one nullable type here);
- date: days since 2000-01-01;
- text: the UTF-8 bytes;
- numeric(p, s), from integers in units of 10^-s (money: cents): 4 digits
  of base 10,000, weight 2, so the value is
  ``d0*10^8 + d1*10^4 + d2 + d3/10^4`` with ``|value| < 10^12`` (numeric(12,
  2) allows less than 10^10). The server strips leading and trailing zero
  digits before storing (``make_result``), so the stored numeric is exactly
  what ``numeric_in`` makes of the same decimal text.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from .copy_text import copy_statement

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)   # no flags, no extension
TRAILER = b"\xff\xff"
PG_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")
NUMERIC_POS, NUMERIC_NEG = 0x0000, 0x4000
#: the largest magnitude 4 base-10,000 digits of weight 2 hold
NUMERIC_LIMIT = 10 ** 12

_INTEGERS = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8"}


def column_types(conn: psycopg.Connection, schema: str,
                 table: str) -> dict[str, str]:
    """Each column's type as ``format_type`` spells it (``numeric(12,2)``)."""
    return dict(conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) "
        "from pg_attribute a where a.attrelid = %s::regclass "
        "and a.attnum > 0 and not a.attisdropped order by a.attnum",
        [f'"{schema}"."{table}"']).fetchall())


def numeric_scale(pg_type: str) -> int | None:
    """The scale of ``numeric(p,s)``, None for any other type."""
    if not pg_type.startswith("numeric("):
        return None
    return int(pg_type.rstrip(")").split(",")[1])


def encode(table: pa.Table, types: dict[str, str]) -> bytearray:
    """The rows of ``table`` as binary COPY data, signature and trailer
    included; ``types`` maps each column to its PostgreSQL type (as from
    ``column_types``). Numeric columns hold integers in units of 10^-scale.
    """
    n = table.num_rows
    fields = {name: _field(name, table[name], types[name])
              for name in table.column_names}
    layout = [("field_count", ">i2")]
    for name, field in fields.items():
        layout += [("length " + name, ">i4"), (name, field.dtype)]
    row = np.dtype(layout)
    out = bytearray(len(SIGNATURE) + n * row.itemsize + len(TRAILER))
    out[:len(SIGNATURE)] = SIGNATURE
    out[len(out) - len(TRAILER):] = TRAILER
    rows = np.frombuffer(out, row, n, len(SIGNATURE))

    # the bytes every row shares (field count, fixed lengths, numeric
    # headers) are copied in at once; then each column is written
    template = np.zeros((), row)
    template["field_count"] = len(fields)
    for name, field in fields.items():
        template["length " + name] = field.length
        if field.numeric is not None:
            template[name][:4] = (4, 2, NUMERIC_POS, field.numeric[3])
    rows[:] = template
    for name, field in fields.items():
        target = rows[name]
        if field.numeric is not None:
            whole, fraction, negative, _ = field.numeric
            if negative.any():
                target[:, 2] = np.where(negative, NUMERIC_NEG, NUMERIC_POS)
            if len(whole) and whole.max() >= 10 ** 8:
                target[:, 4] = whole // 10 ** 8
            if len(whole) and whole.max() >= 10 ** 4:
                target[:, 5] = whole // 10 ** 4 % 10 ** 4
            target[:, 6] = whole % 10 ** 4
            target[:, 7] = fraction
        else:
            target[...] = field.values
        if field.lengths is not None:
            rows["length " + name] = field.lengths
    text = [name for name, field in fields.items()
            if field.lengths is not None]
    if not text:
        return out
    # drop the padding after each text value (rows keep their order)
    keep = np.ones((n, row.itemsize), dtype=bool)
    for name in text:
        start, width = row.fields[name][1], fields[name].dtype[1][0]
        keep[:, start:start + width] = (np.arange(width) < np.maximum(
            fields[name].lengths, 0)[:, None])
    body = np.frombuffer(out, np.uint8, n * row.itemsize,
                         len(SIGNATURE)).reshape(n, row.itemsize)[keep]
    return bytearray(SIGNATURE) + body.tobytes() + TRAILER


@dataclasses.dataclass
class _Field:
    """One column, ready to be written into the rows."""
    dtype: object                  # numpy type of the value in a row
    values: np.ndarray | None = None
    length: int = 0                # byte length, when every row has it
    lengths: np.ndarray | None = None          # text: one per row
    numeric: tuple | None = None   # (whole, fraction digit, negative, scale)


def _field(name: str, column, pg_type: str) -> _Field:
    if pg_type in _INTEGERS:
        return _fixed(name, _integers(name, column), _INTEGERS[pg_type])
    scale = numeric_scale(pg_type)
    if scale is not None:
        return _numeric(name, _integers(name, column), scale)
    if pg_type == "timestamp without time zone":
        us = np.asarray(column.to_numpy(zero_copy_only=False),
                        "datetime64[us]")
        if column.null_count:
            return _nullable(column, (us - PG_EPOCH).astype(">i8"))
        return _fixed(name, (us - PG_EPOCH).astype(np.int64), ">i8")
    if pg_type == "date":
        days = np.asarray(column.to_numpy(zero_copy_only=False),
                          "datetime64[D]")
        return _fixed(name, (days - PG_EPOCH.astype("datetime64[D]")).astype(
            np.int64), ">i4")
    if pg_type == "text":
        return _text(name, column)
    raise TypeError(f"binary COPY of column {name!r}: type {pg_type} is not "
                    "supported")


def _nullable(column, values: np.ndarray) -> _Field:
    """A fixed-width column with nulls: each value's bytes, and length -1
    (no bytes) where it is null (dropped like a text value's padding)."""
    width = values.dtype.itemsize
    valid = np.asarray(pc.is_valid(column).to_numpy(zero_copy_only=False))
    raw = np.where(valid[:, None], values.view(np.uint8).reshape(-1, width), 0)
    return _Field(("u1", (width,)), raw.astype(np.uint8),
                  lengths=np.where(valid, width, -1).astype(np.int32))


def _no_nulls(name: str, column) -> None:
    if column.null_count:
        raise ValueError(f"binary COPY of column {name!r}: nulls are not "
                         "supported")


def _integers(name: str, column) -> np.ndarray:
    _no_nulls(name, column)
    return column.to_numpy()


def _fixed(name: str, values: np.ndarray, dtype: str) -> _Field:
    info = np.iinfo(dtype)
    if len(values) and (values.min() < info.min or values.max() > info.max):
        raise OverflowError(f"binary COPY of column {name!r}: values out of "
                            f"range of a {info.bits}-bit integer")
    return _Field(dtype, values, np.dtype(dtype).itemsize)


def _numeric(name: str, units: np.ndarray, scale: int) -> _Field:
    if not 0 <= scale <= 4:
        raise TypeError(f"binary COPY of column {name!r}: numeric scale "
                        f"{scale} is not supported (0 to 4)")
    magnitude = np.abs(units.astype(np.int64))
    if len(units) and magnitude.max() >= NUMERIC_LIMIT * 10 ** scale:
        raise OverflowError(f"binary COPY of column {name!r}: a value of "
                            "10^12 or more")
    whole, fraction = np.divmod(magnitude, 10 ** scale)
    return _Field((">u2", (8,)), length=16, numeric=(
        whole, fraction * 10 ** (4 - scale), units < 0, scale))


def _text(name: str, column) -> _Field:
    """Each value's UTF-8 bytes, left-aligned in a field as wide as the
    longest."""
    _no_nulls(name, column)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    column = pc.cast(column, pa.large_string())
    offsets = np.frombuffer(column.buffers()[1], np.int64)[
        column.offset:column.offset + len(column) + 1]
    data = np.frombuffer(column.buffers()[2], np.uint8)
    lengths = np.diff(offsets)
    width = int(lengths.max()) if len(lengths) else 0
    if len(lengths) and lengths.min() == width:   # one length: no padding
        return _Field(("u1", (width,)), data[offsets[0]:offsets[-1]].reshape(
            -1, width), width)
    padded = np.zeros((len(column), width), dtype=np.uint8)
    padded[np.arange(width) < lengths[:, None]] = data[offsets[0]:offsets[-1]]
    return _Field(("u1", (width,)), padded, lengths=lengths)


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
