"""The planted structure is visible in the loaded data (and matches what
``<schema>_truth`` says was planted)."""

from __future__ import annotations

import pandas as pd
import pytest


def frame(conn, schema, query):
    conn.execute(f'set search_path to "{schema}", "{schema}_truth"')
    cursor = conn.execute(query)
    return pd.DataFrame(cursor.fetchall(),
                        columns=[c.name for c in cursor.description])


COMPLETED_LINES = """
    select i.*, o.order_ts, o.channel_id, p.category
    from fact_order_item i
    join fact_order o using (order_id)
    join dim_product p using (product_id)
    where o.order_status = 'completed'"""


@pytest.fixture(scope="module", params=[42, 7], ids=["seed42", "seed7"])
def schema(request, warehouse):
    """The structure must show for any seed, not just the default one."""
    return warehouse(seed=request.param)


@pytest.fixture(scope="module")
def lines(conn_module, schema):
    df = frame(conn_module, schema, COMPLETED_LINES)
    df["net_amount"] = df["net_amount"].astype(float)
    return df


@pytest.fixture(scope="module")
def conn_module(pg_url):
    import psycopg
    with psycopg.connect(pg_url, autocommit=True) as connection:
        yield connection


def test_bundles_cooccur_far_above_chance(conn_module, schema, lines):
    bundles = frame(conn_module, schema, "select * from bundle")
    assert len(bundles) >= 8
    baskets = lines.groupby("order_id")["product_id"].apply(set)
    n = len(baskets)
    for row in bundles.itertuples():
        has_a = baskets.map(lambda s, a=row.product_a: a in s)
        has_b = baskets.map(lambda s, b=row.product_b: b in s)
        lift = (has_a & has_b).mean() / (has_a.mean() * has_b.mean())
        assert lift > 5, (row.bundle_name, lift, n)


def test_november_december_peak(lines):
    month = lines["order_ts"].dt.month
    share = lines.loc[month.isin([11, 12]), "net_amount"].sum() \
        / lines["net_amount"].sum()
    assert share > 2 / 12 + 0.04


def test_top_fifth_of_customers_bring_more_than_half(lines):
    revenue = lines.groupby("customer_id")["net_amount"].sum() \
        .sort_values(ascending=False)
    top = revenue.iloc[: int(len(revenue) * 0.2)].sum()
    assert top / revenue.sum() > 0.5


def test_seasonal_categories_peak_in_their_planted_months(
        conn_module, schema, lines):
    seasons = frame(conn_module, schema,
                    "select * from seasonal_category")
    assert seasons["category"].nunique() >= 2
    by_month = lines.assign(month=lines["order_ts"].dt.month).pivot_table(
        index="month", columns="category", values="net_amount", aggfunc="sum")
    share = by_month.div(by_month.sum(axis=1), axis=0)  # category share
    for category, peaks in seasons.groupby("category")["peak_month"]:
        assert share[category].idxmax() in set(peaks), category
    # a category without a season has no month twice its average share
    plain = [c for c in share if c not in set(seasons["category"])]
    assert (share[plain].max() / share[plain].mean() < 1.6).all()


def test_weekly_rhythm_and_yearly_growth(lines):
    orders = lines.drop_duplicates("order_id")
    weekday = orders["order_ts"].dt.day_of_week.value_counts(normalize=True)
    assert weekday[0] > weekday[5] * 1.15  # Monday above Saturday
    per_year = orders["order_ts"].dt.year.value_counts().sort_index()
    assert (per_year.diff().dropna() > 0).all()


def test_personas_differ(conn_module, schema):
    per_persona = frame(conn_module, schema, """
        with orders as (
            select customer_id, count(*) as orders,
                   sum(order_total) as spend
            from fact_order group by 1)
        select p.persona, avg(orders) as orders, max(orders) as most,
               avg(spend) as spend
        from customer_persona p join orders using (customer_id)
        group by 1""").set_index("persona")
    assert per_persona.loc["one_and_done", "most"] == 1
    spend = per_persona["spend"].astype(float)
    assert spend.idxmax() == "vip"
    assert spend["vip"] > 3 * spend["occasional"]


def test_channels_differ_in_value_and_retention(conn_module, schema):
    by_channel = frame(conn_module, schema, """
        with per_customer as (
            select c.customer_id, ch.channel_name,
                   count(o.order_id) as orders
            from dim_customer c
            join dim_channel ch on ch.channel_id = c.acquisition_channel_id
            join fact_order o using (customer_id)
            group by 1, 2)
        select channel_name, avg((orders > 1)::int) as repeat_rate
        from per_customer group by 1""").set_index("channel_name")
    rate = by_channel["repeat_rate"].astype(float)
    assert rate["Referral"] > rate["Paid Social"] + 0.1
    aov = frame(conn_module, schema, """
        select ch.channel_name, avg(o.order_total) as aov
        from fact_order o join dim_channel ch using (channel_id)
        group by 1""").set_index("channel_name")["aov"].astype(float)
    assert aov.max() / aov.min() > 1.1
