"""The fact tables' load: every block in, in order; any failure stops it
whole, raised, with nothing left half-loaded."""

from __future__ import annotations

import threading

import psycopg
import pytest

from datagen import facts, load
from datagen.bench import _context
from datagen.build import tune_session
from datagen.lanes import Lanes

SCHEMA = "facts_test"
SCALE = 0.2


@pytest.fixture
def schema(conn):
    load.drop_schema(conn, SCHEMA)
    load.create_schema(conn, SCHEMA)
    load.run_sql(conn, SCHEMA, "001_tables.sql")
    yield SCHEMA
    load.drop_schema(conn, SCHEMA)


@pytest.fixture(scope="module")
def basket():
    return _context(SCALE)


def counts(conn):
    return [conn.execute(f'select count(*) from "{SCHEMA}".{table}'
                         ).fetchone()[0] for table in facts.FACT_TABLES]


def no_generator_left():
    return not any(t.name == "generate" and t.is_alive()
                   for t in threading.enumerate())


def test_every_block_is_loaded_in_order(conn, schema, pg_url, basket):
    seconds = {}
    with Lanes(pg_url, setup=tune_session) as lanes:
        rows = facts.load_facts(conn, schema, basket, lanes, 997,
                                seconds=seconds)
    assert counts(conn) == [rows["fact_order"], rows["fact_order_item"]]
    assert rows["fact_order"] == len(basket.orders)
    # stored in order_id order: the physical order is the key's order
    ids = [r[0] for r in conn.execute(
        f'select order_id from "{SCHEMA}".fact_order_item')]
    assert ids == sorted(ids)
    assert seconds["generate orders and lines"] > 0
    assert seconds["copy orders and lines"] > 0


def test_a_failing_copy_stops_everything_and_loads_nothing(conn, schema,
                                                          pg_url, basket):
    conn.execute(f'alter table "{SCHEMA}".fact_order_item '
                 "add constraint few check (quantity < 3)")
    with Lanes(pg_url) as lanes, pytest.raises(psycopg.errors.CheckViolation):
        facts.load_facts(conn, schema, basket, lanes, 997)
    assert counts(conn) == [0, 0]
    assert no_generator_left()


def test_a_failing_generator_stops_everything_and_loads_nothing(
        conn, schema, pg_url, basket):
    conn.execute(f'alter table "{SCHEMA}".fact_order_item '
                 "alter column quantity type real")  # no binary encoder
    with Lanes(pg_url) as lanes, pytest.raises(TypeError, match="quantity"):
        facts.load_facts(conn, schema, basket, lanes, 997)
    assert counts(conn) == [0, 0]
    assert no_generator_left()
