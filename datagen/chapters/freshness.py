"""How fresh the warehouse is: what its last refresh brought.

Owns the KPI page's "since the last refresh" section and the warehouse
page's question whether ``make book`` kept a refreshed warehouse.
``since_last_refresh`` takes the one row of the KPI page's ``since_refresh``
query (the counts of what happened after the as-of date the warehouse was
refreshed from, or, for a warehouse built in full, on its last day) and
shows it as cards and one sentence, every number glued (``fact``) under
``since_<count>``.
"""

from __future__ import annotations

import os

import pandas as pd

from .formats import day, plural, timestamp
from .narrative import fact, kpi_cards, say

#: set in the warehouse notebook's kernel by ``make book`` (see
#: ``datagen/publish/notebooks.py``) when the warehouse it built has since
#: been brought forward to the book's date by ``datagen refresh``
KEEP_WAREHOUSE_VARIABLE = "BOOK_KEEP_WAREHOUSE"

#: the counts of the ``since_refresh`` query, in the cards' order
COUNTS = ("new_orders", "late_returns", "late_cancellations",
          "new_customers", "changed_customers")


def keeps_warehouse() -> bool:
    """Whether ``make book`` found the warehouse it built refreshed to the
    book's date (a refresh equals a full build: it is not built again)."""
    return os.environ.get(KEEP_WAREHOUSE_VARIABLE) == "1"


def _date(value):
    return None if value is None or pd.isna(value) else \
        pd.Timestamp(value).date()


def since_last_refresh(counts: pd.DataFrame) -> None:
    """Cards and a sentence: what arrived after ``since`` up to ``as_of``.

    ``counts``: one row with ``as_of``, ``refreshed_from`` (null: never
    refreshed), ``since`` (the refresh's previous as-of date, else the day
    before the last day), ``refreshed_at``, ``refresh_seconds`` and the
    ``COUNTS``.
    """
    if len(counts) != 1:
        raise RuntimeError(f"since_refresh must return one row "
                           f"(it returned {len(counts)})")
    row = counts.iloc[0]
    as_of, since = _date(row["as_of"]), _date(row["since"])
    refreshed_from = _date(row["refreshed_from"])
    n = {name: fact(f"since_{name}", int(row[name])) for name in COUNTS}
    fact("since_date", since.isoformat())
    days = (as_of - since).days
    if refreshed_from is None:
        window, by = f"on {day(as_of)}", f"by {day(since)}"
        say(f"The warehouse was built in full as of {day(as_of)}: there is "
            "no refresh to report, and the cards show its last day instead,"
            " what a one-day refresh brings. " + _what_arrived(n, window, by))
    else:
        window, by = f"after {day(since)}", f"by {day(since)}"
        took = (f" in {float(row['refresh_seconds']):.1f} s"
                if pd.notna(row["refresh_seconds"]) else "")
        said_at = (f" on {timestamp(row['refreshed_at'])}"
                   if pd.notna(row["refreshed_at"]) else "")
        say(f"The warehouse was last refreshed{said_at}{took}, from "
            f"{day(refreshed_from)} to {day(as_of)} "
            f"({plural(days, 'day')}). " + _what_arrived(n, window, by))
    kpi_cards([
        {"label": "New orders", "value": f"{n['new_orders']:,}",
         "note": f"placed {window}"},
        {"label": "Late returns", "value": f"{n['late_returns']:,}",
         "note": f"of orders placed {by}"},
        {"label": "Late cancellations",
         "value": f"{n['late_cancellations']:,}",
         "note": f"of orders placed {by}"},
        {"label": "New customers", "value": f"{n['new_customers']:,}",
         "note": f"signed up {window}"},
        {"label": "Customers changed",
         "value": f"{n['changed_customers']:,}",
         "note": "a new version of their details"},
    ])


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _what_arrived(n: dict, window: str, by: str) -> str:
    """``On 31 December 2025, 120 new orders were placed, ...``."""
    return (f"{window[0].upper()}{window[1:]}, "
            f"{plural(n['new_orders'], 'new order')} "
            f"{_were(n['new_orders'])} placed, "
            f"{plural(n['new_customers'], 'customer')} signed up, "
            f"{plural(n['late_returns'], 'order')} placed {by} "
            f"{_were(n['late_returns'])} returned and "
            f"{n['late_cancellations']:,} cancelled, and "
            f"{plural(n['changed_customers'], 'customer')} changed "
            "their details.")
