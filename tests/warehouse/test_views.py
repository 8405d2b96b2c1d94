"""Views: each equals an independent pandas computation from the base tables.

The warehouse is the session's scale-1 build. Base tables are read once,
money as integer cents; each test recomputes one view of the contract in
pandas, by another route than the SQL, and compares row for row: counts and
money exactly (cents), rates within 1e-9.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
import pytest

from datagen.params import DEFAULTS
from datagen.warehouse import maintain
from datagen.warehouse.views import VIEW_FILES, _view_tasks, view_name

RATE_TOLERANCE = 1e-9


# --- reading ----------------------------------------------------------------

def read(conn: psycopg.Connection, query: str, params=None) -> pd.DataFrame:
    cursor = conn.execute(query, params)
    return pd.DataFrame(cursor.fetchall(),
                        columns=[c.name for c in cursor.description])


def cents(values: pd.Series) -> pd.Series:
    """numeric(…, 2) values as integer cents; fails if a value has more."""
    def one(value: Decimal) -> int:
        scaled = value.scaleb(2)
        assert scaled == scaled.to_integral_value(), value
        return int(scaled)
    return values.map(one).astype("int64")


@pytest.fixture(scope="module")
def schema(warehouse):
    return warehouse()


@pytest.fixture(scope="module")
def db(pg_url, schema):
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(f'set search_path to "{schema}"')
        yield connection


@pytest.fixture(scope="module")
def base(db):
    """The base tables, money in integer cents, dates as pandas timestamps."""
    orders = read(db, """
        select order_id, customer_id, channel_id, order_ts, order_status
        from fact_order""")
    items = read(db, """
        select order_id, line_number, product_id, quantity,
               (unit_price * 100)::bigint as unit_price_cents,
               (unit_cost * 100)::bigint as unit_cost_cents,
               (discount_amount * 100)::bigint as discount_cents,
               (net_amount * 100)::bigint as net_cents
        from fact_order_item""")
    dates = read(db, "select full_date from dim_date")
    channels = read(db, "select * from dim_channel")
    products = read(db, "select product_id, product_name, category "
                        "from dim_product")
    orders["order_ts"] = pd.to_datetime(orders["order_ts"])
    orders["order_date"] = orders["order_ts"].dt.normalize()
    orders["month"] = orders["order_ts"].dt.to_period("M").dt.to_timestamp()
    dates["full_date"] = pd.to_datetime(dates["full_date"])
    completed = orders[orders["order_status"] == "completed"]
    lines = items.merge(completed, on="order_id").merge(products,
                                                        on="product_id")
    # the line's own arithmetic, recomputed: net = qty * price - discount
    assert (lines["net_cents"] == lines["quantity"] * lines["unit_price_cents"]
            - lines["discount_cents"]).all()
    lines["cost_cents"] = lines["quantity"] * lines["unit_cost_cents"]
    lines["margin_cents"] = lines["net_cents"] - lines["cost_cents"]
    months = pd.DataFrame({"month": sorted(
        dates["full_date"].dt.to_period("M").dt.to_timestamp().unique())})
    return dict(orders=orders, completed=completed, items=items, lines=lines,
                dates=dates, months=months, channels=channels,
                products=products)


def as_timestamps(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    return frame.assign(**{c: pd.to_datetime(frame[c]) for c in columns})


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list,
                exact: list = (), money: list = (), rates: list = ()):
    """Row for row: same keys, equal counts and cents, rates within 1e-9."""
    assert len(actual) == len(expected)
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    for key in keys:
        assert actual[key].tolist() == expected[key].tolist(), key
    for column in exact:
        assert actual[column].astype("int64").tolist() \
            == expected[column].astype("int64").tolist(), column
    for column in money:
        assert cents(actual[column]).tolist() \
            == expected[column].astype("int64").tolist(), column
    for column in rates:
        got = actual[column].map(
            lambda v: math.nan if v is None else float(v)).to_numpy()
        want = expected[column].astype(float).to_numpy()
        assert (np.isnan(got) == np.isnan(want)).all(), column
        both = ~np.isnan(want)
        np.testing.assert_allclose(got[both], want[both], rtol=RATE_TOLERANCE,
                                   atol=RATE_TOLERANCE, err_msg=column)


def base_net_cents(base) -> int:
    return int(base["lines"]["net_cents"].sum())


# --- revenue over time, channel, category -----------------------------------

def test_daily_revenue(db, base):
    completed, lines = base["completed"], base["lines"]
    by_day = completed.groupby("order_date").agg(
        orders=("order_id", "size"), customers=("customer_id", "nunique"))
    line_sums = lines.groupby("order_date").agg(
        units=("quantity", "sum"), net_revenue=("net_cents", "sum"),
        gross_margin=("margin_cents", "sum"))
    expected = (base["dates"].rename(columns={"full_date": "order_date"})
                .set_index("order_date").join(by_day).join(line_sums)
                .fillna(0).reset_index())
    actual = as_timestamps(read(db, "select * from vw_daily_revenue"),
                           "order_date")
    assert list(actual.columns)[:6] == ["order_date", "orders", "customers",
                                        "units", "net_revenue",
                                        "gross_margin"]
    assert len(actual) == len(base["dates"])  # dense: every day
    assert_same(actual, expected, ["order_date"],
                exact=["orders", "customers", "units"],
                money=["net_revenue", "gross_margin"])


def test_revenue_by_channel(db, base):
    completed, lines = base["completed"], base["lines"]
    orders = completed.groupby(["month", "channel_id"]).size().rename(
        "orders")
    revenue = lines.groupby(["month", "channel_id"])["net_cents"].sum().rename(
        "net_revenue")
    grid = base["months"].merge(base["channels"], how="cross")
    expected = (grid.set_index(["month", "channel_id"]).join(orders)
                .join(revenue).fillna({"orders": 0, "net_revenue": 0})
                .reset_index())
    expected["avg_order_value"] = np.where(
        expected["orders"] > 0,
        expected["net_revenue"] / 100 / expected["orders"].replace(0, 1),
        np.nan)
    actual = as_timestamps(read(db, "select * from vw_revenue_by_channel"),
                           "month")
    for column in ["month", "channel_name", "channel_group", "orders",
                   "net_revenue", "avg_order_value"]:
        assert column in actual
    assert_same(actual, expected, ["month", "channel_name", "channel_group"],
                exact=["orders"], money=["net_revenue"],
                rates=["avg_order_value"])
    assert actual["avg_order_value"].isna().sum() \
        == (actual["orders"] == 0).sum()


def category_expected(base) -> pd.DataFrame:
    lines = base["lines"]
    sums = lines.groupby(["month", "category"]).agg(
        orders=("order_id", "nunique"), units=("quantity", "sum"),
        net_revenue=("net_cents", "sum"), cost=("cost_cents", "sum"),
        gross_margin=("margin_cents", "sum"))
    categories = pd.DataFrame(
        {"category": sorted(base["products"]["category"].unique())})
    grid = base["months"].merge(categories, how="cross")
    return grid.set_index(["month", "category"]).join(sums).fillna(0) \
        .reset_index()


def test_revenue_by_category(db, base):
    expected = category_expected(base)
    actual = as_timestamps(read(db, "select * from vw_revenue_by_category"),
                           "month")
    for column in ["month", "category", "orders", "units", "net_revenue",
                   "gross_margin"]:
        assert column in actual
    assert_same(actual, expected, ["month", "category"],
                exact=["orders", "units"],
                money=["net_revenue", "cost", "gross_margin"])
    # an order with lines in two categories counts in both
    assert actual["orders"].sum() > len(base["completed"])


def test_category_margin_monthly(db, base):
    expected = category_expected(base)
    expected["margin_pct"] = np.where(
        expected["net_revenue"] != 0,
        100 * expected["gross_margin"] / expected["net_revenue"].replace(0, 1),
        np.nan)
    actual = as_timestamps(
        read(db, "select * from vw_category_margin_monthly"), "month")
    assert list(actual.columns) == ["month", "category", "net_revenue",
                                    "cost", "gross_margin", "margin_pct"]
    assert_same(actual, expected, ["month", "category"],
                money=["net_revenue", "cost", "gross_margin"],
                rates=["margin_pct"])


# --- customers ----------------------------------------------------------------

@pytest.fixture(scope="module")
def rfm_expected(base):
    completed, lines = base["completed"], base["lines"]
    analysis_date = base["orders"]["order_date"].max() + pd.Timedelta(days=1)
    customers = completed.groupby("customer_id").agg(
        first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"),
        frequency=("order_id", "size"))
    customers["monetary"] = lines.groupby("customer_id")["net_cents"].sum()
    customers["monetary"] = customers["monetary"].fillna(0).astype("int64")
    customers["recency_days"] = (analysis_date
                                 - customers["last_order_date"]).dt.days
    customers["analysis_date"] = analysis_date
    return customers.reset_index()


def test_customer_rfm_base(db, base, rfm_expected):
    actual = as_timestamps(
        read(db, "select * from vw_customer_rfm_base"),
        "first_order_date", "last_order_date", "analysis_date")
    assert list(actual.columns)[:6] == ["customer_id", "first_order_date",
                                        "last_order_date", "recency_days",
                                        "frequency", "monetary"]
    assert_same(actual, rfm_expected, ["customer_id"],
                exact=["recency_days", "frequency"], money=["monetary"])
    for column in ["first_order_date", "last_order_date", "analysis_date"]:
        assert actual.sort_values("customer_id")[column].tolist() \
            == rfm_expected.sort_values("customer_id")[column].tolist()
    # only buyers: customers with at least one completed order
    assert len(actual) == base["completed"]["customer_id"].nunique()
    assert actual["recency_days"].min() >= 1


def mid_rank_quintile(goodness: pd.Series) -> pd.Series:
    """1 + floor(5 * (average rank - 1/2) / n): the block of tied values
    gets the quintile of its middle (pandas' average rank is that middle)."""
    n = len(goodness)
    middle = goodness.rank(method="average") - 0.5
    return (np.floor(5 * middle / n) + 1).astype("int64")


#: (r_score, f_score) -> segment, written out cell by cell
SEGMENT_GRID = {
    5: {1: "New", 2: "Potential loyalist", 3: "Potential loyalist",
        4: "Champions", 5: "Champions"},
    4: {1: "Promising", 2: "Potential loyalist", 3: "Potential loyalist",
        4: "Loyal", 5: "Loyal"},
    3: {1: "About to sleep", 2: "About to sleep", 3: "Need attention",
        4: "Loyal", 5: "Loyal"},
    2: {1: "Hibernating", 2: "Hibernating", 3: "At risk", 4: "At risk",
        5: "Cannot lose them"},
    1: {1: "Hibernating", 2: "Hibernating", 3: "At risk", 4: "At risk",
        5: "Cannot lose them"},
}


@pytest.fixture(scope="module")
def scores(db):
    return read(db, "select * from vw_customer_rfm_scores")


def test_customer_rfm_scores(scores, rfm_expected):
    expected = rfm_expected.copy()
    expected["r_score"] = mid_rank_quintile(-expected["recency_days"])
    expected["f_score"] = mid_rank_quintile(expected["frequency"])
    expected["m_score"] = mid_rank_quintile(expected["monetary"])
    expected["rfm_code"] = (expected["r_score"].astype(str)
                            + expected["f_score"].astype(str)
                            + expected["m_score"].astype(str))
    expected["rfm_segment"] = [SEGMENT_GRID[r][f] for r, f in zip(
        expected["r_score"], expected["f_score"])]
    assert list(scores.columns)[:6] == ["customer_id", "r_score", "f_score",
                                        "m_score", "rfm_code", "rfm_segment"]
    assert_same(scores, expected, ["customer_id", "rfm_code", "rfm_segment"],
                exact=["r_score", "f_score", "m_score"])


@pytest.mark.parametrize("score,value,better", [
    ("r_score", "recency_days", -1), ("f_score", "frequency", 1),
    ("m_score", "monetary", 1)])
def test_rfm_scores_are_quintiles_5_best_ties_equal_monotone(
        scores, score, value, better):
    values = scores[value].astype(float) * better
    # equal inputs, equal scores
    assert (scores.groupby(value)[score].nunique() == 1).all()
    # monotone: a better value never gets a lower score (score ranges of
    # the input do not overlap, and go up with the score)
    ranges = values.groupby(scores[score]).agg(["min", "max"]).sort_index()
    assert list(ranges.index) == sorted(ranges.index)
    assert (ranges["max"].iloc[:-1].to_numpy()
            < ranges["min"].iloc[1:].to_numpy()).all()
    assert scores[score].between(1, 5).all()
    # the best value gets 5, the worst 1 (unless ties take a whole end)
    assert scores.loc[values.idxmax(), score] == 5
    # as even as ties allow: without ties in monetary, five equal groups
    if value == "monetary":
        sizes = scores[score].value_counts()
        assert sizes.max() - sizes.min() <= len(scores) * 0.01


def test_top_customers_by_score_are_the_most_recent_frequent_valuable(scores):
    scores = scores.assign(monetary=scores["monetary"].astype(float))
    ranked = scores.assign(total=scores[["r_score", "f_score",
                                         "m_score"]].sum(axis=1))
    ranked = ranked.sort_values(["total", "customer_id"],
                                ascending=[False, True])
    top, rest = ranked.head(100), ranked.iloc[100:]
    assert (top["r_score"] == 5).all() and (top["f_score"] == 5).all() \
        and (top["m_score"] == 5).all()
    # every top customer beats the median of the rest on all three inputs
    assert (top["recency_days"] <= rest["recency_days"].median()).all()
    assert (top["frequency"] >= rest["frequency"].median()).all()
    assert (top["monetary"] >= rest["monetary"].median()).all()
    # and the top 100 by monetary value are all m_score 5
    assert (scores.nlargest(100, "monetary")["m_score"] == 5).all()
    assert set(ranked.head(100)["rfm_segment"]) == {"Champions"}


def test_customer_ltv_segments(db, rfm_expected):
    expected = rfm_expected.rename(columns={"monetary": "lifetime_revenue",
                                            "frequency": "orders"})
    share = expected["lifetime_revenue"].rank(method="max") / len(expected)
    expected["ltv_tier"] = np.select(
        [share > 0.95, share > 0.80, share > 0.50],
        ["Platinum", "Gold", "Silver"], "Bronze")
    expected["revenue_cume_dist"] = share
    actual = read(db, "select * from vw_customer_ltv_segments")
    assert list(actual.columns)[:4] == ["customer_id", "lifetime_revenue",
                                        "orders", "ltv_tier"]
    assert_same(actual, expected, ["customer_id", "ltv_tier"],
                exact=["orders"], money=["lifetime_revenue"],
                rates=["revenue_cume_dist"])
    # monotone: Bronze < Silver < Gold < Platinum, ranges do not overlap
    order = ["Bronze", "Silver", "Gold", "Platinum"]
    ranges = actual.groupby("ltv_tier")["lifetime_revenue"].agg(
        ["min", "max"]).loc[order]
    assert (ranges["max"].iloc[:-1].to_numpy()
            < ranges["min"].iloc[1:].to_numpy()).all()
    assert (actual["ltv_tier_rank"]
            == actual["ltv_tier"].map(order.index) + 1).all()


def test_cohort_retention(db, base):
    completed = base["completed"]
    months = completed[["customer_id", "month"]].drop_duplicates()
    cohort = months.groupby("customer_id")["month"].min().rename(
        "cohort_month")
    months = months.join(cohort, on="customer_id")

    def offset(later, earlier):
        return ((later.dt.year - earlier.dt.year) * 12
                + later.dt.month - earlier.dt.month)
    months["months_since_first"] = offset(months["month"],
                                          months["cohort_month"])
    active = months.groupby(["cohort_month", "months_since_first"]).size() \
        .rename("active_customers")
    sizes = cohort.value_counts().rename("cohort_size")
    last = base["orders"]["month"].max()
    grid = pd.DataFrame(
        [(c, k) for c in sizes.index
         for k in range(offset(pd.Series([last]), pd.Series([c]))[0] + 1)],
        columns=["cohort_month", "months_since_first"])
    expected = (grid.join(sizes, on="cohort_month")
                .join(active, on=["cohort_month", "months_since_first"])
                .fillna({"active_customers": 0}))
    expected["retention_rate"] = (expected["active_customers"]
                                  / expected["cohort_size"])
    actual = as_timestamps(read(db, "select * from vw_cohort_retention"),
                           "cohort_month")
    for column in ["cohort_month", "months_since_first", "cohort_size",
                   "active_customers", "retention_rate"]:
        assert column in actual
    assert_same(actual, expected, ["cohort_month", "months_since_first"],
                exact=["cohort_size", "active_customers"],
                rates=["retention_rate"])
    # dense: every cohort runs up to the last month of data (zero cells are
    # shown by the hand-made warehouse of test_association_rules.py)
    reach = actual.groupby("cohort_month")["activity_month"].max()
    assert (pd.to_datetime(reach) == last).all()
    assert (actual.loc[actual["months_since_first"] == 0, "retention_rate"]
            == 1).all()


# --- baskets ----------------------------------------------------------------

@pytest.fixture(scope="module")
def pairs_expected(base):
    baskets = base["lines"][["order_id", "product_id"]].drop_duplicates()
    both = baskets.merge(baskets, on="order_id", suffixes=("_a", "_b"))
    both = both[both["product_id_a"] < both["product_id_b"]]
    pairs = both.groupby(["product_id_a", "product_id_b"]).size().rename(
        "orders_together").reset_index().rename(
        columns={"product_id_a": "product_a", "product_id_b": "product_b"})
    pairs = pairs[pairs["orders_together"] >= DEFAULTS["min_pair_orders"]]
    return pairs, baskets


def test_product_pairs(db, pairs_expected):
    expected, _ = pairs_expected
    actual = read(db, "select * from vw_product_pairs")
    assert list(actual.columns)[:3] == ["product_a", "product_b",
                                        "orders_together"]
    assert (actual["product_a"] < actual["product_b"]).all()
    assert actual["orders_together"].min() == DEFAULTS["min_pair_orders"]
    assert_same(actual, expected, ["product_a", "product_b"],
                exact=["orders_together"])


def test_product_association_rules(db, base, pairs_expected):
    pairs, baskets = pairs_expected
    n = len(base["completed"])
    with_product = baskets.groupby("product_id").size() / n
    forward = pairs.rename(columns={"product_a": "antecedent_id",
                                    "product_b": "consequent_id"})
    backward = pairs.rename(columns={"product_b": "antecedent_id",
                                     "product_a": "consequent_id"})
    rules = pd.concat([forward, backward], ignore_index=True)
    rules["antecedent_support"] = rules["antecedent_id"].map(with_product)
    rules["consequent_support"] = rules["consequent_id"].map(with_product)
    rules["support"] = rules["orders_together"] / n
    rules["confidence"] = rules["support"] / rules["antecedent_support"]
    rules["lift"] = rules["confidence"] / rules["consequent_support"]
    rules["leverage"] = (rules["support"] - rules["antecedent_support"]
                         * rules["consequent_support"])
    with np.errstate(divide="ignore"):
        rules["conviction"] = ((1 - rules["consequent_support"])
                               / (1 - rules["confidence"]))
    rules.loc[np.isclose(rules["confidence"], 1.0, rtol=0, atol=1e-12),
              "conviction"] = np.nan
    actual = read(db, "select * from vw_product_association_rules")
    assert list(actual.columns[:2]) == ["antecedent_id", "consequent_id"]
    assert_same(actual, rules, ["antecedent_id", "consequent_id"],
                exact=["orders_together"],
                rates=["antecedent_support", "consequent_support", "support",
                       "confidence", "lift", "leverage", "conviction"])


def test_planted_bundles_are_the_top_rules_by_lift(db, schema):
    bundles = read(db, f'select product_a, product_b from "{schema}_truth".'
                       "bundle")
    planted = {(a, b) for a, b in zip(bundles.product_a, bundles.product_b)}
    planted |= {(b, a) for a, b in planted}
    top = read(db, "select antecedent_id, consequent_id "
                   "from vw_product_association_rules "
                   "order by lift desc limit %s", [len(planted)])
    assert set(zip(top.antecedent_id, top.consequent_id)) == planted


# --- one revenue ----------------------------------------------------------------

REVENUE_TOTALS = {
    "vw_daily_revenue": "sum(net_revenue)",
    "vw_revenue_by_channel": "sum(net_revenue)",
    "vw_revenue_by_category": "sum(net_revenue)",
    "vw_category_margin_monthly": "sum(net_revenue)",
    "vw_customer_rfm_base": "sum(monetary)",
    "vw_customer_rfm_scores": "sum(monetary)",
    "vw_customer_ltv_segments": "sum(lifetime_revenue)",
}


@pytest.mark.parametrize("view", REVENUE_TOTALS)
def test_each_revenue_view_total_equals_the_base_total(db, base, view):
    total = db.execute(f"select {REVENUE_TOTALS[view]} from {view}") \
        .fetchone()[0]
    base_total = db.execute("""
        select sum(i.net_amount) from fact_order_item i
        join fact_order o using (order_id)
        where o.order_status = 'completed'""").fetchone()[0]
    assert total == base_total
    assert int(total.scaleb(2)) == base_net_cents(base)


def test_margin_views_agree_with_the_base_margin(db, base):
    expected = int(base["lines"]["margin_cents"].sum())
    for view in ["vw_daily_revenue", "vw_revenue_by_category",
                 "vw_category_margin_monthly"]:
        total = db.execute(f"select sum(gross_margin) from {view}") \
            .fetchone()[0]
        assert int(total.scaleb(2)) == expected, view


# --- the order totals that the data profile counts --------------------------

def test_order_totals_products_and_time_of_day(db, base):
    """int_order_totals' products (the distinct products of the order's
    lines) and has_time_of_day (order_ts not at midnight), per order."""
    orders = base["orders"]
    products = base["items"].groupby("order_id")["product_id"].nunique()
    expected = pd.DataFrame({
        "order_id": orders["order_id"],
        "products": orders["order_id"].map(products).fillna(0),
        "has_time_of_day": orders["order_ts"] != orders["order_date"]})
    actual = read(db, "select order_id, products, has_time_of_day "
                      "from int_order_totals")
    assert_same(actual, expected, ["order_id"],
                exact=["products", "has_time_of_day"])
    assert (actual["products"] >= 2).any() and (actual["products"] == 1).any()


def test_a_profile_read_scans_no_fact_table(db):
    """vw_data_profile, read by every chapter, is one stored row (issue 26:
    at scale 20 a read took 0.23 s as a plain view), and its query, run when
    a build or refresh makes it, counts the orders from their stored totals:
    no pass over fact_order or its lines (the join with the lines took most
    of a read's 2 s)."""
    def scanned(query):
        plan = "\n".join(row[0] for row in db.execute(
            "explain (costs off) " + query))
        return set(re.findall(r" on (\w+)", plan)), plan
    assert scanned("select * from vw_data_profile")[0] == {"vw_data_profile"}
    made, plan = scanned(maintain.query("044_vw_data_profile.sql"))
    assert "int_order_totals" in made
    assert not {name for name in made if name.startswith("fact_")}, plan


def test_an_index_only_a_refresh_reads_is_left_out_where_none_can_come():
    refreshed = _view_tasks("s", "042_int_repeat_pairs.sql",
                            "int_repeat_pairs")
    imported = _view_tasks("s", "042_int_repeat_pairs.sql",
                           "int_repeat_pairs", refreshed=False)
    assert set(refreshed) - set(imported) == {"int_repeat_pairs index 2"}
    # the grain's index stays, and every other view keeps all of its own
    assert "int_repeat_pairs index 1" in imported
    for name in VIEW_FILES:
        if name != "042_int_repeat_pairs.sql":
            view = view_name(name)
            assert _view_tasks("s", name, view, refreshed=False) \
                .keys() == _view_tasks("s", name, view).keys(), name
