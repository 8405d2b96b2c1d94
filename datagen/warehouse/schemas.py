"""Schemas of the warehouse: create, drop, swap in, lock, maintain.

Owns the statements that act on a whole schema or relation: a build writes
into ``<schema>__new`` and ``swap_in`` replaces the live schema in one
transaction; an advisory lock per schema keeps two builds of it apart;
ANALYZE, VACUUM and a table's checksum. Identifiers are quoted with
``psycopg.sql.Identifier``.
"""

from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql

STAGING_SUFFIX = "__new"


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


def swap_in(conn: psycopg.Connection, pairs: list[tuple[str, str]],
            drop: list[str] = ()) -> None:
    """In one transaction, replace each live schema by its staging schema
    and drop the schemas ``drop``."""
    with conn.transaction():
        for live, staging in pairs:
            drop_schema(conn, live)
            conn.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(staging), sql.Identifier(live)))
        for name in drop:
            drop_schema(conn, name)


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
    """md5 of ``COPY (select * from t order by every column) TO STDOUT``
    (a table's or a view's)."""
    columns = [r[0] for r in conn.execute(
        "select attname from pg_catalog.pg_attribute "
        "where attrelid = %s::regclass and attnum > 0 and not attisdropped "
        "order by attnum", [sql.Identifier(schema, table).as_string(conn)])]
    query = sql.SQL("copy (select * from {}.{} order by {}) to stdout").format(
        sql.Identifier(schema), sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)))
    digest = hashlib.md5()
    with conn.cursor().copy(query) as copy:
        for data in copy:
            digest.update(data)
    return digest.hexdigest()
