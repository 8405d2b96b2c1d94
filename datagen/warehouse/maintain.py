"""Keeping a view up to date: recomputed in full, or only where the data
changed (the incremental refresh).

Owns the two ways a view of ``sql/`` is brought up to date after its
tables changed. A materialized view is refreshed (``refresh materialized
view``). A maintained view is a table made by ``create table ... as`` in
its file, and its file says how it is maintained, in the manner of a dbt
incremental model:

- a header line ``-- incremental delete: <condition>`` names its rows that
  a refresh makes again (``order_id in (select order_id from
  refresh_orders)``);
- lines ``-- incremental: <sql>`` inside the query restrict it to them
  (they are comments in a full build).

So the one query of the file serves both: in full (``truncate``, then the
query into the table) and for the changed keys (those rows deleted, then
the query with its incremental lines into the table). The quality checks
(``qc_`` views) carry incremental lines too: a refresh runs their queries
with them, over the rows it added or changed (``check_queries``). The keys are the
temporary tables the refresh fills (``refresh_orders``, ``refresh_days``,
``refresh_months``, ``refresh_customers``: README, "Time moves").
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from . import sql_files

_DELETE = re.compile(r"^-- incremental delete: (.+)$", re.MULTILINE)
_LINE = re.compile(r"^(\s*)-- incremental: ", re.MULTILINE)
_CREATE = re.compile(
    r"^create (?:table|materialized view) (?:if not exists )?(\w+) as\b",
    re.MULTILINE)
_NO_DATA = re.compile(r"\s+with no data\s*$")


def relation(name: str) -> str:
    """The relation the file ``name`` creates first."""
    return _CREATE.search(sql_files.sql_file(name)).group(1)


def is_maintained(name: str) -> bool:
    """Whether the file's relation is a maintained table (else a
    materialized view, refreshed in full)."""
    return bool(_DELETE.search(sql_files.sql_file(name)))


def _insert(name: str, incremental: bool) -> str:
    """The file's query as an ``insert into`` its table."""
    text = sql_files.sql_file(name)
    first = sql_files.statements(text)[0]
    insert = _CREATE.sub(r"insert into \1", first, count=1)
    insert = _NO_DATA.sub("", insert)
    return _LINE.sub(r"\1", insert) if incremental else insert


def query(name: str) -> str:
    """The file's query alone (for EXPLAIN): its select, no insert."""
    insert = _insert(name, incremental=False)
    return re.sub(r"^insert into \w+", "", insert, count=1,
                  flags=re.MULTILINE).strip()


def recompute(conn: psycopg.Connection, schema: str, name: str) -> None:
    """The relation of ``name`` made again from its tables, in full."""
    table = sql.Identifier(schema, relation(name))
    if not is_maintained(name):
        conn.execute(sql.SQL("refresh materialized view {}").format(table))
        return
    sql_files.set_search_path(conn, schema)
    conn.execute(sql.SQL("truncate {}").format(table))
    conn.execute(_insert(name, incremental=False))


def update(conn: psycopg.Connection, schema: str, name: str) -> None:
    """The relation of ``name`` brought up to date where the refresh's key
    tables say the data changed (in full when it is not maintained)."""
    if not is_maintained(name):
        recompute(conn, schema, name)
        return
    condition = _DELETE.search(sql_files.sql_file(name)).group(1)
    sql_files.set_search_path(conn, schema)
    conn.execute(sql.SQL("delete from {} where {}").format(
        sql.Identifier(schema, relation(name)), sql.SQL(condition)))
    conn.execute(_insert(name, incremental=True))


_CHECK = re.compile(r"^create view (qc_\w+) as\b", re.MULTILINE)


def check_queries(names: tuple[str, ...]) -> dict[str, str]:
    """The query of each check (``qc_`` view) of the files ``names`` that
    has incremental lines, with them: what a refresh runs instead of the
    view, reading only the rows it added or changed."""
    found = {}
    for name in names:
        for statement in sql_files.statements(sql_files.sql_file(name)):
            match = _CHECK.search(statement)
            if match and _LINE.search(statement):
                found[match.group(1)] = _LINE.sub(
                    r"\1", statement[match.end():]).strip()
    return found
