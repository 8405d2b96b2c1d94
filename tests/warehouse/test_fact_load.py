"""The fact tables' load: every block in, in order; any failure stops it
whole, raised, with nothing left half-loaded."""

from __future__ import annotations

import threading

import psycopg
import pytest

from datagen import generate
from datagen.params import parse_params
from datagen.warehouse import fact_load, schemas, sql_files
from datagen.warehouse.build import tune_session
from datagen.warehouse.parallel import SessionPool

SCHEMA = "facts_test"
SCALE = 0.2


@pytest.fixture
def schema(conn):
    schemas.drop_schema(conn, SCHEMA)
    schemas.create_schema(conn, SCHEMA)
    sql_files.run_sql(conn, SCHEMA, "001_tables.sql")
    yield SCHEMA
    schemas.drop_schema(conn, SCHEMA)


@pytest.fixture(scope="module")
def plan():
    return generate.plan(parse_params(dict(scale=SCALE)))


def counts(conn):
    return [conn.execute(f'select count(*) from "{SCHEMA}".{table}'
                         ).fetchone()[0] for table in fact_load.FACT_TABLES]


def no_generator_left():
    return not any(t.name == "generate" and t.is_alive()
                   for t in threading.enumerate())


def test_every_block_is_loaded_in_order(conn, schema, pg_url, plan):
    seconds = {}
    with SessionPool(pg_url, setup=tune_session) as sessions:
        rows = fact_load.load_facts(conn, schema, plan, sessions, 997,
                                seconds=seconds)
    assert counts(conn) == [rows["fact_order"], rows["fact_order_item"]]
    assert rows["fact_order"] == plan.n_orders
    # stored in order_id order: the physical order is the key's order
    ids = [r[0] for r in conn.execute(
        f'select order_id from "{SCHEMA}".fact_order_item')]
    assert ids == sorted(ids)
    assert seconds["generate orders and lines"] > 0
    assert seconds["copy orders and lines"] > 0


def test_a_failing_copy_stops_everything_and_loads_nothing(conn, schema,
                                                          pg_url, plan):
    conn.execute(f'alter table "{SCHEMA}".fact_order_item '
                 "add constraint few check (quantity < 3)")
    with SessionPool(pg_url) as sessions, pytest.raises(psycopg.errors.CheckViolation):
        fact_load.load_facts(conn, schema, plan, sessions, 997)
    assert counts(conn) == [0, 0]
    assert no_generator_left()


def test_a_failing_generator_stops_everything_and_loads_nothing(
        conn, schema, pg_url, plan):
    conn.execute(f'alter table "{SCHEMA}".fact_order_item '
                 "alter column quantity type real")  # no binary encoder
    with SessionPool(pg_url) as sessions, pytest.raises(TypeError, match="quantity"):
        fact_load.load_facts(conn, schema, plan, sessions, 997)
    assert counts(conn) == [0, 0]
    assert no_generator_left()
