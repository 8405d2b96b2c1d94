"""The real UCI Online Retail file (../shared/data) and the online-retail
mapping's rules applied to it with pandas alone: the independent
computation that the import and the book on the real data are checked
against (``tests/warehouse/test_import_real.py``,
``tests/publish/test_book_real.py``)."""

from __future__ import annotations

import os
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

REAL = (Path(__file__).resolve().parents[2] / "shared" / "data"
        / "online_retail.csv.gz")
#: the mapping's codes that are not products (mappings/online-retail.toml)
NOT_PRODUCTS = {"POST", "DOT", "C2", "M", "m", "D", "S", "BANK CHARGES",
                "AMAZONFEE", "CRUK", "PADS", "B"}


def real_file() -> Path:
    """The file, or a skip (a failure under CI, which has ../shared)."""
    if not REAL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REAL} is missing (CI has ../shared/data)")
        pytest.skip(f"{REAL} is not here (the shared data folder)")
    return REAL


def sales(path: Path) -> tuple[pd.DataFrame, int, int]:
    """The lines of completed orders under the mapping's rules (order,
    sku, customer, day, net amount as Decimal), the file's line count and
    the count of lines the rules import (returns included)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
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
    sold = kept & ~returned
    lines = pd.DataFrame({
        "order": raw["InvoiceNo"][sold], "sku": raw["StockCode"][sold],
        "customer": raw["CustomerID"][sold],
        "day": pd.to_datetime(raw["InvoiceDate"][sold],
                              format="%m/%d/%Y %H:%M").dt.normalize(),
        "net": [Decimal(q) * p for q, p in zip(quantity[sold], price[sold])]})
    return lines, len(raw), int(kept.sum())


def figures(lines: pd.DataFrame, first_day=None) -> dict:
    """Net revenue, orders, customers and the best month of ``lines`` (from
    ``first_day`` on, if given)."""
    if first_day is not None:
        lines = lines[lines["day"] >= pd.Timestamp(first_day)]
    by_month = lines.groupby(lines["day"].dt.to_period("M"))["net"].sum()
    return {"net_revenue": sum(lines["net"], Decimal(0)),
            "orders": lines["order"].nunique(),
            "customers": lines["customer"].nunique(),
            "best_month": str(by_month.idxmax()),
            "best_month_revenue": by_month.max()}


def top_lift(lines: pd.DataFrame, min_pair_orders: int) -> float:
    """The highest lift of a product pair bought together in at least
    ``min_pair_orders`` baskets (a basket: a completed order)."""
    baskets = lines[["order", "sku"]].drop_duplicates()
    count = baskets["order"].nunique()
    with_product = baskets.groupby("sku")["order"].nunique()
    pairs = baskets.merge(baskets, on="order")
    pairs = pairs[pairs["sku_x"] < pairs["sku_y"]]
    together = pairs.groupby(["sku_x", "sku_y"]).size()
    together = together[together >= min_pair_orders]
    a = with_product.reindex(together.index.get_level_values(0)).to_numpy()
    b = with_product.reindex(together.index.get_level_values(1)).to_numpy()
    return float((together.to_numpy() * count / (a * b)).max())
