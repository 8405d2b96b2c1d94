"""The keys step: keys, foreign keys and indexes after the load, and the
tables' statistics.

Owns the files ``sql/010`` to ``sql/016`` and what runs beside what. Each
table is analyzed first (its statistics do not depend on its keys, and an
ANALYZE would wait for the locks of the keys), then the key files run side
by side where they can: a file needs every earlier file that touches a
table it touches, altering or referencing it (a foreign key needs the key it
points to, and two statements on one table would only wait for each other's
locks), and the statistics of every table it touches. Which tables a file
touches is read from its SQL (``sql_files.touches``).
"""

from __future__ import annotations

import functools

import psycopg
from psycopg import sql

from . import schemas, sql_files
from .parallel import SessionPool

KEY_FILES = (
    "010_keys_dimensions.sql",
    "011_keys_fact_order.sql",
    "012_keys_fact_order_item.sql",
    "013_foreign_keys_fact_order.sql",
    "014_foreign_keys_fact_order_item.sql",
    "015_validate_fact_order.sql",
    "016_validate_fact_order_item.sql",
)
#: the tables whose autovacuum the build turns off from their load to its
#: last step, when it vacuums them once and turns it back on: just loaded,
#: they would be vacuumed and analyzed while they are indexed and read, on
#: the same cores, and the vacuum cancelled at each lock of the keys (the
#: other tables are a few hundred rows)
AUTOVACUUM_PAUSED = ("dim_customer", "fact_order", "fact_order_item")


def pause_autovacuum(conn: psycopg.Connection, schema: str) -> None:
    for table in AUTOVACUUM_PAUSED:
        conn.execute(sql.SQL("alter table {} set (autovacuum_enabled = false)"
                             ).format(sql.Identifier(schema, table)))


def resume_autovacuum(conn: psycopg.Connection, schema: str) -> None:
    for table in AUTOVACUUM_PAUSED:
        conn.execute(sql.SQL("alter table {} reset (autovacuum_enabled)"
                             ).format(sql.Identifier(schema, table)))


def foreign_keys() -> list[sql_files.ForeignKey]:
    """Every single-column foreign key the key files add."""
    return sql_files.foreign_keys(KEY_FILES)


def tasks(schema: str, tables: tuple[str, ...],
          files: tuple[str, ...] = KEY_FILES) -> dict:
    """The step as tasks for ``SessionPool.run``: analyze each of ``tables``,
    then the key ``files`` (a distributed build's: ``distribute.KEY_FILES``)."""
    graph = {f"analyze {table}": (functools.partial(
        schemas.analyze, schema=schema, table=table), ()) for table in tables}
    touched_by: dict[str, list[str]] = {}
    for name in files:
        alters, references = sql_files.touches(name)
        needs = {f"analyze {t}" for t in alters | references if t in tables}
        needs |= {earlier for t in alters | references
                  for earlier in touched_by.get(t, ())}
        graph[name] = (functools.partial(sql_files.run_sql, schema=schema,
                                         name=name), tuple(sorted(needs)))
        for table in alters | references:
            touched_by.setdefault(table, []).append(name)
    return graph


def add_keys(conn: psycopg.Connection, schema: str, tables: tuple[str, ...],
             sessions: SessionPool | None = None,
             files: tuple[str, ...] = KEY_FILES) -> None:
    """Analyze ``tables`` and add every key of ``files``, side by side on
    ``sessions`` if given (else one after another on ``conn``)."""
    (sessions or SessionPool.inline(conn)).run(tasks(schema, tables, files))
