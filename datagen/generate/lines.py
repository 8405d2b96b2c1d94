"""Order lines and order amounts, one block of orders at a time.

Owns what is in each basket (products chosen by persona, price, season and
availability, plus the planted bundles), quantities, prices and costs at the
time of sale, promotions, shipping, tax and order status. Every random number
of an order or a line sits at a stream position fixed by its order id or its
global line number, so blocks of any size give the same rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dates, planted, rng
from .customers import PERSONAS, Customers, codes
from .orders import Orders, channels
from .products import Catalogue

STATUSES = ["completed", "cancelled", "returned"]


@dataclasses.dataclass
class LinePlan:
    """Everything ``block`` needs to draw the lines and amounts of any block
    of orders: the timed orders, the customers, the catalogue and the
    per-day and per-month tables, computed once per build."""
    seed: int
    start: dt.date
    n_days: int                    # days of the data: statuses as of the last
    orders: Orders
    customers: Customers
    catalogue: Catalogue
    lines_per_order: np.ndarray    # regular (non-bundle) lines of each order
    line_offset: np.ndarray        # global index of each order's first line
    month: np.ndarray              # month index of each day
    weights: np.ndarray            # (persona * months + month, product)
    price_index: np.ndarray        # price level of each day
    cost_index: np.ndarray         # cost level of each day
    promo_boost: np.ndarray        # promotion multiplier of each day

    @property
    def n_months(self) -> int:
        return int(self.month[-1]) + 1

    @property
    def end(self) -> np.datetime64:
        """The end of the last day: what comes later has not happened."""
        return np.datetime64(self.start, "s") + np.timedelta64(self.n_days,
                                                               "D")


def prepare(seed: int, start: dt.date, end: dt.date, orders: Orders,
            customers: Customers, catalogue: Catalogue) -> LinePlan:
    n_days = (end - start).days + 1
    persona = customers.persona[orders.customer]
    extra = np.array([planted.PERSONAS[p]["extra_lines"] for p in PERSONAS])
    u = rng.uniforms(seed, rng.LINE_COUNTS, 0, len(orders), 1)[:, 0]
    lines = np.minimum(1 + rng.grouped_poisson(u, persona, extra),
                       planted.MAX_LINES)
    offset = np.concatenate([[0], np.cumsum(lines)[:-1]])
    month = dates.month_index(start, end)
    days = dates.days(start, end)
    return LinePlan(
        seed, start, n_days, orders, customers, catalogue, lines, offset, month,
        product_weights(catalogue, start, month, days),
        dates.price_level(start, end, planted.ANNUAL_PRICE_INFLATION),
        dates.price_level(start, end, planted.ANNUAL_COST_INFLATION),
        np.where(dates.black_friday_window(days),
                 planted.BLACK_FRIDAY_PROMO_BOOST, 1.0),
    )


def product_weights(catalogue: Catalogue, start: dt.date, month: np.ndarray,
                    days: pd.DatetimeIndex) -> np.ndarray:
    """Choice weights of each product by persona and month of the period (a
    product is chosen in the months it is sold through, whole calendar
    months, so a month's weights do not depend on where the data ends)."""
    products = catalogue.products
    n_months = int(month[-1]) + 1
    month_first, month_last = dates.month_bounds(start, n_months)
    available = ((catalogue.launch_day[None, :] <= month_first[:, None])
                 & (catalogue.end_day[None, :] > month_last[:, None]))
    month_of_year = days.month.to_numpy()[month_first]
    season = np.ones((n_months, len(products)))
    for category, peaks in planted.CATEGORY_SEASONS.items():
        in_category = (products["category"] == category).to_numpy()
        for m, multiplier in peaks.items():
            season[np.ix_(month_of_year == m, in_category)] = multiplier
    price = products["list_price"].to_numpy(float)
    log_price = np.log(price / np.median(price))
    rows = []
    for persona in PERSONAS:
        sensitivity = planted.PERSONAS[persona]["price_sensitivity"]
        pref = catalogue.popularity * np.exp(-sensitivity * log_price)
        rows.append(pref[None, :] * season * available)
    return np.vstack(rows)


@dataclasses.dataclass
class Block:
    """One block of orders as Arrow tables (money in integer cents)."""
    orders: pa.Table       # fact_order rows, money in cents
    items: pa.Table        # fact_order_item rows, money in cents


def block(plan: LinePlan, first: int, stop: int) -> Block:
    """Orders with index ``first .. stop-1`` (order_id = index + 1)."""
    o, c, cat = plan.orders, plan.customers, plan.catalogue
    n = stop - first
    idx = np.arange(first, stop)
    cust = o.customer[first:stop]
    day = o.day[first:stop]
    persona = c.persona[cust]
    uo = order_uniforms(plan, first, stop)

    counts = plan.lines_per_order[first:stop]
    # (a block may be empty: a refresh of days without an order)
    line_start = (int(plan.line_offset[first])
                  if first < len(plan.line_offset) else 0)
    ul = rng.uniforms(plan.seed, rng.LINES, line_start, int(counts.sum()), 2)
    line_order, product, quantity, seq = basket(plan, persona, day, counts,
                                                ul, uo)

    # one line per product in an order: keep the first, number the lines
    keep = first_of_each_product(line_order, product, seq)
    line_order, product, quantity = line_order[keep], product[keep], \
        quantity[keep]
    starts = np.searchsorted(line_order, np.arange(n))
    line_number = np.arange(len(line_order)) - starts[line_order] + 1

    # prices and costs at the time of sale, in cents
    line_day = day[line_order]
    list_cents = cat.products["list_price"].to_numpy()[product]
    cost_cents = cat.products["unit_cost"].to_numpy()[product]
    unit_price = np.rint(list_cents * plan.price_index[line_day]).astype(
        np.int64)
    unit_cost = np.rint(cost_cents * plan.cost_index[line_day]).astype(
        np.int64)
    gross = quantity * unit_price

    # promotions: a percentage off every line of the order
    promo_share = np.array([planted.PERSONAS[p]["promo"] for p in PERSONAS])
    promo_p = np.minimum(promo_share[persona] * plan.promo_boost[day],
                         planted.PROMO_SHARE_CAP)
    percent = np.where(uo[:, 0] < promo_p, np.asarray(planted.PROMO_PERCENTS)[
        rng.choice(uo[:, 1], planted.PROMO_PERCENT_PROBS)], 0)
    line_discount = (gross * percent[line_order] + 50) // 100
    net = gross - line_discount

    subtotal = np.bincount(line_order, gross, minlength=n).astype(np.int64)
    discount = np.bincount(line_order, line_discount, minlength=n).astype(
        np.int64)
    after = subtotal - discount
    express = uo[:, 4] < planted.EXPRESS_SHARE
    shipping = np.where(express, planted.EXPRESS_SHIPPING_CENTS, np.where(
        after >= planted.FREE_SHIPPING_FROM_CENTS, 0,
        planted.STANDARD_SHIPPING_CENTS))
    tax = (after * c.tax_bp_at(cust, day) + 5000) // 10000
    total = after + shipping + tax

    # status: the fate that has happened by the end of the last day (an
    # order to be returned later is completed today)
    ts = order_ts(plan, first, stop)
    fate, changed_at = fates(plan, persona, holds_fashion(
        plan, line_order, product, n), uo, ts)
    status = np.where((fate > 0) & (changed_at < plan.end), fate, 0)
    cancelled_ts = pa.array(changed_at, mask=status != 1)
    returned_ts = pa.array(changed_at, mask=status != 2)
    date_key = _date_keys(plan.start, day)
    order_id = idx + 1
    ids = pa.array(order_id)
    orders = pa.table({
        "order_id": ids,
        "order_number": codes("SO-", ids, 9),
        "customer_id": cust + 1,
        "channel_id": channels(plan.seed, c, cust, o.event[first:stop]) + 1,
        "order_date_key": date_key,
        "order_ts": ts,
        "order_status": pc.take(pa.array(STATUSES), pa.array(status)),
        "cancelled_ts": cancelled_ts,
        "returned_ts": returned_ts,
        "items_subtotal": subtotal,
        "discount_amount": discount,
        "shipping_amount": shipping,
        "tax_amount": tax,
        "order_total": total,
    })
    items = pa.table({
        "order_id": order_id[line_order],
        "line_number": line_number,
        "customer_id": cust[line_order] + 1,
        "order_date_key": date_key[line_order],
        "product_id": product + 1,
        "quantity": quantity,
        "unit_price": unit_price,
        "unit_cost": unit_cost,
        "discount_amount": line_discount,
        "net_amount": net,
    })
    return Block(orders, items)


def order_uniforms(plan: LinePlan, first: int, stop: int) -> np.ndarray:
    """The uniforms of orders ``first .. stop-1``: promotion (0, 1),
    bundle (2, 3), express shipping (4), fate (5) and its wait (6, 7)."""
    return rng.uniforms(plan.seed, rng.ORDER_AMOUNTS, first, stop - first, 8)


def order_ts(plan: LinePlan, first: int, stop: int) -> np.ndarray:
    """When orders ``first .. stop-1`` were placed (datetime64[s])."""
    o = plan.orders
    return (np.datetime64(plan.start, "s")
            + o.day[first:stop].astype("timedelta64[D]")
            + o.second[first:stop].astype("timedelta64[s]"))


def first_of_each_product(line_order: np.ndarray, product: np.ndarray,
                          seq: np.ndarray) -> np.ndarray:
    """The lines to keep, in (order, draw) order: of the lines of one order
    with the same product, the first drawn (``seq``, distinct)."""
    grouped = np.lexsort((seq, line_order))
    order, chosen = line_order[grouped], product[grouped]
    # an order holds few lines: compare each with the ones before it
    most = int(np.bincount(order).max()) if len(order) else 0
    dup = np.zeros(len(grouped), dtype=bool)
    for lag in range(1, most):
        dup[lag:] |= ((order[lag:] == order[:-lag])
                      & (chosen[lag:] == chosen[:-lag]))
    return grouped[~dup]


def basket(plan: LinePlan, persona: np.ndarray, day: np.ndarray,
           counts: np.ndarray, ul: np.ndarray, uo: np.ndarray):
    """What is put in the baskets of some orders (their persona, day and
    regular lines, ``ul`` the uniforms of those lines, ``uo`` the orders'),
    before a product put in twice is dropped: each line's order (its
    position among these orders), product index, quantity and draw order.
    Regular lines choose a product by (persona, month) weights and a
    quantity; a planted bundle adds both its products, quantity one."""
    n_lines = len(ul)
    line_order = np.repeat(np.arange(len(counts)), counts)
    group = persona[line_order] * plan.n_months + plan.month[
        day[line_order]]
    product = rng.grouped_choice(ul[:, 0], group, plan.weights)
    quantity = rng.choice(ul[:, 1], planted.QUANTITY_PROBS) + 1
    seq = np.arange(n_lines)

    bundles = plan.catalogue.bundles
    has_bundle = uo[:, 2] < planted.BUNDLE_ORDER_SHARE
    bundle = rng.choice(uo[:, 3], np.ones(len(bundles)))[has_bundle]
    b_order = np.flatnonzero(has_bundle)
    pairs = bundles[["product_a", "product_b"]].to_numpy() - 1
    line_order = np.concatenate([line_order, b_order, b_order])
    product = np.concatenate([product, pairs[bundle, 0], pairs[bundle, 1]])
    quantity = np.concatenate([quantity, np.ones(2 * len(b_order), int)])
    seq = np.concatenate([seq, n_lines + np.arange(2 * len(b_order))])
    return line_order, product, quantity, seq


def holds_fashion(plan: LinePlan, line_order: np.ndarray,
                  product: np.ndarray, n: int) -> np.ndarray:
    """Whether each of ``n`` orders has a Fashion line."""
    category = plan.catalogue.products["category"].to_numpy()
    return np.bincount(line_order, category[product] == "Fashion",
                       minlength=n) > 0


def fates(plan: LinePlan, persona: np.ndarray, has_fashion: np.ndarray,
          uo: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each order's fate (0 kept, 1 cancelled, 2 returned: returns more
    often with fashion, by persona) and when it comes, whether by the last
    day or after it: a cancellation before shipping, a return after
    delivery (for a kept order, when it would have been returned)."""
    return_factor = np.array([planted.PERSONAS[p]["return_factor"]
                              for p in PERSONAS])[persona]
    return_p = planted.RETURN_RATE * return_factor * np.where(
        has_fashion, planted.FASHION_RETURN_FACTOR, 1.0)
    fate = np.where(uo[:, 5] < planted.CANCEL_RATE, 1, np.where(
        uo[:, 5] < planted.CANCEL_RATE + return_p, 2, 0))
    cancel_wait = np.floor(uo[:, 6] * planted.CANCEL_WITHIN_HOURS * 3600)
    return_wait = planted.RETURN_AFTER_DAYS * 86400 + np.floor(np.minimum(
        rng.exponential(uo[:, 7], planted.RETURN_MEAN_WAIT_DAYS),
        planted.RETURN_WINDOW_DAYS - planted.RETURN_AFTER_DAYS) * 86400)
    changed_at = ts + np.where(fate == 1, cancel_wait, return_wait).astype(
        "timedelta64[s]")
    return fate, changed_at


def _date_keys(start: dt.date, day: np.ndarray) -> np.ndarray:
    """The yyyymmdd key of each day index (looked up per distinct day)."""
    days = np.arange(int(day.max()) + 1 if len(day) else 0)
    d = pd.DatetimeIndex(np.datetime64(start, "D") + days.astype(
        "timedelta64[D]"))
    keys = (d.year * 10_000 + d.month * 100 + d.day).to_numpy(np.int64)
    return keys[day]
