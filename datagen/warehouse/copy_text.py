"""Rows to PostgreSQL as CSV: the dimensions' way in.

Owns ``COPY ... FROM STDIN (FORMAT csv)`` and turning a frame into its CSV
bytes (pyarrow's CSV writer; money from integer cents to exact decimals),
and the COPY statement both COPY paths share. Identifiers are quoted with
``psycopg.sql.Identifier``.
"""

from __future__ import annotations

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql
from pyarrow import csv as pa_csv

from ..generate.money import MONEY, cents_to_decimal


def csv_bytes(table: str, frame: pd.DataFrame | pa.Table) -> bytes:
    """The rows as CSV for COPY; money goes from integer cents to decimals.

    pyarrow's CSV writer formats about 8x faster than ``DataFrame.to_csv``.
    Money columns become Arrow ``decimal128(12, 2)`` whose unscaled value is
    the cents themselves: exact by construction, and faster to write than
    floats.
    """
    if isinstance(frame, pd.DataFrame):
        mixed = [c for c in frame if frame[c].dtype == object]  # dates, values
        if mixed:  # as text, a missing value (None, NaT) as null
            frame = frame.assign(**{c: frame[c].map(
                lambda v: None if pd.isna(v) else str(v)) for c in mixed})
        frame = pa.Table.from_pandas(frame, preserve_index=False)
    for column in MONEY.get(table, ()):
        if column in frame.column_names:
            frame = frame.set_column(frame.column_names.index(column),
                                     column, cents_to_decimal(frame[column]))
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(frame, sink, pa_csv.WriteOptions(
        include_header=False, quoting_style="needed"))
    return sink.getvalue().to_pybytes()


def column_names(frame: pd.DataFrame | pa.Table) -> list[str]:
    return (frame.column_names if isinstance(frame, pa.Table)
            else list(frame.columns))


def copy_frame(conn: psycopg.Connection, schema: str, table: str,
               frame: pd.DataFrame) -> int:
    """COPY a frame into ``schema.table``; returns the rows written."""
    copy_csv(conn, schema, table, column_names(frame),
             csv_bytes(table, frame))
    return len(frame)


def copy_statement(schema: str, table: str, columns: list[str],
                    options: str) -> sql.Composed:
    return sql.SQL("copy {}.{} ({}) from stdin ({})").format(
        sql.Identifier(schema), sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(options))


def copy_csv(conn: psycopg.Connection, schema: str, table: str,
             columns: list[str], data: bytes) -> None:
    """COPY CSV bytes (from ``csv_bytes``) into ``schema.table``."""
    with conn.cursor().copy(copy_statement(schema, table, columns,
                                            "format csv")) as copy:
        copy.write(data)
