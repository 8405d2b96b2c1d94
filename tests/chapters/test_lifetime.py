"""The lifetime value chapter's computations (datagen.chapters.lifetime),
without a database: the correlation from exact sums, the holdout by
frequency, the cumulative curve."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from datagen.chapters import lifetime
from datagen.models import clv

MODEL = clv.BgNbd(r=0.5, alpha=5.0, a=0.8, b=3.0, customers=0,
                  log_likelihood=0.0)


def sums(x, y) -> dict:
    x = [Decimal(int(v)) for v in x]
    y = [Decimal(str(v)) for v in y]
    return {"n": len(x), "sum_x": sum(x), "sum_y": sum(y),
            "sum_xy": sum(a * b for a, b in zip(x, y)),
            "sum_xx": sum(a * a for a in x), "sum_yy": sum(b * b for b in y)}


def test_the_correlation_from_sums_is_pearsons_in_any_order():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 20, 500)
    y = np.round(rng.gamma(2, 30, 500) + 2 * x, 6)
    expected = np.corrcoef(x, y)[0, 1]
    assert lifetime.correlation(sums(x, y)) == pytest.approx(expected,
                                                             rel=1e-12)
    order = rng.permutation(500)
    assert lifetime.correlation(sums(x[order], y[order])) == \
        lifetime.correlation(sums(x, y))
    assert lifetime.correlation(sums([2, 2, 2], [1, 5, 9])) is None
    assert lifetime.correlation(sums([1], [1])) is None


def test_the_holdout_pools_the_frequent_and_weights_by_customers():
    rows = pd.DataFrame({"frequency": [0, 1, 8, 12], "recency": [0, 5, 30, 40],
                         "tenure": [50, 50, 50, 50], "customers": [10, 4, 1, 3],
                         "holdout_purchases": [2, 4, 5, 9]})
    table = lifetime.holdout_by_frequency(rows, MODEL, 39)
    assert list(table.label) == ["0", "1", f"{lifetime.FREQUENCY_CAP}+"]
    assert list(table.customers) == [10, 4, 4]
    assert table.actual.tolist() == [0.2, 1.0, 14 / 4]
    each = clv.expected_purchases(39, MODEL, rows.frequency, rows.recency,
                                  rows.tenure)
    assert table.expected.iloc[2] == pytest.approx(
        (each[2] * 1 + each[3] * 3) / 4)


def test_the_cumulative_curve_ends_on_the_holdout_end_with_every_repeat():
    first_days = pd.DataFrame({"first_day": ["2024-01-01", "2024-02-10"],
                               "customers": [100, 50]})
    repeats = pd.DataFrame({"order_date": ["2024-01-05", "2024-03-01",
                                           "2024-12-30"],
                            "repeat_purchases": [3, 7, 2]})
    weekly = lifetime.cumulative_repeats(first_days, repeats, MODEL,
                                         "2024-12-31")
    assert weekly.week_end.iloc[-1] == pd.Timestamp("2024-12-31")
    assert weekly.actual.iloc[-1] == 12
    assert (np.diff(weekly.actual) >= 0).all()
    assert (np.diff(weekly.predicted) >= 0).all()
    # before the second cohort's first day only the first counts
    week = weekly.week_end.iloc[0]
    assert weekly.predicted.iloc[0] == pytest.approx(
        100 * clv.expected_purchases_unconditional(7 / 7, MODEL))
    assert week == pd.Timestamp("2024-01-07")
