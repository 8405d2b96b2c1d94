"""The customer lifetime value chapter's computations: the fitted models
read back from ``clv_model_parameters`` and checked on the holdout.

- ``models``: the BG/NBD and Gamma-Gamma parameters of the table (None
  where a model was not fitted);
- ``holdout_by_frequency``: expected against actual purchases in the
  holdout, customers grouped by their repeat purchases in the calibration
  (FHL 2005, figure 3);
- ``correlation``: Pearson's r from exact sums (the same on a cluster);
- ``cumulative_repeats``: repeat purchases week by week, actual against
  what the model expects of customers who first bought on those days
  (FHL 2005, figure 2), through the calibration and the holdout.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pandas as pd

from ..models import clv

#: calibration frequencies shown one by one; more are pooled as "7+"
FREQUENCY_CAP = 7
#: the largest correlation of frequency and mean spend that the chapter
#: calls weak enough for the Gamma-Gamma model (the CDNOW sample, on which
#: Fader & Hardie fit it, has 0.114: tests/models/test_clv_warehouse.py; a
#: correlation under 0.3 leaves over 90% of the spread of spend unexplained
#: by frequency)
WEAK_CORRELATION = 0.3


def models(parameters: pd.DataFrame
           ) -> tuple[clv.BgNbd | None, clv.GammaGamma | None]:
    """The models of ``clv_model_parameters`` (its rows as a frame)."""
    found = []
    for model, kind, names in (("bg/nbd", clv.BgNbd, ("r", "alpha", "a",
                                                      "b")),
                               ("gamma-gamma", clv.GammaGamma,
                                ("p", "q", "gamma"))):
        rows = parameters[parameters.model == model]
        if rows.empty:
            found.append(None)
            continue
        value = dict(zip(rows.parameter, rows.value.astype(float)))
        found.append(kind(**{name: value[name] for name in names},
                          customers=int(rows.customers.iloc[0]),
                          log_likelihood=value["log_likelihood"]))
    return found[0], found[1]


def correlation(sums) -> float | None:
    """Pearson's correlation from exact sums (``n``, ``sum_x``, ``sum_y``,
    ``sum_xy``, ``sum_xx``, ``sum_yy``, as Decimals or ints), computed
    exactly and rounded once; None when either variable is constant or
    there are fewer than two rows."""
    with localcontext() as context:
        context.prec = 60  # exact for sums of this size
        n, sx, sy, sxy, sxx, syy = (
            None if sums[name] is None else Decimal(str(sums[name]))
            for name in ("n", "sum_x", "sum_y", "sum_xy", "sum_xx",
                         "sum_yy"))
        if n is None or n < 2:
            return None
        spread_x, spread_y = n * sxx - sx * sx, n * syy - sy * sy
        if spread_x <= 0 or spread_y <= 0:
            return None
        return float((n * sxy - sx * sy) / (spread_x * spread_y).sqrt())


def holdout_by_frequency(rows: pd.DataFrame, params: clv.BgNbd,
                         holdout_weeks: float) -> pd.DataFrame:
    """``rows``: distinct (frequency, recency, tenure) with their
    ``customers`` and ``holdout_purchases`` (summed). One row per
    calibration frequency (``FREQUENCY_CAP`` and more pooled): customers,
    and the mean purchases per customer in the holdout, actual and
    expected."""
    expected = clv.expected_purchases(holdout_weeks, params, rows.frequency,
                                      rows.recency, rows.tenure)
    frame = pd.DataFrame({
        "frequency": np.minimum(rows.frequency.astype(int), FREQUENCY_CAP),
        "customers": rows.customers.astype(int),
        "actual": rows.holdout_purchases.astype(float),
        "expected": expected * rows.customers.astype(float)})
    grouped = frame.groupby("frequency", as_index=False).sum()
    grouped["actual"] /= grouped.customers
    grouped["expected"] /= grouped.customers
    grouped["label"] = [f"{f}+" if f == FREQUENCY_CAP else str(f)
                        for f in grouped.frequency]
    return grouped


def cumulative_repeats(first_days: pd.DataFrame, repeats: pd.DataFrame,
                       params: clv.BgNbd, holdout_end) -> pd.DataFrame:
    """Week by week from the first customer's first purchase to
    ``holdout_end``: the repeat purchases made to the end of each week
    (``repeats``: repeat purchases per ``order_date``) against those the
    model expects of the customers (``first_days``: customers per
    ``first_day``), each from their own first day (E[X(t)], eq. 7)."""
    first = pd.to_datetime(first_days.first_day)
    start, end = first.min(), pd.Timestamp(holdout_end)
    week_ends = pd.date_range(start + pd.Timedelta(days=6), end, freq="7D")
    if len(week_ends) == 0 or week_ends[-1] < end:
        week_ends = week_ends.append(pd.DatetimeIndex([end]))
    # t: weeks from each first day to the end of each week (its day
    # included: a customer who first bought on that day has had one day)
    ages = ((week_ends.to_numpy()[:, None] - first.to_numpy()[None, :])
            / np.timedelta64(1, "D") + 1) / clv.WEEK
    expected = clv.expected_purchases_unconditional(
        np.clip(ages, 0, None), params) * (ages > 0)
    predicted = expected @ first_days.customers.to_numpy(dtype=float)
    days = pd.to_datetime(repeats.order_date)
    made = repeats.repeat_purchases.to_numpy(dtype=float)
    actual = np.array([made[days <= week].sum() for week in week_ends])
    return pd.DataFrame({"week_end": week_ends, "actual": actual,
                         "predicted": predicted})
