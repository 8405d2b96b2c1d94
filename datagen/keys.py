"""The keys step: keys, foreign keys and indexes after the load, and the
tables' statistics.

Owns the files ``sql/010`` to ``sql/016`` and what runs beside what. Each
table is analyzed first (its statistics do not depend on its keys, and an
ANALYZE would wait for the locks of the keys), then the key files run side
by side where they can: a file needs every earlier file that touches a
table it touches, altering or referencing it (a foreign key needs the key it
points to, and two statements on one table would only wait for each other's
locks), and the statistics of every table it touches. Which tables a file
touches is read from its SQL.
"""

from __future__ import annotations

import functools
import re

import psycopg

from . import load
from .lanes import Lanes

KEY_FILES = (
    "010_keys_dimensions.sql",
    "011_keys_fact_order.sql",
    "012_keys_fact_order_item.sql",
    "013_foreign_keys_fact_order.sql",
    "014_foreign_keys_fact_order_item.sql",
    "015_validate_fact_order.sql",
    "016_validate_fact_order_item.sql",
)
_ALTERS = re.compile(r"\b(?:alter\s+table|create\s+index\s+on)\s+(\w+)")
_REFERENCES = re.compile(r"\breferences\s+(\w+)")


def touches(name: str) -> tuple[set[str], set[str]]:
    """(tables the file alters, tables it references), from its SQL."""
    code = load.sql_code(name)
    return set(_ALTERS.findall(code)), set(_REFERENCES.findall(code))


def tasks(schema: str, tables: tuple[str, ...]) -> dict:
    """The step as tasks for ``Lanes.run``: analyze each of ``tables``,
    then the key files."""
    graph = {f"analyze {table}": (functools.partial(
        load.analyze, schema=schema, table=table), ()) for table in tables}
    touched_by: dict[str, list[str]] = {}
    for name in KEY_FILES:
        alters, references = touches(name)
        needs = {f"analyze {t}" for t in alters | references if t in tables}
        needs |= {earlier for t in alters | references
                  for earlier in touched_by.get(t, ())}
        graph[name] = (functools.partial(load.run_sql, schema=schema,
                                         name=name), tuple(sorted(needs)))
        for table in alters | references:
            touched_by.setdefault(table, []).append(name)
    return graph


def add_keys(conn: psycopg.Connection, schema: str, tables: tuple[str, ...],
             lanes: Lanes | None = None) -> None:
    """Analyze ``tables`` and add every key, side by side on ``lanes`` if
    given (else one after another on ``conn``)."""
    (lanes or Lanes.inline(conn)).run(tasks(schema, tables))
