"""Association rules against mlxtend, on its classic 5-basket example.

The five baskets of mlxtend's user guide are loaded as completed orders into
a hand-made warehouse (the project's own table, key, view and check files),
so the rules the SQL computes can be compared with
``mlxtend.frequent_patterns.association_rules`` computed here, and with the
numbers one can check by hand. The same small warehouse shows a cohort
grid with a zero cell.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import psycopg
import pytest
from mlxtend.frequent_patterns import apriori, association_rules
from mlxtend.preprocessing import TransactionEncoder
from psycopg import sql

from datagen import __version__
from datagen.generate import dates
from datagen.generate.plan import dim_channel
from datagen.warehouse import (
    clv_tables,
    copy_text,
    keys,
    quality,
    schemas,
    sql_files,
    views,
)
from datagen.warehouse.build import TABLES

SCHEMA = "mlxtend_baskets"
START, END = dt.date(2024, 1, 1), dt.date(2024, 4, 30)

#: mlxtend's example; the last basket has Onion on two lines, counted once
BASKETS = [
    ["Milk", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
    ["Dill", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
    ["Milk", "Apple", "Kidney Beans", "Eggs"],
    ["Milk", "Unicorn", "Corn", "Kidney Beans", "Yogurt"],
    ["Corn", "Onion", "Onion", "Kidney Beans", "Ice cream", "Eggs"],
]
#: (customer, order date) of each basket: customer 1 buys in January and
#: March, so February is a zero cell of the January cohort
ORDERED = [(1, dt.date(2024, 1, 5)), (2, dt.date(2024, 1, 20)),
           (1, dt.date(2024, 3, 10)), (2, dt.date(2024, 3, 15)),
           (2, dt.date(2024, 4, 2))]
#: a cancelled order: not a basket, it must change nothing
CANCELLED = (2, dt.date(2024, 2, 10), ["Milk", "Onion", "Dill"])
COLUMNS = {"antecedent support": "antecedent_support",
           "consequent support": "consequent_support", "support": "support",
           "confidence": "confidence", "lift": "lift",
           "leverage": "leverage", "conviction": "conviction"}


def handmade_tables() -> dict[str, pd.DataFrame]:
    names = sorted({item for basket in BASKETS for item in basket})
    product_id = {name: i for i, name in enumerate(names, start=1)}
    products = pd.DataFrame({
        "product_id": list(product_id.values()),
        "sku": [f"SKU-{i:03d}" for i in product_id.values()],
        "product_name": names, "category": "Grocery",
        "subcategory": "Grocery", "brand": "Example",
        "unit_cost": 50, "list_price": 100, "launch_date": START,
        "is_active": True})
    customers = pd.DataFrame({
        "customer_id": [1, 2], "customer_code": ["C1", "C2"],
        "first_name": ["Ada", "Bo"], "last_name": ["One", "Two"],
        "email": ["ada@example.com", "bo@example.com"],
        "city": "Springfield", "region": "IL", "country": "United States",
        "signup_date": START, "acquisition_channel_id": 1})
    placed = [(customer, day, basket, "completed")
              for (customer, day), basket in zip(ORDERED, BASKETS)]
    placed.append((*CANCELLED[:2], CANCELLED[2], "cancelled"))
    orders, lines = [], []
    for order_id, (customer, day, basket, status) in enumerate(placed, 1):
        subtotal = 100 * len(basket)
        orders.append({
            "order_id": order_id, "order_number": f"SO-{order_id}",
            "customer_id": customer, "channel_id": 1,
            "order_date_key": int(day.strftime("%Y%m%d")),
            "order_ts": dt.datetime.combine(day, dt.time(12)),
            "order_status": status,
            "cancelled_ts": (dt.datetime.combine(day, dt.time(13))
                             if status == "cancelled" else None),
            "returned_ts": None, "items_subtotal": subtotal,
            "discount_amount": 0, "shipping_amount": 0, "tax_amount": 0,
            "order_total": subtotal})
        for line_number, name in enumerate(basket, 1):
            lines.append({
                "order_id": order_id, "line_number": line_number,
                "customer_id": customer,
                "order_date_key": int(day.strftime("%Y%m%d")),
                "product_id": product_id[name], "quantity": 1,
                "unit_price": 100, "unit_cost": 50, "discount_amount": 0,
                "net_amount": 100})
    return {"dim_date": dates.dim_date(START, END),
            "dim_channel": dim_channel(), "dim_customer": customers,
            "dim_customer_history": customers.assign(
                customer_version=1, valid_from=START, valid_to=pd.NaT,
                is_current=True),
            "dim_product": products, "fact_order": pd.DataFrame(orders),
            "fact_order_item": pd.DataFrame(lines)}


@pytest.fixture(scope="module")
def db(pg_url):
    """The hand-made warehouse, built like a real one, checks included."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        schemas.drop_schema(conn, SCHEMA)
        schemas.create_schema(conn, SCHEMA)
        sql_files.run_sql(conn, SCHEMA, "001_tables.sql")
        for table, frame in handmade_tables().items():
            copy_text.copy_frame(conn, SCHEMA, table, frame)
        keys.add_keys(conn, SCHEMA, TABLES)
        conn.execute("insert into build_info (seed, scale, start_date, "
                     "end_date, generator_version) values (0, 1, %s, %s, %s)",
                     [START, END, __version__])
        views.create_views(conn, SCHEMA, min_pair_orders=3)
        clv_tables.write(conn, SCHEMA)
        quality.create_checks(conn, SCHEMA)
        quality.run_checks(conn, SCHEMA)  # a valid warehouse passes the gate
        sql_files.set_search_path(conn, SCHEMA)
        yield conn
        schemas.drop_schema(conn, SCHEMA)


def sql_rules(db, min_pair_orders: int) -> dict[tuple[str, str], dict]:
    views.refresh(db, SCHEMA, min_pair_orders)
    cursor = db.execute("select * from vw_product_association_rules")
    names = [c.name for c in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    return {(r["antecedent_name"], r["consequent_name"]): r for r in rows}


def mlxtend_rules(min_support: float) -> dict[tuple[str, str], dict]:
    encoder = TransactionEncoder()
    onehot = pd.DataFrame(encoder.fit(BASKETS).transform(BASKETS),
                          columns=encoder.columns_)
    frequent = apriori(onehot, min_support=min_support, use_colnames=True,
                       max_len=2)
    rules = association_rules(frequent, num_itemsets=len(onehot),
                              metric="confidence", min_threshold=0.0,
                              return_metrics=list(COLUMNS))
    return {(next(iter(r["antecedents"])), next(iter(r["consequents"]))): r
            for _, r in rules.iterrows()
            if len(r["antecedents"]) == 1 and len(r["consequents"]) == 1}


@pytest.mark.parametrize("min_pair_orders", [3, 2, 1])
def test_rules_reproduce_mlxtend_exactly(db, min_pair_orders):
    ours = sql_rules(db, min_pair_orders)
    theirs = mlxtend_rules(min_support=min_pair_orders / len(BASKETS))
    assert set(ours) == set(theirs)
    assert len(ours) > 0
    for rule, expected in theirs.items():
        for column, name in COLUMNS.items():
            want = float(expected[column])
            got = ours[rule][name]
            if math.isinf(want):  # mlxtend: confidence 1 gives inf
                assert got is None, (rule, name)
            else:
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12), \
                    (rule, name)


def test_hand_checkable_numbers(db):
    rules = sql_rules(db, 3)
    onion_eggs = rules[("Onion", "Eggs")]
    assert onion_eggs["support"] == pytest.approx(0.6)
    assert onion_eggs["confidence"] == pytest.approx(1.0)
    assert onion_eggs["lift"] == pytest.approx(1.25)
    assert onion_eggs["conviction"] is None  # confidence 1
    assert onion_eggs["orders_together"] == 3
    beans_eggs = rules[("Kidney Beans", "Eggs")]
    assert beans_eggs["confidence"] == pytest.approx(0.8)
    assert beans_eggs["lift"] == pytest.approx(1.0)
    assert beans_eggs["leverage"] == pytest.approx(0.0)
    # both directions of every pair, and only pairs in at least 3 baskets
    assert ("Eggs", "Onion") in rules
    assert all(r["orders_together"] >= 3 for r in rules.values())


def test_pairs_count_a_product_once_per_completed_basket(db):
    views.refresh(db, SCHEMA, 1)
    pairs = {(a, b): n for a, b, n in db.execute("""
        select pa.product_name, pb.product_name, p.orders_together
        from vw_product_pairs p
        join dim_product pa on pa.product_id = p.product_a
        join dim_product pb on pb.product_id = p.product_b""")}
    # Onion is on two lines of basket 5: still one basket with Eggs in it
    assert pairs[("Eggs", "Onion")] == 3
    # the cancelled order (Milk, Onion, Dill) is not a basket
    assert ("Milk", "Onion") in pairs and pairs[("Milk", "Onion")] == 1
    assert pairs[("Dill", "Onion")] == 1
    assert all(a < b for a, b in db.execute(
        "select product_a, product_b from vw_product_pairs"))


def test_cohort_grid_is_dense_with_zero_cells(db):
    rows = db.execute("""
        select cohort_month, months_since_first, cohort_size,
               active_customers, retention_rate
        from vw_cohort_retention
        order by cohort_month, months_since_first""").fetchall()
    january = dt.date(2024, 1, 1)
    assert rows == [
        (january, 0, 2, 2, 1.0),
        (january, 1, 2, 0, 0.0),  # February: nobody bought
        (january, 2, 2, 2, 1.0),
        (january, 3, 2, 1, 0.5),
    ]


def test_the_gate_recorded_every_check_as_passed(db):
    rows = db.execute(sql.SQL(
        "select check_name, violations, passed from {}.quality_check").format(
            sql.Identifier(SCHEMA))).fetchall()
    assert len(rows) >= 10
    assert all(passed and violations == 0 for _, violations, passed in rows)
