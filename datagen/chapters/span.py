"""Charts that fit the data's span: month axes, and periods the data
covers only in part.

Owns how a chart over time treats its calendar. ``month_axis`` ticks an
axis of months at whole months (never at days or hours between them);
``whole_months`` and ``whole_quarters`` keep the periods the data covers
whole and say, in one sentence, which were left out and how much of each
the data covers, so that a month of fifteen days is never drawn as a drop
(the profile's ``first_day`` and ``last_day``: ``needs.Profile``).
"""

from __future__ import annotations

import pandas as pd

from .formats import listing, month
from .needs import Profile

#: the most ticks a month axis gets; its step is a whole number of months
MAX_MONTH_TICKS = 12
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60)


def month_axis(fig, months: int, max_ticks: int = MAX_MONTH_TICKS,
               every: int = 1, **where) -> None:
    """Tick ``fig``'s x axis (``where``: ``row=``, ``col=``) at whole
    months, at most ``max_ticks`` of them over ``months`` months (a chart
    beside another: fewer), every ``every`` months or a multiple of it
    (quarters: 3), labelled ``Jan 2024``."""
    step = next((s for s in MONTH_STEPS if s % every == 0
                 and months / s <= max_ticks), MONTH_STEPS[-1])
    fig.update_xaxes(dtick=f"M{step}", tickformat="%b %Y", **where)


def _covered(profile: Profile, first: pd.Timestamp, last: pd.Timestamp
             ) -> int:
    """Days of [first, last] inside the data period."""
    start = max(first, pd.Timestamp(profile.day("first_day")))
    end = min(last, pd.Timestamp(profile.day("last_day")))
    return max((end - start).days + 1, 0)


def _partial_note(profile: Profile, periods: list[pd.Timestamp],
                  length, name: str) -> str | None:
    if not periods:
        return None
    parts = []
    for start in periods:
        end = start + length - pd.Timedelta(days=1)
        days = (end - start).days + 1
        parts.append(f"{name(start)} ({_covered(profile, start, end)} of its"
                     f" {days} days)")
    verb = "is" if len(parts) == 1 else "are"
    return (f"{listing(parts)} {verb} left out: the data covers "
            f"{'it' if len(parts) == 1 else 'them'} only in part.")


def whole_months(frame: pd.DataFrame, column: str, profile: Profile
                 ) -> tuple[pd.DataFrame, str | None]:
    """The rows of ``frame`` whose month (``column``) the data covers
    whole, and a sentence naming the months left out (None: none)."""
    months = pd.to_datetime(frame[column])
    if profile["whole_months"]:
        first = pd.Timestamp(profile.day("first_whole_month"))
        last = pd.Timestamp(profile.day("last_whole_month"))
        keep = (months >= first) & (months <= last)
    else:
        keep = pd.Series(False, index=frame.index)
    left = sorted(set(months[~keep]))
    return frame[keep.to_numpy()], _partial_note(
        profile, left, pd.DateOffset(months=1), month)


def whole_quarters(frame: pd.DataFrame, column: str, profile: Profile
                   ) -> tuple[pd.DataFrame, str | None]:
    """The rows of ``frame`` whose quarter (``column``, its first day) the
    data covers whole, and a sentence naming the quarters left out."""
    quarters = pd.to_datetime(frame[column])
    first, last = (pd.Timestamp(profile.day(d)) for d in ("first_day",
                                                          "last_day"))
    ends = quarters + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    keep = (quarters >= first) & (ends <= last)
    left = sorted(set(quarters[~keep]))
    return frame[keep.to_numpy()], _partial_note(
        profile, left, pd.DateOffset(months=3),
        lambda q: f"Q{(q.month - 1) // 3 + 1} {q.year}")


def is_whole_month(value, profile: Profile) -> bool:
    """Whether the data covers the month of ``value`` whole."""
    if not profile["whole_months"]:
        return False
    value = pd.Timestamp(value)
    return (pd.Timestamp(profile.day("first_whole_month")) <= value
            <= pd.Timestamp(profile.day("last_whole_month")))
