"""The real UCI Online Retail file (../shared/data), end to end: import,
gate, and the figures the views give against an independent pandas
computation from the raw file under the mapping's stated rules."""

from __future__ import annotations

import psycopg
import pytest
import real_data

from datagen.params import parse_params
from datagen.warehouse import schemas
from datagen.warehouse.build import build
from datagen.warehouse.import_build import Source

SCHEMA = "imp_real"
pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def imported(pg_url):
    build(parse_params(schema=SCHEMA), url=pg_url, echo=lambda line: None,
          source=Source.open(real_data.real_file(), "online-retail"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"set search_path to {SCHEMA}, {SCHEMA}_import")
        yield conn
        for name in (SCHEMA, SCHEMA + "_import"):
            schemas.drop_schema(conn, name)


@pytest.fixture(scope="module")
def expected():
    """The mapping's rules applied to the raw file with pandas alone."""
    lines, read, imported = real_data.sales(real_data.real_file())
    return {"lines": read, "imported": imported, **real_data.figures(lines)}


def one(conn, query):
    return conn.execute(query).fetchone()[0]


def test_every_line_is_accounted_for_and_the_gate_passes(imported, expected):
    assert one(imported, "select count(*) from source_line") == \
        expected["lines"] == 541_909
    assert one(imported, "select count(*) from source_line where outcome = "
               "'imported'") == expected["imported"] == one(
                   imported, "select count(*) from fact_order_item")
    assert one(imported, "select count(*) from quality_check where not "
               "passed") == 0


def test_the_figures_equal_an_independent_computation(imported, expected):
    assert one(imported, "select sum(net_revenue) from vw_daily_revenue") \
        == expected["net_revenue"]
    assert one(imported, "select count(*) from fact_order where "
               "order_status = 'completed'") == expected["orders"]
    assert one(imported, "select count(*) from vw_customer_rfm_base") == \
        expected["customers"]
    best = one(imported, """select to_char(date_trunc('month', order_date),
        'YYYY-MM') from vw_daily_revenue group by 1
        order by sum(net_revenue) desc limit 1""")
    assert best == expected["best_month"]
    assert one(imported, "select count(gross_margin) from "
               "vw_category_margin_monthly where net_revenue > 0") == 0
