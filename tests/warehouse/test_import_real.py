"""The real UCI Online Retail file (../shared/data), end to end: import,
gate, and the figures the views give against an independent pandas
computation from the raw file under the mapping's stated rules."""

from __future__ import annotations

import os
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import psycopg
import pytest

from conftest import ROOT
from datagen.params import parse_params
from datagen.warehouse import schemas
from datagen.warehouse.build import build
from datagen.warehouse.import_build import Source

REAL = ROOT.parent / "shared" / "data" / "online_retail.csv.gz"
SCHEMA = "imp_real"
NOT_PRODUCTS = {"POST", "DOT", "C2", "M", "m", "D", "S", "BANK CHARGES",
                "AMAZONFEE", "CRUK", "PADS", "B"}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_file():
    if not REAL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REAL} is missing (CI has ../shared/data)")
        pytest.skip(f"{REAL} is not here (the shared data folder)")
    return REAL


@pytest.fixture(scope="module")
def imported(pg_url, real_file):
    build(parse_params(schema=SCHEMA), url=pg_url, echo=lambda line: None,
          source=Source.open(real_file, "online-retail"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"set search_path to {SCHEMA}, {SCHEMA}_import")
        yield conn
        for name in (SCHEMA, SCHEMA + "_import"):
            schemas.drop_schema(conn, name)


@pytest.fixture(scope="module")
def expected(real_file):
    """The mapping's rules applied to the raw file with pandas alone."""
    raw = pd.read_csv(real_file, dtype=str, keep_default_na=False)
    quantity = raw["Quantity"].astype(int)
    price = raw["UnitPrice"].map(lambda v: Decimal(v).quantize(
        Decimal("0.01"), ROUND_HALF_UP))
    returned = raw["InvoiceNo"].str.startswith("C")
    kept = ~(raw["StockCode"].isin(NOT_PRODUCTS)
             | raw["StockCode"].map(lambda c: bool(re.match("^gift_", c)))
             | (raw["CustomerID"].str.strip() == "")
             | (quantity == 0) | ((quantity < 0) & ~returned)
             | ((quantity > 0) & returned) | (price <= 0)
             | raw.duplicated(keep="first"))
    lines = raw[kept & ~returned].assign(
        net=[Decimal(q) * p for q, p in zip(quantity[kept & ~returned],
                                            price[kept & ~returned])],
        month=pd.to_datetime(raw["InvoiceDate"][kept & ~returned],
                             format="%m/%d/%Y %H:%M").dt.to_period("M"))
    by_month = lines.groupby("month")["net"].sum()
    return {"lines": len(raw), "imported": int(kept.sum()),
            "net_revenue": sum(lines["net"], Decimal(0)),
            "orders": lines["InvoiceNo"].nunique(),
            "customers": lines["CustomerID"].nunique(),
            "best_month": str(by_month.idxmax())}


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
