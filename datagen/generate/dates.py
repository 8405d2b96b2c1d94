"""The data period's calendar: ``dim_date`` and the daily rhythm of demand.

Owns everything that depends only on the dates of the data period: the date
dimension, the relative order intensity of each day (month, weekday, Black
Friday), and the price and cost index of each day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import planted


def days(start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="D")


def dim_date(start: dt.date, end: dt.date) -> pd.DataFrame:
    d = days(start, end)
    iso = d.isocalendar()
    return pd.DataFrame({
        "date_key": (d.year * 10_000 + d.month * 100 + d.day).astype("int64"),
        "full_date": d.date,
        "year": d.year,
        "quarter": d.quarter,
        "month": d.month,
        "month_name": d.month_name(),
        "day_of_month": d.day,
        "iso_day_of_week": iso["day"].to_numpy(),
        "day_name": d.day_name(),
        "iso_week": iso["week"].to_numpy(),
        "is_weekend": iso["day"].to_numpy() >= 6,
    })


def black_friday_window(d: pd.DatetimeIndex) -> np.ndarray:
    """True from Black Friday (the day after the 4th Thursday of November)
    to Cyber Monday."""
    in_nov = d.month == 11
    # 4th Thursday is day 22..28; Black Friday 23..29; Cyber Monday 26..Dec 2
    first = pd.to_datetime(pd.DataFrame({"year": d.year, "month": 11,
                                         "day": 1}))
    thursday_offset = (3 - first.dt.day_of_week) % 7
    black_friday = first + pd.to_timedelta(thursday_offset + 22, unit="D")
    delta = (d - pd.DatetimeIndex(black_friday)).days
    return np.asarray((delta >= 0) & (delta <= 3) & (in_nov | (d.month == 12)))


def intensity(start: dt.date, end: dt.date, promo_boost: float = 1.0
              ) -> np.ndarray:
    """Relative order intensity of each day, mean about 1 over a year."""
    d = days(start, end)
    month = np.asarray(planted.MONTH_INTENSITY)[d.month - 1]
    weekday = np.asarray(planted.WEEKDAY_INTENSITY)[d.day_of_week]
    boost = np.where(black_friday_window(d),
                     planted.BLACK_FRIDAY_BOOST * promo_boost, 1.0)
    norm = np.mean(planted.MONTH_INTENSITY) * np.mean(planted.WEEKDAY_INTENSITY)
    return month * weekday * boost / norm


def cumulative(values: np.ndarray) -> np.ndarray:
    """``C[0] = 0, C[i+1] = C[i] + values[i]``: day i covers (C[i], C[i+1]]."""
    return np.concatenate([[0.0], np.cumsum(values)])


def price_level(start: dt.date, end: dt.date, annual_rate: float
                ) -> np.ndarray:
    """Price level of each day relative to the start month: prices are
    reviewed on the first of each month, by a twelfth of the yearly rate
    (compounded), so a product's price changes once a month, and a day's
    level never depends on where the data ends."""
    return (1.0 + annual_rate) ** (month_index(start, end) / 12)


def month_bounds(start: dt.date, n_months: int) -> tuple[np.ndarray,
                                                          np.ndarray]:
    """Day index of the first and the last day of each calendar month from
    the start month (the last month whole, wherever the data ends)."""
    first = pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp(),
                          periods=n_months + 1, freq="MS")
    offsets = np.asarray((first - pd.Timestamp(start)).days)
    return np.maximum(offsets[:-1], 0), offsets[1:] - 1


def month_index(start: dt.date, end: dt.date) -> np.ndarray:
    """Months since the start month, for each day."""
    d = days(start, end)
    return np.asarray((d.year - start.year) * 12 + d.month - start.month)
