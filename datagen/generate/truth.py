"""What was planted, as the tables of ``<schema>_truth``.

Owns the truth schema's rows: each customer's persona, the personas' traits,
the bundles, the seasonal categories and the planted parameters. Only the
chapter that checks the methods reads them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..params import BuildParams
from . import planted
from .customers import NEVER, Customers
from .products import Catalogue


def truth_tables(params: BuildParams, cust: Customers,
                 cat: Catalogue) -> dict[str, pd.DataFrame]:
    """What was planted, for the chapter that checks the methods."""
    persona_rows = pd.DataFrame([
        {"persona": name, "share": p["share"],
         "repeat_orders_per_year": p["repeat_rate"],
         "mean_lines_per_order": 1 + p["extra_lines"],
         "price_sensitivity": p["price_sensitivity"],
         "promo_propensity": p["promo"],
         "mean_lifetime_days": p["lifetime"]}
        for name, p in planted.PERSONAS.items()])
    seasons = pd.DataFrame(
        [(category, month, multiplier)
         for category, peaks in planted.CATEGORY_SEASONS.items()
         for month, multiplier in peaks.items()],
        columns=["category", "peak_month", "multiplier"])
    parameters = pd.DataFrame([
        ("seed", params.seed, "seed of the generator"),
        ("scale", params.scale, "scale factor (1 = about 10,000 customers)"),
        ("start_date", params.start_date, "first day of the data"),
        ("end_date", params.end_date, "last day of the data"),
        ("annual_signup_growth", planted.ANNUAL_SIGNUP_GROWTH,
         "yearly growth of new sign-ups (fraction)"),
        ("annual_price_inflation", planted.ANNUAL_PRICE_INFLATION,
         "yearly growth of list prices (fraction)"),
        ("annual_cost_inflation", planted.ANNUAL_COST_INFLATION,
         "yearly growth of unit costs (fraction)"),
        ("bundle_order_share", planted.BUNDLE_ORDER_SHARE,
         "share of orders that contain a planted bundle"),
        ("cancel_rate", planted.CANCEL_RATE, "share of orders cancelled"),
        ("return_rate", planted.RETURN_RATE,
         "base share of orders returned (before persona and fashion)"),
    ], columns=["name", "value", "description"])
    return {
        "customer_persona": customer_persona(cust, params.start_date),
        "persona": persona_rows,
        "bundle": cat.bundles,
        "seasonal_category": seasons,
        "parameter": parameters,
    }


def customer_persona(cust: Customers, start: dt.date,
                     first: int = 0) -> pd.DataFrame:
    """The persona of each customer from index ``first`` on, and what the
    generator drew for them: the day of their first order and the last day
    they are active (null for one who never orders: both are drawn at
    sign-up, whatever the last day of the data, so a later build or a
    refresh gives the same), and their own rate of repeat orders a year
    (the persona's times a factor of their own)."""
    personas = list(planted.PERSONAS)
    ordered = cust.first_day[first:] < NEVER

    def day(index: np.ndarray) -> pd.Series:
        days = pd.Series(pd.Timestamp(start) + pd.to_timedelta(
            np.where(ordered, index, 0), unit="D")).dt.date
        return days.where(ordered, None)
    return pd.DataFrame({
        "customer_id": cust.table["customer_id"].to_numpy()[first:],
        "persona": [personas[p] for p in cust.persona[first:]],
        "first_order_day": day(cust.first_day[first:]),
        "last_active_day": day(cust.end_day[first:] - 1),
        "repeat_orders_per_year": cust.rate[first:].astype(float)})

