"""Schemas of the warehouse: create, drop, swap in, lock, maintain.

Owns the statements that act on a whole schema or relation: a build writes
into ``<schema>__new`` and ``swap_in`` replaces the live schema in one
transaction; an advisory lock per name of a warehouse's family (the
warehouse, the schemas beside it and their staging copies:
``params.schema_family``) keeps two builds or refreshes of it apart; a
staging schema is marked as one when it is made, so that the next build
of any schema can drop those a killed build left (``drop_stale``);
ANALYZE, VACUUM and a table's checksum. Identifiers are quoted with
``psycopg.sql.Identifier``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import psycopg
from psycopg import sql

from ..params import STAGING_SUFFIX, family_base, schema_family

#: the comment of a staging schema while a build writes it
STAGING_MARK = "datagen staging schema"


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
    """Create ``schema``; a staging one (``<name>__new``) marked as such, in
    the same transaction."""
    with conn.transaction():
        conn.execute(sql.SQL("create schema {}").format(
            sql.Identifier(schema)))
        if schema.endswith(STAGING_SUFFIX):
            conn.execute(sql.SQL("comment on schema {} is {}").format(
                sql.Identifier(schema),
                sql.Literal(f"{STAGING_MARK} (pid {os.getpid()})")))


def swap_in(conn: psycopg.Connection, pairs: list[tuple[str, str]],
            drop: list[str] = ()) -> None:
    """In one transaction, replace each live schema by its staging schema
    (its staging mark removed) and drop the schemas ``drop``."""
    with conn.transaction():
        for live, staging in pairs:
            drop_schema(conn, live)
            conn.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(staging), sql.Identifier(live)))
            conn.execute(sql.SQL("comment on schema {} is null").format(
                sql.Identifier(live)))
        for name in drop:
            drop_schema(conn, name)


def lock_key(schema: str) -> str:
    return f"datagen build {schema}"


def _family_keys(schema: str) -> list[str]:
    # every process takes them in one order: two never wait on each other
    return sorted(lock_key(name) for name in schema_family(schema))


def try_lock(conn: psycopg.Connection, schema: str) -> bool:
    """Session advisory locks on every name of the family of the warehouse
    ``schema`` (``params.schema_family``), all or none; False if one is
    held by another session."""
    taken = []
    for key in _family_keys(schema):
        if not conn.execute(
                "select pg_try_advisory_lock(hashtextextended(%s, 0))",
                [key]).fetchone()[0]:
            for held in taken:
                _unlock(conn, held)
            return False
        taken.append(key)
    return True


def lock(conn: psycopg.Connection, schema: str) -> None:
    """The family's locks, waiting for each."""
    for key in _family_keys(schema):
        conn.execute("select pg_advisory_lock(hashtextextended(%s, 0))",
                     [key])


def unlock(conn: psycopg.Connection, schema: str) -> None:
    for key in _family_keys(schema):
        _unlock(conn, key)


def _unlock(conn: psycopg.Connection, key: str) -> None:
    conn.execute("select pg_advisory_unlock(hashtextextended(%s, 0))", [key])


def staging_schemas(conn: psycopg.Connection) -> dict[str, list[str]]:
    """The staging schemas a build made (marked) and still in the
    database, by the warehouse whose build made them."""
    found: dict[str, list[str]] = {}
    for (name,) in conn.execute(
            "select nspname from pg_catalog.pg_namespace "
            "where right(nspname, %s) = %s "
            "and starts_with(obj_description(oid, 'pg_namespace'), %s) "
            "order by nspname",
            [len(STAGING_SUFFIX), STAGING_SUFFIX, STAGING_MARK]):
        base = family_base(name)
        if base is not None:
            found.setdefault(base, []).append(name)
    return found


def drop_stale(conn: psycopg.Connection, keep: str,
               echo: Callable[[str], None] = lambda line: None) -> list[str]:
    """Drop the staging schemas that killed builds left (of any warehouse
    but ``keep``, whose own build drops them): those whose family no build
    or refresh holds now (a running build's are never touched); returns
    their names."""
    dropped = []
    for base in staging_schemas(conn):
        if base == keep or not try_lock(conn, base):
            continue
        try:
            for name in staging_schemas(conn).get(base, []):  # still there
                drop_schema(conn, name)
                dropped.append(name)
        finally:
            unlock(conn, base)
    if dropped:
        echo(f"  dropped what killed builds left: {', '.join(dropped)}")
    return dropped


def table_checksum(conn: psycopg.Connection, schema: str, table: str,
                   leave_out: tuple[str, ...] = ()) -> str:
    """md5 of ``COPY (select every column order by them) TO STDOUT`` (a
    table's or a view's), the columns ``leave_out`` left out."""
    columns = [r[0] for r in conn.execute(
        "select attname from pg_catalog.pg_attribute "
        "where attrelid = %s::regclass and attnum > 0 and not attisdropped "
        "order by attnum", [sql.Identifier(schema, table).as_string(conn)])
        if r[0] not in leave_out]
    listed = sql.SQL(", ").join(map(sql.Identifier, columns))
    query = sql.SQL("copy (select {} from {}.{} order by {}) to stdout").format(
        listed, sql.Identifier(schema), sql.Identifier(table), listed)
    digest = hashlib.md5()
    with conn.cursor().copy(query) as copy:
        for data in copy:
            digest.update(data)
    return digest.hexdigest()
