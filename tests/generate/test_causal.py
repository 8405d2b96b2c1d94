"""Issue 12: the generator is causal. The warehouse as of D equals the
warehouse as of a later E with everything after D taken away and every
status and customer as it stood on D (no database: the plan's rows)."""

from __future__ import annotations

import pandas as pd
import pytest

from datagen import generate
from datagen.params import parse_params


def rows(end: str, seed: int = 5, scale: float = 0.5) -> dict:
    plan = generate.plan(parse_params(seed=seed, scale=scale, end_date=end))
    tables = {name: (t.to_pandas() if hasattr(t, "to_pandas") else t)
              for name, t in plan.dimensions.items()}
    block = plan.block(0, plan.n_orders)
    tables["fact_order"] = block.orders.to_pandas()
    tables["fact_order_item"] = block.items.to_pandas()
    tables["customer_persona"] = plan.truth_tables()["customer_persona"]
    return tables


def as_it_stood(later: dict, day: str) -> dict:
    """The later warehouse cut at the end of ``day``."""
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    cut = {"dim_channel": later["dim_channel"]}
    cut["dim_date"] = later["dim_date"][
        pd.to_datetime(later["dim_date"]["full_date"]) < end]
    history = later["dim_customer_history"]
    history = history[pd.to_datetime(history["valid_from"]) < end].copy()
    last = ~history.duplicated("customer_id", keep="last")
    history.loc[last, "valid_to"] = None
    history["is_current"] = last
    cut["dim_customer_history"] = history
    customers = history[history["is_current"]].drop(columns=[
        "customer_version", "valid_from", "valid_to", "is_current"])
    cut["dim_customer"] = customers
    orders = later["fact_order"][later["fact_order"]["order_ts"] < end].copy()
    for column in ("cancelled_ts", "returned_ts"):
        not_yet = orders[column] >= end
        orders.loc[not_yet, "order_status"] = "completed"
        orders.loc[not_yet, column] = pd.NaT
    cut["fact_order"] = orders
    items = later["fact_order_item"]
    cut["fact_order_item"] = items[items["order_id"] <= len(orders)]
    personas = later["customer_persona"]
    cut["customer_persona"] = personas[
        personas["customer_id"] <= len(customers)]
    return cut


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.reset_index(drop=True).astype(str).equals(
        b.reset_index(drop=True).astype(str))


@pytest.mark.parametrize("day,later", [
    ("2023-02-28", "2023-03-01"),
    ("2024-11-29", "2025-01-15"),
    ("2023-06-30", "2025-12-31"),
])
def test_as_of_a_day_is_the_later_warehouse_cut_at_that_day(day, later):
    before, after = rows(day), as_it_stood(rows(later), day)
    assert len(before["fact_order"]) > 100
    for table, expected in after.items():
        assert same(before[table], expected), table


def test_products_are_the_launched_ones_at_the_days_prices():
    early, late = (generate.plan(parse_params(seed=5, scale=0.5,
                                              end_date=day)).catalogue
                   for day in ("2023-03-01", "2025-12-31"))
    a, b = early.dim_product(), late.dim_product()
    assert len(a) < len(b)                      # launches came later
    assert set(a["product_id"]) <= set(b["product_id"])
    shared = b[b["product_id"].isin(a["product_id"])].reset_index(drop=True)
    assert (shared["list_price"].to_numpy()
            > a["list_price"].to_numpy()).mean() > 0.9   # prices rose
    assert a["is_active"].all() and not b["is_active"].all()
