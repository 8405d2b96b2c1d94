"""Binary COPY: the server stores exactly what the same rows as CSV give."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from datagen import generate
from datagen.params import parse_params
from datagen.warehouse import copy_binary, copy_text, schemas, sql_files

SCHEMA = "copyformat_test"


@pytest.fixture
def two_schemas(conn):
    for schema in (SCHEMA, SCHEMA + "_csv"):
        schemas.drop_schema(conn, schema)
        schemas.create_schema(conn, schema)
    yield SCHEMA, SCHEMA + "_csv"
    for schema in (SCHEMA, SCHEMA + "_csv"):
        schemas.drop_schema(conn, schema)


def copy_both_ways(conn, two_schemas, table, frame, money=()):
    """COPY ``frame`` binary into one schema and as CSV into the other
    (``money``: integer-cent columns of a table that copy_text.MONEY does not
    know); returns the two tables' checksums."""
    binary, csv = two_schemas
    as_decimals = frame
    for column in money:
        as_decimals = as_decimals.set_column(
            frame.column_names.index(column), column,
            copy_text.cents_to_decimal(frame[column]))
    copy_text.copy_csv(conn, csv, table, frame.column_names,
                  copy_text.csv_bytes(table, as_decimals))
    types = copy_binary.column_types(conn, binary, table)
    copy_binary.copy_frozen(conn, binary, table, frame.column_names,
                     [copy_binary.encode(frame, types)])
    return (schemas.table_checksum(conn, binary, table),
            schemas.table_checksum(conn, csv, table))


def test_generated_facts_load_identically_to_csv(conn, two_schemas):
    for schema in two_schemas:
        sql_files.run_sql(conn, schema, "001_tables.sql")
    block = generate.plan(parse_params(dict(scale=0.2))).block(0, 5_000)
    for table, frame in (("fact_order", block.orders),
                         ("fact_order_item", block.items)):
        binary, csv = copy_both_ways(conn, two_schemas, table, frame)
        assert binary == csv, table


def test_edge_values_load_identically_to_csv(conn, two_schemas):
    for schema in two_schemas:
        conn.execute(f'create table "{schema}".edge (i2 smallint, i4 integer,'
                     " i8 bigint, money numeric(12, 2), ts timestamp,"
                     " day date, note text)")
    cents = [0, 1, 9, 10, 99, 100, 101, 10_000, 999_999, 1_000_000_00,
             123_456_789_01, 999_999_999_999, -1, -100, -999_999_999_999]
    n = len(cents)
    frame = pa.table({
        "i2": np.resize([0, 1, -1, 32767, -32768], n).astype(np.int64),
        "i4": np.resize([0, 2**31 - 1, -2**31], n).astype(np.int64),
        "i8": np.resize([0, 2**63 - 1, -2**63], n).astype(np.int64),
        "money": cents,
        "ts": pa.array(np.resize(np.array(
            ["1999-12-31T23:59:59", "2000-01-01T00:00:00",
             "2025-11-28T13:05:59"], "datetime64[s]"), n)),
        "day": pa.array(np.resize([dt.date(1970, 1, 1), dt.date(2000, 1, 1),
                                   dt.date(2025, 12, 31)], n)),
        "note": np.resize(
            ["", "completed", "a,b \"quoted\"", "ünïcødé ✓"], n).tolist(),
    })
    binary, csv = copy_both_ways(conn, two_schemas, "edge", frame,
                                 money=["money"])
    assert binary == csv
    assert conn.execute(f'select sum(money), min(note), max(length(note)) '
                        f'from "{SCHEMA}".edge').fetchone() == (
        conn.execute(f'select sum(money), min(note), max(length(note)) '
                     f'from "{SCHEMA}_csv".edge').fetchone())


def test_an_empty_block_is_a_valid_copy(conn, two_schemas):
    conn.execute(f'create table "{SCHEMA}".edge (i4 integer, note text)')
    frame = pa.table({"i4": pa.array([], pa.int64()),
                      "note": pa.array([], pa.string())})
    types = copy_binary.column_types(conn, SCHEMA, "edge")
    copy_binary.copy_frozen(conn, SCHEMA, "edge", frame.column_names,
                     [copy_binary.encode(frame, types)])
    assert conn.execute(f'select count(*) from "{SCHEMA}".edge'
                        ).fetchone()[0] == 0


def test_nulls_load_as_nulls(conn, two_schemas):
    """(Numeric nulls: ``test_a_sliced_block_keeps_its_own_rows``; the
    CSV path takes no null money.)"""
    for schema in two_schemas:
        conn.execute(f'create table "{schema}".edge (i2 smallint, i4 integer,'
                     " money numeric(12, 2), ts timestamp, day date,"
                     " note text)")
    frame = pa.table({
        "i2": [1, None, 3], "i4": [None, 2, 3], "money": [0, -150, 99],
        "ts": pa.array(np.array(["2025-01-01T10:00:00", "NaT",
                                 "2000-01-01T00:00:00"], "datetime64[s]")),
        "day": [dt.date(2025, 1, 1), None, dt.date(1999, 12, 31)],
        "note": ["", None, "ünï"],
    })
    binary, csv = copy_both_ways(conn, two_schemas, "edge", frame,
                                 money=["money"])
    assert binary == csv
    assert conn.execute(f'select count(*) - count(i2), count(*) - count(ts),'
                        f' count(*) - count(note) from "{SCHEMA}".edge'
                        ).fetchone() == (1, 1, 1)


def test_a_sliced_block_keeps_its_own_rows(conn, two_schemas):
    """A block that is a slice of a larger table (an offset into its
    buffers) copies its own rows, nulls included."""
    conn.execute(f'create table "{SCHEMA}".edge (i4 integer,'
                 " money numeric(12, 2))")
    whole = pa.table({"i4": list(range(10)),
                      "money": [None if i % 3 == 0 else i * 101
                                for i in range(10)]})
    frame = whole.slice(4, 5)
    types = copy_binary.column_types(conn, SCHEMA, "edge")
    copy_binary.copy_frozen(conn, SCHEMA, "edge", frame.column_names,
                            [copy_binary.encode(frame, types)])
    rows = conn.execute(f'select i4, money from "{SCHEMA}".edge order by i4'
                        ).fetchall()
    assert [(i, None if m is None else int(m * 100)) for i, m in rows] == [
        (i, None if i % 3 == 0 else i * 101) for i in range(4, 9)]


@pytest.mark.parametrize("values,pg_type,message", [
    ([40_000], "smallint", "out of range"),
    ([-2 ** 31 - 1], "integer", "out of range"),
    ([10 ** 12], "numeric(12,2)", r"10\^10 or more does not fit"),
    ([-10 ** 12], "numeric(12,2)", r"10\^10 or more does not fit"),
    ([1.5], "numeric(12,2)", "must be integers"),
    ([1], "real", "type real is not supported"),
])
def test_values_it_cannot_write_are_refused_by_name(values, pg_type, message):
    with pytest.raises((TypeError, ValueError, OverflowError),
                       match=message):
        copy_binary.encode(pa.table({"x": values}), {"x": pg_type})
