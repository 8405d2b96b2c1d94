"""Every shape of export the mapping reads, imported end to end: each
line's outcome, the figures against an independent pandas computation
from the raw files under the mapping's rules, and what ``data_known``
says the data knows.

A fixture per shape (``fixtures/shapes/<shape>/``: the export's files and
its mapping, or a built-in one): line totals with a discount rate and a
profit; a purchase log aligned by blanks without a header; quantities
without prices; baskets without customers, dates or quantities; four
joined files with a status column; Shopify's and WooCommerce's exports
(built-in mappings, fixtures made from the platforms' documented
columns); a decimal comma in a latin-1 ``;`` file. Each test builds its
own small warehouse (about 2 s) and drops it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from datagen.params import parse_params
from datagen.warehouse import schemas
from datagen.warehouse.build import build
from datagen.warehouse.import_build import Source

SHAPES = Path(__file__).parent / "fixtures" / "shapes"
CENT = Decimal("0.01")


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def up(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_CEILING)


@dataclasses.dataclass(frozen=True)
class Shape:
    """An export, the mapping that reads it, what becomes of each line
    (None: imported), the pandas computation of its figures and what the
    warehouse must know and not know."""
    name: str
    lines_file: str
    outcomes: dict[int, str | None]
    figures: Callable[[Path], dict]
    known: frozenset[str]
    mapping: str = "mapping.toml"     # in the folder, or a built-in
    #: the column of the line totals, whose every imported line's
    #: net_amount is the total to the cent
    totals: str | None = None


def raw(folder: Path, name: str, **options) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False,
                       **options)


def summary(frame: pd.DataFrame, order: str, customer: str | None) -> dict:
    """Figures of the completed lines ``frame`` (its ``net`` column)."""
    return {"net_revenue": sum(frame["net"], Decimal(0)),
            "orders": frame[order].nunique(),
            "customers": (frame[customer].nunique() if customer
                          else frame[order].nunique())}


def line_totals(folder: Path) -> dict:
    df = raw(folder, "orders.csv")
    quantity = df["Quantity"].astype(int)
    rate = df["Discount"].map(Decimal)
    sales = df["Sales"].map(Decimal)
    kept = (df["Customer ID"] != "") & (quantity != 0) & (rate < 1) & \
        (sales > 0)
    df = df[kept].assign(net=sales[kept].map(cents))
    figures = summary(df, "Order ID", "Customer ID")
    # the cost: (net - profit) / quantity to the cent; margin = net - cost
    cost = [cents((n - Decimal(p)) / int(q)) * int(q) for n, p, q in
            zip(df["net"], df["Profit"], df["Quantity"])]
    figures["gross_margin"] = figures["net_revenue"] - sum(cost)
    return figures


def blank_aligned(folder: Path) -> dict:
    names = ["date", "time", "customer", "purchase", "item", "qty",
             "amount"]
    df = pd.read_csv(folder / "purchases.log", sep=r"\s+", header=None,
                     names=names, dtype=str)
    kept = ~df.duplicated() & (df["amount"].map(Decimal) > 0)
    df = df[kept].assign(net=df["amount"][kept].map(cents))
    return summary(df, "purchase", "customer")


def no_prices(folder: Path) -> dict:
    df = raw(folder, "lines.csv")
    kept = (df["quantity"].astype(int) != 0) & (df["user_id"] != "")
    df = df[kept].assign(net=Decimal(0))
    return {**summary(df, "order_id", "user_id"),
            "units": df["quantity"].astype(int).sum()}


def baskets(folder: Path) -> dict:
    df = raw(folder, "baskets.csv")
    kept = (df["basket"] != "") & (df["item"] != "") & ~df.duplicated()
    df = df[kept].assign(net=Decimal(0))
    return {**summary(df, "basket", None), "units": len(df)}


def joined(folder: Path) -> dict:
    lines = raw(folder, "order_lines.csv")
    orders = raw(folder, "orders.csv")
    df = lines.merge(orders, on="order_id", how="left")
    kept = (df["product_id"] != "99") & df["state"].isin(
        ["delivered", "returned", "canceled"])
    sold = df[kept & (df["state"] == "delivered")]
    sold = sold.assign(net=[int(q) * cents(p) for q, p in
                            zip(sold["qty"], sold["price"])])
    return summary(sold, "order_id", "customer_id")


def shopify(folder: Path) -> dict:
    df = raw(folder, "orders_export.csv").replace("", None)
    firsts = df.groupby("Name", sort=False)[
        ["Email", "Financial Status"]].transform("first")
    df = df.assign(**firsts)
    listed = ["paid", "partially_paid", "partially_refunded", "authorized",
              "refunded", "voided"]
    kept = df["Financial Status"].isin(listed) & df["Lineitem sku"].notna()
    sold = df[kept & df["Financial Status"].isin(listed[:4])]
    sold = sold.assign(
        net=[int(q) * cents(p) - cents(d) for q, p, d in zip(
            sold["Lineitem quantity"], sold["Lineitem price"],
            sold["Lineitem discount"])],
        customer=sold["Email"].fillna("guest " + sold["Name"]))
    return summary(sold, "Name", "customer")


def woocommerce(folder: Path) -> dict:
    df = raw(folder, "orders-export.csv")
    sold = df[df["status"].isin(["completed", "processing"])]
    sold = sold.assign(net=sold["item_total"].map(cents))
    figures = summary(sold, "order_number", "billing_email")
    # the unit price: item_subtotal / quantity rounded up to the cent
    figures["items_subtotal"] = sum(
        up(Decimal(s) / int(q)) * int(q) for s, q in
        zip(sold["item_subtotal"], sold["item_quantity"]))
    return figures


def decimal_comma(folder: Path) -> dict:
    df = raw(folder, "bestellungen.csv", sep=";", encoding="latin-1",
             thousands=".", decimal=",")

    def number(text: str) -> Decimal:
        return Decimal(text.replace(".", "").replace(",", ".") or "0")

    df = df.assign(net=[int(number(q)) * cents(number(p))
                        - cents(number(d)) for q, p, d in zip(
                            df["Menge"], df["Einzelpreis"], df["Rabatt"])])
    return summary(df, "Bestellnummer", "Kunde")


PRICES_TO_DATES = frozenset(
    {"prices", "dates", "quantities", "customers"})
SHAPES_TABLE = [
    Shape("line_totals", "orders.csv", {
        **dict.fromkeys(range(1, 12)), 12: "no customer", 13: "no price",
        14: "quantity is zero"}, line_totals,
        PRICES_TO_DATES | {"costs", "categories", "subcategories",
                           "customer_names", "places", "channels",
                           "discounts"}, totals="Sales"),
    Shape("blank_aligned", "purchases.log", {
        **dict.fromkeys(range(1, 9)), 6: "repeat of line 5",
        7: "price is zero or less"}, blank_aligned,
        PRICES_TO_DATES | {"times"}, totals="amount"),
    Shape("no_prices", "lines.csv", {
        **dict.fromkeys(range(1, 10)), 5: "quantity is zero",
        8: "no customer"}, no_prices,
        frozenset({"dates", "quantities", "customers", "categories"})),
    Shape("baskets", "baskets.csv", {
        **dict.fromkeys(range(1, 11)), 7: "repeat of line 6",
        8: "no product code", 10: "no order number"}, baskets,
        frozenset()),
    Shape("joined", "order_lines.csv", {
        **dict.fromkeys(range(1, 10)), 8: "not a product (99)",
        9: "status not listed (processing)"}, joined,
        PRICES_TO_DATES | {"times", "returns", "cancellations",
                           "categories", "subcategories",
                           "customer_names", "places"}),
    Shape("shopify", "orders_export.csv", {
        **dict.fromkeys(range(1, 9)), 5: "status not listed (pending)",
        7: "no product code"}, shopify,
        PRICES_TO_DATES | {"times", "returns", "cancellations", "channels",
                           "customer_names", "places", "discounts"},
        mapping="shopify-orders"),
    Shape("woocommerce", "orders-export.csv", {
        **dict.fromkeys(range(1, 8)), 5: "status not listed (on-hold)"},
        woocommerce,
        PRICES_TO_DATES | {"times", "returns", "cancellations",
                           "customer_names", "places", "discounts"},
        mapping="woocommerce-orders", totals="item_total"),
    Shape("decimal_comma", "bestellungen.csv", dict.fromkeys(range(1, 6)),
          decimal_comma, PRICES_TO_DATES | {"discounts"}),
]


def assert_totals_kept(conn, folder: Path, shape: Shape) -> None:
    """Each imported line's net_amount is its source total to the cent,
    its unit price the total before discount over the quantity rounded up
    (never below it), its discount zero or more."""
    if shape.name == "blank_aligned":
        totals = pd.read_csv(folder / shape.lines_file, sep=r"\s+",
                             header=None, dtype=str)[6]
    else:
        totals = raw(folder, shape.lines_file)[shape.totals]
    rows = conn.execute(
        "select lines.line_no, items.net_amount, items.discount_amount "
        "from source_line as lines join fact_order as orders "
        "on orders.order_number = lines.order_number "
        "join fact_order_item as items on items.order_id = orders.order_id "
        "and items.line_number = lines.line_number").fetchall()
    assert rows
    for line_no, net, discount in rows:
        assert net == cents(totals.iloc[line_no - 1]), line_no
        assert discount >= 0


def one(conn, query: str, schema: str):
    conn.execute(f"set search_path to {schema}, {schema}_import")
    return conn.execute(query).fetchone()[0]


@pytest.mark.parametrize("shape", SHAPES_TABLE, ids=lambda s: s.name)
def test_a_shape_imports_as_its_mapping_says(shape, pg_url):
    folder = SHAPES / shape.name
    mapping = (str(folder / shape.mapping) if shape.mapping.endswith(
        ".toml") else shape.mapping)
    schema = f"shape_{shape.name}"
    build(parse_params(schema=schema), url=pg_url, echo=lambda line: None,
          source=Source.open(folder / shape.lines_file, mapping))
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"set search_path to {schema}, {schema}_import")
            got = dict(conn.execute(
                "select line_no, reason from source_line order by line_no"
            ).fetchall())
            assert got == shape.outcomes
            expected = shape.figures(folder)
            figures = {
                "net_revenue": "select coalesce(sum(net_revenue), 0) from "
                               "vw_daily_revenue",
                "orders": "select count(*) from fact_order where "
                          "order_status = 'completed'",
                "customers": "select count(*) from vw_customer_rfm_base",
                "units": "select sum(quantity) from fact_order_item "
                         "join fact_order using (order_id) where "
                         "order_status = 'completed'",
                "gross_margin": "select sum(gross_margin) from "
                                "vw_daily_revenue",
                "items_subtotal": "select sum(items_subtotal) from "
                                  "fact_order where order_status = "
                                  "'completed'"}
            assert {name: one(conn, figures[name], schema)
                    for name in expected} == expected
            known = {name for name, is_known in conn.execute(
                "select capability, known from data_known") if is_known}
            assert known == shape.known
            assert one(conn, "select count(*) from quality_check where "
                       "not passed", schema) == 0
            if shape.totals:
                assert_totals_kept(conn, folder, shape)
            # every line accounted for; each imported one a row
            assert one(conn, "select count(*) from source_line where "
                       "outcome = 'imported'", schema) == one(
                conn, "select count(*) from fact_order_item", schema) == \
                sum(reason is None for reason in shape.outcomes.values())
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for name in (schema, schema + "_import"):
                schemas.drop_schema(conn, name)
