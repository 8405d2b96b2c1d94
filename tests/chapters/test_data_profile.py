"""The data profile (``vw_data_profile``) and each pair's support in
customers (``vw_pair_customers``) equal an independent pandas computation
from the base tables: of the session's generated warehouse, and of a small
import that lacks statuses, channels and categories and ends in the middle
of a month. (A refresh keeps both right: tests/warehouse/test_refresh.py
compares every table and view of a refreshed warehouse with a full
build's.)"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from datagen.chapters.needs import Profile


def read(conn, query: str) -> pd.DataFrame:
    cursor = conn.execute(query)
    return pd.DataFrame(cursor.fetchall(),
                        columns=[c.name for c in cursor.description])


def profile_of(conn, schema: str) -> Profile:
    return Profile.of(read(conn, f'select * from "{schema}".vw_data_profile'))


def expected_profile(conn, schema: str) -> dict:
    """The profile's counts from the base tables, in pandas."""
    orders = read(conn, f'select order_id, customer_id, channel_id, '
                        f'order_ts, order_status from "{schema}".fact_order')
    lines = read(conn, f'select order_id, product_id from '
                       f'"{schema}".fact_order_item')
    products = read(conn, f'select category from "{schema}".dim_product')
    first, last = conn.execute(f'select start_date, end_date from '
                               f'"{schema}".build_info').fetchone()
    months = pd.period_range(first, last, freq="M")
    whole = [m for m in months if m.start_time.date() >= first
             and m.end_time.date() <= last]
    per_calendar = pd.Series([m.month for m in whole]).value_counts()
    completed = orders[orders.order_status == "completed"]
    frequency = completed.groupby("customer_id").size()
    basket_sizes = lines[lines.order_id.isin(completed.order_id)].groupby(
        "order_id").product_id.nunique()
    days = pd.to_datetime(orders.order_ts).dt.normalize()
    # the lifetime value models' customers: first day of completed orders
    # by the calibration end, and a second day by then
    weeks = conn.execute(f'select clv_holdout_weeks from '
                         f'"{schema}".analysis_setting').fetchone()[0]
    calibration_end = pd.Timestamp(last - dt.timedelta(weeks=weeks))
    bought = (pd.to_datetime(completed.order_ts).dt.normalize()
              .groupby(completed.customer_id).unique())
    by_end = bought.map(lambda d: int((d <= calibration_end).sum()))
    return {
        "first_day": first, "last_day": last,
        "days": (last - first).days + 1,
        "days_with_orders": days.nunique(),
        "weekdays": days.dt.day_of_week.nunique(),
        "has_times_of_day": bool((pd.to_datetime(orders.order_ts)
                                  != days).any()),
        "whole_months": len(whole), "partial_months": len(months) - len(whole),
        "first_whole_month": whole[0].start_time.date() if whole else None,
        "last_whole_month": whole[-1].start_time.date() if whole else None,
        "month_cycles": (int(per_calendar.min())
                         if len(per_calendar) == 12 else 0),
        "years": len({m.year for m in months}),
        "orders": len(orders), "completed_orders": len(completed),
        "buying_customers": len(frequency),
        "repeat_customers": int((frequency >= 2).sum()),
        "multi_product_baskets": int((basket_sizes >= 2).sum()),
        "products": len(products), "categories": products.category.nunique(),
        "channels": orders.channel_id.nunique(),
        "clv_calibration_end": calibration_end.date(),
        "clv_customers": int((by_end >= 1).sum()),
        "clv_repeat_customers": int((by_end >= 2).sum()),
    }


def expected_pair_customers(conn, schema: str) -> pd.DataFrame:
    """Each pair of vw_product_pairs and the distinct customers who bought
    both in one completed order, from the base tables."""
    baskets = read(conn, f"""
        select distinct i.order_id, o.customer_id, i.product_id
        from "{schema}".fact_order_item as i
        join "{schema}".fact_order as o using (order_id, customer_id)
        where o.order_status = 'completed'""")
    pairs = baskets.merge(baskets, on=["order_id", "customer_id"])
    pairs = pairs[pairs.product_id_x < pairs.product_id_y]
    counted = pairs.groupby(["product_id_x", "product_id_y"]).agg(
        orders_together=("order_id", "nunique"),
        customers=("customer_id", "nunique")).reset_index()
    counted.columns = ["product_a", "product_b", "orders_together",
                       "customers"]
    kept = read(conn, f'select product_a, product_b from '
                      f'"{schema}".vw_product_pairs')
    return kept.merge(counted, on=["product_a", "product_b"]).sort_values(
        ["product_a", "product_b"]).reset_index(drop=True)


def check(conn, schema: str) -> Profile:
    found = profile_of(conn, schema)
    for name, value in expected_profile(conn, schema).items():
        assert found[name] == value, (schema, name, found[name], value)
    pair_customers = read(conn, f'select product_a, product_b, '
                                f'orders_together, customers from '
                                f'"{schema}".vw_pair_customers '
                                f'order by 1, 2')
    expected = expected_pair_customers(conn, schema)
    pd.testing.assert_frame_equal(pair_customers.astype("int64"),
                                  expected.astype("int64"))
    assert found["pairs"] == len(expected)
    assert found["max_pair_customers"] == (
        int(expected.customers.max()) if len(expected) else 0)
    return found


@pytest.fixture(scope="module")
def generated(warehouse):
    return warehouse()


def test_the_profile_of_a_generated_shop(conn, generated):
    found = check(conn, generated)
    assert found["source"] == "generated" and found["refreshable"]
    assert found["unknown"] == []
    assert all(entry["known"] for entry in found["known"].values())
    assert found["max_pair_customers"] > 1


def write_import(folder) -> tuple:
    """A shop of 14 months and a half, one repeat customer who buys the
    same two products in every order, no statuses, channels or
    categories."""
    rng = np.random.default_rng(5)
    rows = []
    for order in range(300):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(440)))
        customer = "C1" if order % 10 == 0 else f"C{order + 100}"
        items = (["A", "B"] if customer == "C1" else
                 [f"P{p}" for p in set(rng.integers(0, 8, 3))])
        for item in items:
            rows.append(f"{order},{item},{rng.integers(1, 3)},"
                        f"{5 + len(item)}.50,{day} 10:30:00,{customer}")
    source = folder / "orders.csv"
    source.write_text("order,sku,qty,price,at,customer\n" + "\n".join(rows)
                      + "\n")
    mapping = folder / "shop.toml"
    mapping.write_text(
        'name = "small"\n[source]\ncurrency = "EUR"\n[fields]\n'
        'order_number = "order"\nsku = "sku"\nquantity = "qty"\n'
        'unit_price = "price"\norder_ts = "at"\ncustomer_code = "customer"\n')
    return source, mapping


def test_the_profile_of_an_import_that_lacks_some(conn, pg_url, tmp_path):
    from datagen.params import parse_params
    from datagen.warehouse import schemas
    from datagen.warehouse.build import build
    source, mapping = write_import(tmp_path)
    schema = "profile_shop"
    build(parse_params(dict(source=str(source), mapping=str(mapping),
                            schema=schema)), url=pg_url,
          echo=lambda line: None)
    try:
        found = check(conn, schema)
        assert found["source"] == "imported" and not found["refreshable"]
        assert {"channels", "categories", "returns", "cancellations",
                "costs"} <= set(found["unknown"])
        assert not found.knows("channels") and found.knows("prices")
        assert found["partial_months"] == 1 and found["channels"] == 1
        # the one customer's repeat orders: A and B in every basket, but
        # one customer behind the pair
        pair = read(conn, f"""
            select c.orders_together, c.customers
            from "{schema}".vw_pair_customers as c
            join "{schema}".dim_product as a on a.product_id = c.product_a
            join "{schema}".dim_product as b on b.product_id = c.product_b
            where a.sku = 'A' and b.sku = 'B'""")
        assert pair.values.tolist() == [[30, 1]]
    finally:
        for name in (schema, f"{schema}_import"):
            schemas.drop_schema(conn, name)
