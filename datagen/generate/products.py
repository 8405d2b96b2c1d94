"""The product catalogue and the planted bundles.

Owns ``dim_product`` (250 products over the categories of ``planted.CATALOGUE``)
and the choice of which products form the planted bundles. Prices and costs
are held in integer cents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from . import dates, planted, rng


@dataclasses.dataclass
class Catalogue:
    products: pd.DataFrame          # dim_product rows, money in cents
    popularity: np.ndarray          # relative popularity of each product
    launch_day: np.ndarray          # day index of launch (may be < 0)
    end_day: np.ndarray             # first day no longer sold (int32 max: never)
    bundles: pd.DataFrame           # bundle_id, product_a, product_b, name
    n_days: int                     # days of the data
    start: dt.date                  # the first of them

    def dim_product(self) -> pd.DataFrame:
        """dim_product as of the last day."""
        return self.as_of(self.n_days - 1)

    def as_of(self, day: int) -> pd.DataFrame:
        """dim_product as of day ``day``: the products launched by then, at
        that day's list price and unit cost, active unless discontinued."""
        table = self.products[self.launch_day <= day].copy()
        for column, rate in (("list_price", planted.ANNUAL_PRICE_INFLATION),
                             ("unit_cost", planted.ANNUAL_COST_INFLATION)):
            level = dates.price_level(self.start, self.start + dt.timedelta(
                days=day), rate)[-1]
            table[column] = np.rint(table[column] * level).astype(np.int64)
        table["is_active"] = self.end_day[table.index] > day
        return table.reset_index(drop=True)

    def change_days(self, first: int, stop: int) -> list[int]:
        """The days of ``first .. stop-1`` on which ``as_of`` may differ
        from the day before: the first day of the data, the first of each
        month (prices are reviewed), a launch, a discontinuation. On any
        other day dim_product is the day before's."""
        month = dates.month_index(self.start, self.start + dt.timedelta(
            days=stop))
        may_change = np.r_[True, month[1:] != month[:-1]]
        for day in (self.launch_day, self.end_day):
            may_change[day[(day >= 0) & (day <= stop)]] = True
        return (np.flatnonzero(may_change[first:stop]) + first).tolist()


def _subcategory_table() -> pd.DataFrame:
    rows = []
    for category, (cost_ratio, subs) in planted.CATALOGUE.items():
        for name, (lo, hi, weight, noun) in subs.items():
            rows.append((category, name, lo, hi, weight, noun, cost_ratio))
    return pd.DataFrame(rows, columns=["category", "subcategory", "lo", "hi",
                                       "weight", "noun", "cost_ratio"])


def products_per_subcategory(subs: pd.DataFrame, total: int) -> np.ndarray:
    """Split ``total`` products over subcategories by weight (largest
    remainder), at least one each."""
    share = subs["weight"].to_numpy(float)
    exact = share / share.sum() * (total - len(subs))
    counts = np.floor(exact).astype(int) + 1
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def generate(seed: int, start: dt.date, end: dt.date) -> Catalogue:
    n_days = (end - start).days + 1
    subs = _subcategory_table()
    counts = products_per_subcategory(subs, planted.PRODUCTS)
    table = subs.loc[subs.index.repeat(counts)].reset_index(drop=True)
    n = len(table)
    u = rng.uniforms(seed, rng.PRODUCTS, 0, n, 9)

    # prices: log-uniform in the subcategory's range, ending in .99 or .49
    lo, hi = table["lo"].to_numpy(float), table["hi"].to_numpy(float)
    dollars = np.floor(np.exp(np.log(lo) + u[:, 0] * np.log(hi / lo)))
    list_cents = (dollars * 100 + np.where(u[:, 1] < 0.7, 99, 49)).astype(
        np.int64)
    cost_ratio = table["cost_ratio"].to_numpy() * (0.85 + 0.3 * u[:, 2])
    cost_cents = np.rint(list_cents * cost_ratio).astype(np.int64)

    # names: brand + adjective + noun, sku by category
    brand = np.asarray(planted.BRANDS)[rng.choice(u[:, 3], np.ones(
        len(planted.BRANDS)))]
    adjective = np.asarray(planted.ADJECTIVES)[rng.choice(u[:, 4], np.ones(
        len(planted.ADJECTIVES)))]
    name = [f"{b} {a} {noun}" for b, a, noun in
            zip(brand, adjective, table["noun"])]
    prefix = table["category"].str.replace(r"[^A-Za-z]", "", regex=True
                                           ).str[:3].str.upper()
    sku = [f"{p}-{i + 1:05d}" for i, p in enumerate(prefix)]

    # life cycle: most launched before the start, some after it; a few
    # discontinued (days from the start date, whatever the last day)
    launched_in_period = u[:, 5] < planted.LAUNCHED_IN_PERIOD_SHARE
    launch_day = np.where(
        launched_in_period,
        np.floor(u[:, 6] * planted.LAUNCH_SPREAD_DAYS).astype(int),
        -1 - np.floor(u[:, 6] * 1500).astype(int))
    discontinued = (u[:, 7] < planted.DISCONTINUED_SHARE) & ~launched_in_period
    never = np.iinfo(np.int32).max
    end_day = np.where(
        discontinued,
        planted.DISCONTINUED_BY_DAY - np.floor(
            u[:, 7] / planted.DISCONTINUED_SHARE * 365).astype(int),
        never)
    launch_date = pd.Timestamp(start) + pd.to_timedelta(launch_day, unit="D")

    # popularity: each subcategory's demand (its weight) shared among its
    # products by a Zipf-like law over a random ranking within it, so a
    # best seller leads its own shelf, not the whole shop
    sub = table["subcategory"].to_numpy()
    order = np.lexsort((u[:, 8], sub))
    rank = np.empty(n, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sub[order][1:] != sub[order][:-1]])
    sizes = np.diff(np.r_[starts, n])
    rank[order] = np.arange(n) - np.repeat(starts, sizes) + 1
    zipf = rank.astype(float) ** -planted.POPULARITY_EXPONENT
    shelf = pd.Series(zipf).groupby(sub).transform("sum").to_numpy()
    popularity = table["weight"].to_numpy(float) * zipf / shelf

    # the catalogue's prices are those of the start date; dim_product shows
    # the products launched by the last day, at that day's prices
    products = pd.DataFrame({
        "product_id": np.arange(1, n + 1),
        "sku": sku,
        "product_name": name,
        "category": table["category"],
        "subcategory": table["subcategory"],
        "brand": brand,
        "unit_cost": cost_cents,
        "list_price": list_cents,
        "launch_date": launch_date.date,
        "is_active": end_day >= n_days,
    })
    always_sold = (launch_day < 0) & ~discontinued
    bundles = _bundles(products, popularity * always_sold)
    return Catalogue(products, popularity, launch_day, end_day, bundles,
                     n_days, start)


def _bundles(products: pd.DataFrame, popularity: np.ndarray) -> pd.DataFrame:
    """One bundle per subcategory pair: of each subcategory, the product of
    median popularity among those launched before the start and never
    discontinued (``popularity`` is zero for the others), so that bundles
    are neither the best sellers nor rarities."""
    rows = []
    for i, (sub_a, sub_b) in enumerate(planted.BUNDLE_SUBCATEGORIES, start=1):
        pick = []
        for sub in (sub_a, sub_b):
            idx = np.flatnonzero((products["subcategory"].to_numpy() == sub)
                                 & (popularity > 0))
            ranked = idx[np.argsort(-popularity[idx], kind="stable")]
            pick.append(int(products["product_id"].iloc[
                ranked[len(ranked) // 2]]))
        a, b = sorted(pick)
        rows.append((i, a, b, f"{sub_a} + {sub_b}"))
    return pd.DataFrame(rows, columns=["bundle_id", "product_a", "product_b",
                                       "bundle_name"])
