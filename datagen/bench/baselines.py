"""The yardsticks outside the product, against which its figures are ratios.

Owns what no entry point of the product does, written with the drivers
alone, into a schema of its own (``SCHEMA``, dropped by ``drop``):

- raw COPY of rows already in memory (P1): the rows of a built warehouse's
  tables read back whole (``read_tables``, binary or CSV) and copied into
  empty tables of the same columns and checks, a session per table at
  once as the build copies its facts, binary and frozen or CSV;
- one INSERT per row, as tutorials load a table (P1): psycopg2's
  ``executemany`` on a sample of those rows;
- raw COPY of a source file's lines into a table of text columns (P5): no
  mapping, no judging, no star.
"""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

from psycopg import sql

from .. import server

SCHEMA = "bench_baseline"
#: bytes handed to one ``copy.write`` (a COPY stream may be cut anywhere)
WRITE_SIZE = 1 << 20


def drop(url: str) -> None:
    with server.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(
            sql.Identifier(SCHEMA)))


def read_tables(url: str, schema: str, tables, fmt: str) -> dict[str, bytes]:
    """Every row of each of ``tables`` in ``schema``, in the order stored,
    as one COPY stream (``fmt``: binary or csv) held in memory."""
    data = {}
    with server.connect(url) as conn:
        for table in tables:
            statement = sql.SQL("copy {}.{} to stdout (format {})").format(
                sql.Identifier(schema), sql.Identifier(table), sql.SQL(fmt))
            with conn.cursor().copy(statement) as copy:
                data[table] = b"".join(bytes(chunk) for chunk in copy)
    return data


def empty_tables(url: str, schema: str, tables) -> None:
    """``SCHEMA`` made again with an empty table like each of ``tables`` of
    ``schema``: its columns, defaults and checks (no keys or indexes, as
    the build's tables are when their rows are copied in)."""
    drop(url)
    with server.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create schema {}").format(
            sql.Identifier(SCHEMA)))
        for table in tables:
            conn.execute(sql.SQL(
                "create table {}.{} (like {}.{} including defaults "
                "including constraints)").format(
                    sql.Identifier(SCHEMA), sql.Identifier(table),
                    sql.Identifier(schema), sql.Identifier(table)))


def copy_tables(url: str, data: dict[str, bytes], fmt: str) -> float:
    """COPY each table's stream of ``data`` into its empty table of
    ``SCHEMA``, a session per table, all at once; binary in one
    transaction that empties the table first, so rows go in frozen (as the
    build copies its facts), CSV as it is. Returns the seconds from the
    first COPY's start to the last one's commit (the sessions are opened
    before)."""
    options = "format binary, freeze" if fmt == "binary" else "format csv"
    sessions = {table: server.connect(url) for table in data}
    failed: list[BaseException] = []

    def copy(table: str) -> None:
        conn = sessions[table]
        target = sql.SQL("{}.{}").format(sql.Identifier(SCHEMA),
                                         sql.Identifier(table))
        try:
            with conn.transaction():
                conn.execute(sql.SQL("truncate {}").format(target))
                statement = sql.SQL("copy {} from stdin ({})").format(
                    target, sql.SQL(options))
                view = memoryview(data[table])
                with conn.cursor().copy(statement) as stream:
                    for start in range(0, len(view), WRITE_SIZE):
                        stream.write(view[start:start + WRITE_SIZE])
        except BaseException as error:  # noqa: BLE001 - raised below
            failed.append(error)

    try:
        threads = [threading.Thread(target=copy, args=(table,))
                   for table in data]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        for conn in sessions.values():
            conn.close()
    if failed:
        raise failed[0]
    return seconds


def sample_rows(url: str, schema: str, table: str,
                n: int) -> tuple[list[str], list[tuple]]:
    """The column names and the first ``n`` rows of ``schema.table`` in key
    order (``fact_order_item``: by order and line)."""
    with server.connect(url) as conn:
        cursor = conn.execute(sql.SQL(
            "select * from {}.{} order by 1, 2 limit %s").format(
                sql.Identifier(schema), sql.Identifier(table)), [n])
        rows = cursor.fetchall()
        return [column.name for column in cursor.description], rows


def insert_per_row(url: str, table: str, columns: list[str],
                   rows: list[tuple]) -> float:
    """Seconds to load ``rows`` into the emptied ``SCHEMA.table`` with one
    INSERT per row through psycopg2's ``executemany``, as tutorials do."""
    import psycopg2
    import psycopg2.sql
    with server.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("truncate {}.{}").format(
            sql.Identifier(SCHEMA), sql.Identifier(table)))
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(psycopg2.sql.SQL("set search_path to {}").format(
                psycopg2.sql.Identifier(SCHEMA)))
            statement = psycopg2.sql.SQL(
                "insert into {} ({}) values ({})").format(
                    psycopg2.sql.Identifier(table),
                    psycopg2.sql.SQL(", ").join(
                        map(psycopg2.sql.Identifier, columns)),
                    psycopg2.sql.SQL(", ").join(
                        psycopg2.sql.Placeholder() * len(columns)))
            started = time.perf_counter()
            cursor.executemany(statement, rows)
            connection.commit()
            return time.perf_counter() - started
    finally:
        connection.close()


def copy_file_lines(url: str, source: Path, rounds: int
                    ) -> tuple[list[float], int]:
    """COPY the CSV ``source`` (maybe gzip) from memory into an unlogged
    table of one text column per header name, ``rounds`` times; returns
    each round's seconds and the lines copied."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as file:
        data = file.read()
    header = data.split(b"\n", 1)[0].decode("utf-8").strip().split(",")
    table = sql.SQL("{}.lines").format(sql.Identifier(SCHEMA))
    seconds, lines = [], 0
    drop(url)
    with server.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create schema {}").format(
            sql.Identifier(SCHEMA)))
        for _ in range(rounds):
            conn.execute(sql.SQL("drop table if exists {}").format(table))
            conn.execute(sql.SQL("create unlogged table {} ({})").format(
                table, sql.SQL(", ").join(
                    sql.SQL("{} text").format(sql.Identifier(name))
                    for name in header)))
            started = time.perf_counter()
            with conn.cursor().copy(sql.SQL(
                    "copy {} from stdin with (format csv, header)").format(
                        table)) as copy:
                copy.write(data)
            seconds.append(time.perf_counter() - started)
            lines = conn.execute(sql.SQL("select count(*) from {}").format(
                table)).fetchone()[0]
    drop(url)
    return seconds, lines
