"""Integrity of a generated warehouse: no orphans, no order before sign-up,
totals that reconcile with their lines to the cent."""

from __future__ import annotations

import pytest


def one(conn, schema, query):
    conn.execute(f'set search_path to "{schema}"')
    return conn.execute(query).fetchone()[0]


ZERO_QUERIES = {
    "order without customer": """select count(*) from fact_order o
        left join dim_customer c using (customer_id)
        where c.customer_id is null""",
    "line without order": """select count(*) from fact_order_item i
        left join fact_order o using (order_id) where o.order_id is null""",
    "line without product": """select count(*) from fact_order_item i
        left join dim_product p using (product_id)
        where p.product_id is null""",
    "line with another customer than its order": """select count(*)
        from fact_order_item i join fact_order o using (order_id)
        where i.customer_id <> o.customer_id
           or i.order_date_key <> o.order_date_key""",
    "order before sign-up": """select count(*) from fact_order o
        join dim_customer c using (customer_id)
        where o.order_ts::date < c.signup_date""",
    "order outside the period": """select count(*) from fact_order
        where order_ts::date not between (select min(full_date) from dim_date)
                                     and (select max(full_date) from dim_date)""",
    "date key differs from the order date": """select count(*)
        from fact_order o join dim_date d on d.date_key = o.order_date_key
        where d.full_date <> o.order_ts::date""",
    "subtotal differs from its lines": """select count(*) from fact_order o
        join (select order_id, sum(quantity * unit_price) as gross,
                     sum(discount_amount) as discount
              from fact_order_item group by order_id) i using (order_id)
        where o.items_subtotal <> i.gross
           or o.discount_amount <> i.discount""",
    "order without lines": """select count(*) from fact_order o
        where not exists (select 1 from fact_order_item i
                          where i.order_id = o.order_id)""",
    "product twice in an order": """select count(*) from (
        select order_id, product_id from fact_order_item
        group by 1, 2 having count(*) > 1) d""",
    "line sold before its product's launch": """select count(*)
        from fact_order_item i join dim_product p using (product_id)
        join fact_order o using (order_id)
        where o.order_ts::date < p.launch_date""",
    "signup outside the period": """select count(*) from dim_customer
        where signup_date not between (select min(full_date) from dim_date)
                                  and (select max(full_date) from dim_date)""",
}


@pytest.mark.parametrize("rule", ZERO_QUERIES)
def test_no_violations(conn, warehouse, rule):
    assert one(conn, warehouse(), ZERO_QUERIES[rule]) == 0


def test_dim_date_covers_the_period_day_by_day(conn, warehouse):
    schema = warehouse()
    conn.execute(f'set search_path to "{schema}"')
    first, last, days = conn.execute(
        "select min(full_date), max(full_date), count(*) from dim_date"
    ).fetchone()
    assert (str(first), str(last)) == ("2023-01-01", "2025-12-31")
    assert days == (last - first).days + 1


def test_status_rates_are_realistic(conn, warehouse):
    schema = warehouse()
    conn.execute(f'set search_path to "{schema}"')
    rates = dict(conn.execute("""
        select order_status, count(*)::float / sum(count(*)) over ()
        from fact_order group by 1"""))
    assert 0.02 <= rates["cancelled"] <= 0.04
    assert 0.04 <= rates["returned"] <= 0.07


def test_amounts_are_realistic(conn, warehouse):
    schema = warehouse()
    conn.execute(f'set search_path to "{schema}"')
    discounted, free_shipping_ok, taxed, lines = conn.execute("""
        select avg((discount_amount > 0)::int),
               bool_and(shipping_amount = 0
                        or items_subtotal - discount_amount < 50
                        or shipping_amount = 14.99),
               avg((tax_amount > 0)::int),
               (select count(*)::float from fact_order_item) / count(*)
        from fact_order""").fetchone()
    assert 0.1 <= discounted <= 0.5
    assert free_shipping_ok
    assert taxed > 0.9
    assert 1.5 <= lines <= 3.5
