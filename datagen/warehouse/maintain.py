"""Keeping a view up to date: recomputed in full, or only where the data
changed (the incremental refresh).

Owns the two ways a view of ``sql/`` is brought up to date after its
tables changed (a plain view, computed as it is read, needs neither).
A materialized view is refreshed (``refresh materialized view``). A
maintained view is a table made by ``create table ... as`` in its file,
and its file says how it is maintained, in the manner of a dbt
incremental model:

- a header line ``-- incremental delete: <condition>`` names its rows that
  a refresh makes again (``order_id in (select order_id from
  refresh_orders)``);
- lines ``-- incremental: <sql>`` inside the query restrict it to them
  (they are comments in a full build).

So the one query of the file serves both: in full (``truncate``, then the
query into the table) and for the changed keys (those rows deleted, then
the query with its incremental lines into the table). A table whose
every row can move with any change, but which is kept a table (on a
Citus cluster a table can be copied to every node, a materialized view
cannot), says ``-- incremental full``: a refresh makes it again in full.

A table of counts and sums can instead be maintained by addition (a dbt
incremental model with a merge of deltas): its header names its key,
``-- incremental add: <key columns>``, and the rows that go when they fall
to nothing, ``-- incremental empty: <condition>``. Its incremental query
gives signed changes (the orders' rows of ``refresh_orders``, +1 for an
order counted now, -1 for one counted before the refresh); a refresh adds
them to the rows of the same key (every other column is summed), inserts
the new keys, and deletes the changed rows that became empty. The rows a
refresh touches are then those the changes touch, however many orders
each row sums. The quality checks
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
_ADD = re.compile(r"^-- incremental add: (.+)$", re.MULTILINE)
_EMPTY = re.compile(r"^-- incremental empty: (.+)$", re.MULTILINE)
_FULL = re.compile(r"^-- incremental full$", re.MULTILINE)
_LINE = re.compile(r"^(\s*)-- incremental: ", re.MULTILINE)
_CREATE = re.compile(
    r"^create (?:table|materialized view|view) (?:if not exists )?(\w+) "
    r"as\b", re.MULTILINE)
_VIEW = re.compile(r"^create view ", re.MULTILINE)
_NO_DATA = re.compile(r"\s+with no data\s*$")


def relation(name: str) -> str:
    """The relation the file ``name`` creates first."""
    return _CREATE.search(sql_files.sql_file(name)).group(1)


def is_stored(name: str) -> bool:
    """Whether the file's relation holds rows (a table or materialized
    view), else it is a plain view, computed as it is read."""
    return not _VIEW.search(sql_files.sql_file(name))


def is_maintained(name: str) -> bool:
    """Whether the file's relation is a maintained table (else a
    materialized view, refreshed in full)."""
    text = sql_files.sql_file(name)
    return bool(_DELETE.search(text) or _ADD.search(text)
                or _FULL.search(text))


def is_full(name: str) -> bool:
    """Whether a refresh makes the file's maintained table again in full
    (``-- incremental full``)."""
    return bool(_FULL.search(sql_files.sql_file(name)))


def as_insert(statement: str) -> str:
    """A ``create table ... as`` statement as an ``insert into`` its
    table."""
    return _NO_DATA.sub("", _CREATE.sub(r"insert into \1", statement,
                                        count=1))


def as_empty(statement: str) -> str:
    """A ``create table ... as`` statement ``with no data``."""
    return _NO_DATA.sub("", statement) + "\nwith no data"


def insert(name: str, incremental: bool = False) -> str:
    """The file's query as an ``insert into`` its table."""
    statement = as_insert(sql_files.statements(sql_files.sql_file(name))[0])
    return _LINE.sub(r"\1", statement) if incremental else statement


def create_empty(name: str) -> str:
    """The file's ``create table ... as`` its query ``with no data`` (a
    table to distribute before it is filled by ``insert``)."""
    return as_empty(sql_files.statements(sql_files.sql_file(name))[0])


def query(name: str, incremental: bool = False) -> str:
    """The file's query alone (for EXPLAIN): its select, no insert."""
    return re.sub(r"^insert into \w+", "", insert(name, incremental),
                  count=1, flags=re.MULTILINE).strip()


def recompute(conn: psycopg.Connection, schema: str, name: str) -> None:
    """The relation of ``name`` made again from its tables, in full."""
    table = sql.Identifier(schema, relation(name))
    if not is_stored(name):
        return
    if not is_maintained(name):
        conn.execute(sql.SQL("refresh materialized view {}").format(table))
        return
    # emptied, filled without its indexes, which are then made again from
    # the file (one sorted build each, not a row at a time: the monetary
    # ranks at scale 20 in 0.20 s instead of 0.30 s)
    sql_files.set_search_path(conn, schema)
    conn.execute(sql.SQL("truncate {}").format(table))
    for (index,) in conn.execute(
            "select indexname from pg_indexes where schemaname = %s "
            "and tablename = %s", [schema, relation(name)]).fetchall():
        conn.execute(sql.SQL("drop index {}").format(
            sql.Identifier(schema, index)))
    conn.execute(insert(name))
    for statement in sql_files.statements(sql_files.sql_file(name))[1:]:
        conn.execute(statement)


def update(conn: psycopg.Connection, schema: str, name: str) -> None:
    """The relation of ``name`` brought up to date where the refresh's key
    tables say the data changed (in full when it is not maintained)."""
    if not is_maintained(name) or is_full(name):
        recompute(conn, schema, name)
        return
    text = sql_files.sql_file(name)
    sql_files.set_search_path(conn, schema)
    if _ADD.search(text):
        _add(conn, schema, name, text)
        return
    condition = _DELETE.search(text).group(1)
    conn.execute(sql.SQL("delete from {} where {}").format(
        sql.Identifier(schema, relation(name)), sql.SQL(condition)))
    conn.execute(insert(name, incremental=True))


def _add(conn: psycopg.Connection, schema: str, name: str,
         text: str) -> None:
    """The signed changes of the incremental query added to the table of
    ``name`` by key, and its changed rows that became empty deleted."""
    table = sql.Identifier(schema, relation(name))
    key = [column.strip() for column in _ADD.search(text).group(1).split(",")]
    delta = sql.Identifier("maintain_delta")
    conn.execute(sql.SQL("create temporary table {} on commit drop as {}"
                         ).format(delta, sql.SQL(query(name, True))))
    columns = [column.name for column in conn.execute(
        sql.SQL("select * from {} limit 0").format(delta)).description]
    keys = sql.SQL(", ").join(map(sql.Identifier, key))
    # a key may come more than once (the pairs give one row per sign):
    # its changes are summed before they are added
    summed = [column for column in columns if column not in key]
    conn.execute(sql.SQL(
        "insert into {table} as target ({columns}) "
        "select {keys}, {totals} from {delta} group by {keys} "
        "on conflict ({keys}) do update set {sums}").format(
        table=table, delta=delta, keys=keys,
        columns=sql.SQL(", ").join(map(sql.Identifier, key + summed)),
        # (a sum of bigints is numeric: the insert casts it back to its
        # column's type)
        totals=sql.SQL(", ").join(
            sql.SQL("sum({})").format(sql.Identifier(column))
            for column in summed),
        sums=sql.SQL(", ").join(
            sql.SQL("{column} = target.{column} + excluded.{column}").format(
                column=sql.Identifier(column))
            for column in summed)))
    conn.execute(sql.SQL(
        "delete from {table} where ({empty}) and ({keys}) in "
        "(select {keys} from {delta})").format(
        table=table, delta=delta, keys=keys,
        empty=sql.SQL(_EMPTY.search(text).group(1))))
    conn.execute(sql.SQL("drop table {}").format(delta))


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
