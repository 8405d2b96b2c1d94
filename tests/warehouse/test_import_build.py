"""Importing a shop's export: every line accounted for, the star built from
the imported lines, the same gate, and a bad file changes nothing."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from conftest import schema_checksums as checksums
from datagen import ingest
from datagen.params import parse_params
from datagen.warehouse import schemas, sql_files
from datagen.warehouse.build import build
from datagen.warehouse.import_build import LINES_FILE, Source

FIXTURE = Path(__file__).parents[1] / "ingest" / "fixtures" / "quirks.csv"
SCHEMA = "imp_fixture"
#: what the online-retail mapping makes of each line of the fixture
OUTCOMES = {
    1: ("imported", None, "536365", 1),
    2: ("imported", None, "536365", 2),
    3: ("rejected", "repeat of line 2", None, None),
    4: ("rejected", "not a product (POST)", None, None),
    5: ("rejected", "no customer", None, None),
    6: ("rejected", "not a product (D)", None, None),
    7: ("imported", None, "C536383", 1),
    8: ("rejected", "price is zero or less", None, None),
    9: ("rejected", "negative quantity outside a return", None, None),
    10: ("imported", None, "536386", 1),
    11: ("rejected", "not a product (gift_0001_20)", None, None),
    12: ("rejected", "quantity is zero", None, None),
    13: ("imported", None, "536389", 1),
}


def rows(conn, query: str, schema: str = SCHEMA):
    conn.execute(sql.SQL("set search_path to {}, {}").format(
        sql.Identifier(schema), sql.Identifier(schema + "_import")))
    return conn.execute(query).fetchall()


@pytest.fixture(scope="module")
def imported(pg_url):
    source = Source.open(FIXTURE, "online-retail")
    build(parse_params(schema=SCHEMA), url=pg_url, echo=lambda line: None,
          source=source)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn
        for name in (SCHEMA, SCHEMA + "_import"):
            schemas.drop_schema(conn, name)


def test_every_line_has_its_outcome(imported):
    got = {line: (outcome, reason, order, number) for line, outcome, reason,
           order, number in rows(imported, "select line_no, outcome, reason, "
                                          "order_number, line_number "
                                          "from source_line")}
    assert got == OUTCOMES


def test_the_judge_in_parts_gives_what_it_gives_in_one(imported):
    # the build judged the lines in parts, a session each; the file alone
    # (no part numbers set) judges them all at once
    create = sql_files.statements(sql_files.sql_file(LINES_FILE))[0]
    query = re.sub(r"^create table source_line as", "", create,
                   flags=re.MULTILINE)
    rows(imported, "select 1")      # the search path
    whole = imported.execute(query).fetchall()
    parted = imported.execute(
        "select * from source_line order by line_no").fetchall()
    assert whole == parted and len(whole) == len(OUTCOMES)


def test_the_star_is_made_of_the_imported_lines(imported):
    orders = rows(imported, """select order_number, order_status,
        items_subtotal, order_total, customer_code, order_ts::text
        from fact_order join dim_customer using (customer_id)
        order by order_id""")
    assert orders == [
        ("536365", "completed", Decimal("35.64"), Decimal("35.64"), "17850",
         "2010-12-01 08:26:00"),
        ("C536383", "returned", Decimal("4.65"), Decimal("4.65"), "15311",
         "2010-12-01 09:49:00"),
        ("536386", "completed", Decimal("30.60"), Decimal("30.60"), "15311",
         "2010-12-02 10:00:00"),
        ("536389", "completed", Decimal("10.17"), Decimal("10.17"), "12583",
         "2010-12-31 23:59:00")]
    products = rows(imported, """select sku, product_name, category,
        unit_cost from dim_product order by product_id""")
    assert products == [
        ("85123A", "WHITE HANGING HEART", "All products", None),
        ("71053", "WHITE METAL LANTERN", "All products", None),
        ("35004C", "SET OF 3 COLOURED  FLYING DUCKS", "All products", None),
        ("84029G", "KNITTED UNION FLAG", "All products", None)]
    customers = rows(imported, """select customer_code, country,
        signup_date::text, email from dim_customer order by customer_id""")
    assert customers == [("17850", "United Kingdom", "2010-12-01", None),
                         ("15311", "France", "2010-12-01", None),
                         ("12583", "France", "2010-12-31", None)]
    assert rows(imported, "select count(*) from dim_date") == [(31,)]
    assert rows(imported, "select channel_name from dim_channel") == [
        ("Online store",)]


def test_revenue_counts_the_completed_lines_and_margin_is_unknown(imported):
    daily = rows(imported, """select sum(net_revenue), count(gross_margin),
        count(*) filter (where orders > 0) from vw_daily_revenue""")
    # no cost: no margin on any day, also none of zero on the 28 days
    # without orders (a sum over the month would read as a 0.0% margin)
    assert daily == [(Decimal("76.41"), 0, 3)]
    assert rows(imported, "select count(*) from quality_check "
                "where not passed") == [(0,)]
    assert rows(imported, "select passed from quality_check where "
                "check_name = 'source_lines_add_up'") == [(True,)]
    info = rows(imported, "select source_file, source_lines, mapping, "
                "currency from import_info")
    assert info == [("quirks.csv", 13, "online-retail", "GBP")]


def test_a_file_that_breaks_later_leaves_the_warehouse_as_it_was(
        imported, pg_url, tmp_path):
    before = checksums(imported, SCHEMA, SCHEMA + "_import")
    lines = FIXTURE.read_text().splitlines()
    lines[12] = lines[12].replace("12/3/2010", "12/33/2010")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    source = Source(bad, ingest.load("online-retail"))  # not checked first
    with pytest.raises(ingest.SourceError, match="line 12:"):
        build(parse_params(schema=SCHEMA), url=pg_url,
              echo=lambda line: None, source=source)
    assert checksums(imported, SCHEMA, SCHEMA + "_import") == before


def test_a_generated_build_replaces_an_imported_one_whole(pg_url):
    schema = "imp_then_gen"
    quiet = dict(url=pg_url, echo=lambda line: None)
    build(parse_params(schema=schema), source=Source.open(
        FIXTURE, "online-retail"), **quiet)
    build(parse_params(schema=schema, scale=0.05), **quiet)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        names = {r[0] for r in conn.execute(
            "select nspname from pg_namespace where nspname like %s",
            [schema + "%"])}
        assert names == {schema, schema + "_truth"}
        for name in names:
            schemas.drop_schema(conn, name)


def test_an_import_whose_orders_fall_on_one_day_builds(pg_url, tmp_path):
    schema = "imp_one_day"
    lines = FIXTURE.read_text().splitlines()
    one_day = [lines[0]] + [re.sub(r"12/\d+/2010", "12/1/2010", line)
                            for line in lines[1:]]
    path = tmp_path / "one_day.csv"
    path.write_text("\n".join(one_day) + "\n")
    build(parse_params(schema=schema), url=pg_url, echo=lambda line: None,
          source=Source.open(path, "online-retail"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert rows(conn, "select start_date::text, end_date::text from "
                    "build_info", schema) == [("2010-12-01", "2010-12-01")]
        assert rows(conn, "select count(*) from dim_date", schema) == [(1,)]
        assert rows(conn, "select count(*) from quality_check where not "
                    "passed", schema) == [(0,)]
        for name in (schema, schema + "_import"):
            schemas.drop_schema(conn, name)


def test_values_the_warehouse_cannot_hold_are_rejected_or_unknown(
        pg_url, tmp_path):
    """A price below zero (when zero prices are kept) and a cost below
    zero are rejected lines; an email two customers give, or one that is
    no address, is unknown (dim_customer.email is unique and checked)."""
    schema = "imp_odd_values"
    path = tmp_path / "odd.csv"
    path.write_text(
        "Order,Sku,Qty,Price,Cost,When,Customer,Email\n"
        "1,A,1,2.00,1.00,2024-05-01 10:00:00,c1,same@example.com\n"
        "2,A,1,-2.00,1.00,2024-05-01 11:00:00,c2,same@example.com\n"
        "3,A,1,2.00,-1.00,2024-05-02 10:00:00,c3,c3@example.com\n"
        "4,A,1,0.00,1.00,2024-05-02 11:00:00,c2,same@example.com\n"
        "5,B,2,3.00,,2024-05-03 10:00:00,c4,n/a\n"
        "6,B,2,3.00,,2024-05-03 11:00:00,c5,c5@example.com\n")
    mapping = tmp_path / "odd.toml"
    mapping.write_text(
        "[source]\ncurrency = \"EUR\"\n[fields]\norder_number = \"Order\"\n"
        "sku = \"Sku\"\nquantity = \"Qty\"\nunit_price = \"Price\"\n"
        "unit_cost = \"Cost\"\norder_ts = \"When\"\n"
        "customer_code = \"Customer\"\nemail = \"Email\"\n"
        "[rules]\nzero_price = \"keep\"\n")
    build(parse_params(schema=schema), url=pg_url, echo=lambda line: None,
          source=Source.open(path, str(mapping)))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert rows(conn, "select line_no, reason from source_line where "
                    "outcome = 'rejected' order by line_no", schema) == [
            (2, "price is below zero"), (3, "cost is below zero")]
        assert rows(conn, "select customer_code, email from dim_customer "
                    "order by customer_code", schema) == [
            ("c1", None), ("c2", None), ("c4", None),
            ("c5", "c5@example.com")]
        for name in (schema, schema + "_import"):
            schemas.drop_schema(conn, name)


def test_the_warehouse_records_what_its_data_knows(conn, warehouse, pg_url):
    """data_known: a generated shop knows every capability; an import knows
    what its mapping maps (online-retail: prices, returns, customers,
    places, dates with times and quantities, no costs, cancellations,
    channels, categories, subcategories, discounts or names)."""
    from datagen.ingest.mapping import CAPABILITIES, load
    generated = warehouse()
    rows = conn.execute(f"select capability, known, how from "
                        f"{generated}.data_known").fetchall()
    assert {row[0] for row in rows} == set(CAPABILITIES)
    assert all(known and how == "generated" for _, known, how in rows)
    known = load("online-retail").known()
    assert {name for name, (is_known, _) in known.items() if is_known} == {
        "prices", "returns", "customers", "places", "dates", "times",
        "quantities"}
    assert "'UnitPrice'" in known["prices"][1]
    assert "costs and margins are unknown" in known["costs"][1]


def test_an_export_of_four_files_joins_in_the_database(pg_url, tmp_path):
    """The bench's made-up four-file export (small here): every line
    imported or rejected for its status, and the completed lines' revenue
    equal to pandas' join of the files."""
    import pandas as pd

    from datagen.bench.exports import several_files
    made = several_files(tmp_path / "export", 4_000, seed=3)
    schema = "imp_four_files"
    build(parse_params(schema=schema), url=pg_url, echo=lambda line: None,
          source=Source.open(made["lines"], str(made["mapping"])))
    lines = pd.read_csv(made["lines"], dtype=str)
    orders = pd.read_csv(tmp_path / "export" / "orders.csv", dtype=str)
    joined = lines.merge(orders, on="order_id")
    sold = joined[joined["state"] == "delivered"]
    revenue = sum((int(q) * Decimal(p).quantize(Decimal("0.01"))
                   for q, p in zip(sold["qty"], sold["price"])),
                  Decimal(0))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert rows(conn, "select count(*) from source_line where outcome "
                    "= 'imported'", schema) == [(len(lines),)]
        assert rows(conn, "select sum(net_revenue) from vw_daily_revenue",
                    schema) == [(revenue,)]
        assert rows(conn, "select count(*) from fact_order where "
                    "order_status = 'completed'", schema) == [
            (sold["order_id"].nunique(),)]
        assert rows(conn, "select count(*) from quality_check where not "
                    "passed", schema) == [(0,)]
        for name in (schema, schema + "_import"):
            schemas.drop_schema(conn, name)


def test_the_copy_reads_each_block_once_the_first_from_the_check(
        tmp_path, monkeypatch):
    """``Source.check`` reads each file's first block; the lines file's
    copy takes that block and the rest of its reader (no block lost or
    read twice), and a second reading of the source reads every file
    anew."""
    import pyarrow as pa

    from datagen.bench.exports import several_files
    from datagen.ingest import csv_read
    monkeypatch.setattr(csv_read, "BLOCK_BYTES", 1 << 12)
    monkeypatch.setattr(csv_read, "BLOCK_LINES", 500)
    made = several_files(tmp_path / "export", 3_000, seed=5)
    source = Source.open(made["lines"], str(made["mapping"]))
    for part in source.mapping.parts:
        first = source.blocks(part)
        again = source.blocks(part)
        read, anew = list(first), list(again)
        if part.name == "lines":
            assert len(read) > 2              # several blocks, to be sure
        assert pa.concat_tables(read).equals(pa.concat_tables(anew)), \
            part.name
        assert sum(block.num_rows for block in read) == \
            made["counts"][part.name]
