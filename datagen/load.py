"""Writing to PostgreSQL: SQL files, COPY, and the atomic schema swap.

Owns every statement the build sends. Identifiers that come from parameters
are quoted with ``psycopg.sql.Identifier``; values are bound, never formatted
into SQL. Rows travel by ``COPY ... FROM STDIN``, never row inserts: the
dimensions as CSV, the fact tables in PostgreSQL's binary format
(``copyformat``), which the server reads without parsing text.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
from pyarrow import csv as pa_csv
from psycopg import sql

from .db import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "sql"
STAGING_SUFFIX = "__new"

#: money columns of each table, held in integer cents until written
MONEY = {
    "dim_product": ("unit_cost", "list_price"),
    "fact_order": ("items_subtotal", "discount_amount", "shipping_amount",
                   "tax_amount", "order_total"),
    "fact_order_item": ("unit_price", "unit_cost", "discount_amount",
                        "net_amount"),
}


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text()


def sql_code(name: str) -> str:
    """The SQL of file ``name`` without its ``--`` comments (to read which
    relations it names)."""
    return re.sub(r"--[^\n]*", "", sql_file(name))


def set_search_path(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("set search_path to {}").format(
        sql.Identifier(schema)))


def run_sql(conn: psycopg.Connection, schema: str, name: str) -> None:
    """Run one file of ``sql/`` with ``schema`` as the search path."""
    set_search_path(conn, schema)
    conn.execute(sql_file(name))


def csv_bytes(table: str, frame: pd.DataFrame | pa.Table) -> bytes:
    """The rows as CSV for COPY; money goes from integer cents to decimals.

    pyarrow's CSV writer formats about 8x faster than ``DataFrame.to_csv``.
    Money columns become Arrow ``decimal128(12, 2)`` whose unscaled value is
    the cents themselves: exact by construction, and faster to write than
    floats.
    """
    if isinstance(frame, pd.DataFrame):
        mixed = [c for c in frame if frame[c].dtype == object]  # dates, values
        if mixed:
            frame = frame.assign(**{c: frame[c].map(str) for c in mixed})
        frame = pa.Table.from_pandas(frame, preserve_index=False)
    for column in MONEY.get(table, ()):
        if column in frame.column_names:
            frame = frame.set_column(frame.column_names.index(column),
                                     column, cents_to_decimal(frame[column]))
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(frame, sink, pa_csv.WriteOptions(
        include_header=False, quoting_style="needed"))
    return sink.getvalue().to_pybytes()


def cents_to_decimal(cents) -> pa.Array:
    """Integer cents as ``decimal128(12, 2)`` (its unscaled value is the
    cents: two little-endian int64 words, low then sign)."""
    values = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(values), 2), dtype="<i8")
    words[:, 0] = values
    words[:, 1] = np.where(values < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(12, 2), len(values),
                                 [None, pa.py_buffer(words)])


def column_names(frame: pd.DataFrame | pa.Table) -> list[str]:
    return (frame.column_names if isinstance(frame, pa.Table)
            else list(frame.columns))


def copy_frame(conn: psycopg.Connection, schema: str, table: str,
               frame: pd.DataFrame) -> int:
    """COPY a frame into ``schema.table``; returns the rows written."""
    copy_csv(conn, schema, table, column_names(frame),
             csv_bytes(table, frame))
    return len(frame)


def _copy_statement(schema: str, table: str, columns: list[str],
                    options: str) -> sql.Composed:
    return sql.SQL("copy {}.{} ({}) from stdin ({})").format(
        sql.Identifier(schema), sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(options))


def copy_csv(conn: psycopg.Connection, schema: str, table: str,
             columns: list[str], data: bytes) -> None:
    """COPY CSV bytes (from ``csv_bytes``) into ``schema.table``."""
    with conn.cursor().copy(_copy_statement(schema, table, columns,
                                            "format csv")) as copy:
        copy.write(data)


def copy_frozen(conn: psycopg.Connection, schema: str, table: str,
                columns: list[str], blocks) -> None:
    """Empty ``schema.table`` and COPY the binary ``blocks`` (from
    ``copyformat.encode``) into it in one transaction, rows frozen.

    ``COPY ... (freeze)`` writes the rows as if vacuumed: allowed because
    the table was emptied in the same transaction (no other transaction can
    see it before the commit); nothing is visible until the commit.
    """
    statement = _copy_statement(schema, table, columns,
                                "format binary, freeze")
    with conn.transaction():
        conn.execute(sql.SQL("truncate {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)))
        for data in blocks:
            with conn.cursor().copy(statement) as copy:
                copy.write(data)


def analyze(conn: psycopg.Connection, schema: str, table: str) -> None:
    conn.execute(sql.SQL("analyze {}.{}").format(sql.Identifier(schema),
                                                 sql.Identifier(table)))


def vacuum(conn: psycopg.Connection, schema: str, relation: str) -> None:
    conn.execute(sql.SQL("vacuum {}.{}").format(sql.Identifier(schema),
                                                sql.Identifier(relation)))


def drop_schema(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(
        sql.Identifier(schema)))


def create_schema(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))


def swap_in(conn: psycopg.Connection, pairs: list[tuple[str, str]]) -> None:
    """In one transaction, replace each live schema by its staging schema."""
    with conn.transaction():
        for live, staging in pairs:
            drop_schema(conn, live)
            conn.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(staging), sql.Identifier(live)))


def lock_key(schema: str) -> str:
    return f"datagen build {schema}"


def try_lock(conn: psycopg.Connection, schema: str) -> bool:
    """Session advisory lock for building ``schema``; False if held."""
    return conn.execute("select pg_try_advisory_lock(hashtextextended(%s, 0))",
                        [lock_key(schema)]).fetchone()[0]


def lock(conn: psycopg.Connection, schema: str) -> None:
    conn.execute("select pg_advisory_lock(hashtextextended(%s, 0))",
                 [lock_key(schema)])


def table_checksum(conn: psycopg.Connection, schema: str, table: str) -> str:
    """md5 of ``COPY (select * from t order by every column) TO STDOUT``."""
    import hashlib
    columns = [r[0] for r in conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position",
        [schema, table])]
    query = sql.SQL("copy (select * from {}.{} order by {}) to stdout").format(
        sql.Identifier(schema), sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)))
    digest = hashlib.md5()
    with conn.cursor().copy(query) as copy:
        for data in copy:
            digest.update(data)
    return digest.hexdigest()
