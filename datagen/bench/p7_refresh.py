"""P7 refresh: a one-day ``datagen refresh`` against a whole build as of
the same day, and a one-month refresh for scale.

Owns figure P7. Each of ``ROUNDS`` rounds builds the warehouse as of the
last day (``build``, what ``datagen build`` runs) and timed as its report
says, then builds it as of the day before and refreshes it to the last
day (``refresh``, what ``datagen refresh --to`` runs), its time and steps
as the refresh reports them (``RefreshReport``); medians are reported
(target: a one-day refresh at most a tenth of the build). Then one
refresh of a whole month, from a build as of the month before.
"""

from __future__ import annotations

import datetime as dt

from ..params import parse_params
from ..warehouse.build import build
from ..warehouse.refresh import refresh
from .measure import drop_family, median, median_run, quiet

TITLE = "P7 refresh"
SCALE, QUICK_SCALE = 20, 0.1
TO = "2025-12-31"
SCHEMA = "bench_refresh"
#: rounds (the median is reported: an odd number, so it is one of them)
ROUNDS = 3


def run(url: str, quick: bool = False, to: str = TO) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    last = dt.date.fromisoformat(to)
    month_start = last.replace(day=1) - dt.timedelta(days=1)

    def params(as_of: dt.date):
        return parse_params(dict(scale=scale, end_date=as_of, schema=SCHEMA))

    quietly = dict(url=url, echo=quiet)
    builds, refreshes = [], []
    try:
        for _ in range(ROUNDS):
            builds.append(build(params(last), **quietly).total_seconds)
            build(params(last - dt.timedelta(days=1)), **quietly)
            done = refresh(SCHEMA, last, **quietly)
            refreshes.append({"seconds": done.seconds, "steps": done.steps,
                              "rows": done.rows})
        build(params(month_start), **quietly)
        month = refresh(SCHEMA, last, **quietly)
    finally:
        drop_family(url, SCHEMA)
    whole = median(builds)
    one_day = median_run(refreshes)
    return {"scale": scale, "to": to, "rounds": ROUNDS,
            "build_s": whole, "one_day_s": one_day["seconds"],
            "one_day_ratio": one_day["seconds"] / whole,
            "one_day_steps": one_day["steps"],
            "one_day_rows": one_day["rows"],
            "one_month_s": month.seconds,
            "one_month_ratio": month.seconds / whole,
            "one_month_rows": month.rows}


def lines(p7: dict) -> list[str]:
    found = [
        f"{TITLE} at scale {p7['scale']:g} to {p7['to']} (median of "
        f"{p7['rounds']}; target: one day at most 0.10 of a build)",
        f"  whole build as of {p7['to']}          "
        f"{p7['build_s']:>9.1f} s",
        f"  one-day refresh                   {p7['one_day_s']:>9.1f} s "
        f"{p7['one_day_ratio']:>7.2f} of the build ("
        f"{p7['one_day_rows']['orders']:,} orders)"]
    found += [f"    {step:<32}{seconds:>9.2f} s"
              for step, seconds in p7["one_day_steps"].items()]
    return found + [
        f"  one-month refresh                 {p7['one_month_s']:>9.1f} s"
        f" {p7['one_month_ratio']:>7.2f} of the build ("
        f"{p7['one_month_rows']['orders']:,} orders)"]
