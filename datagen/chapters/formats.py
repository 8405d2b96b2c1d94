"""Numbers and dates as a sentence says them.

Owns the wording of values: ``money``, ``number``, ``pct``, ``change``,
``day``, ``month``, ``listing``, ``plural`` ..., each giving ``n/a`` for a
missing value, and ``plain`` (a database value as a Python number).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float)
                                      and math.isnan(value))


#: the symbol money is written with; a warehouse's banner sets it from its
#: currency (a generated shop's is USD)
SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "JPY": "¥"}
_currency = {"symbol": "$"}


def set_currency(code: str) -> None:
    """Write money in ``code`` (ISO 4217): its symbol, else the code."""
    _currency["symbol"] = SYMBOLS.get(code, f"{code} ")


def symbol() -> str:
    """The warehouse's currency as axis titles and tick prefixes write it
    (``$``, ``£`` or the ISO code)."""
    return _currency["symbol"].strip()


def money(value, decimals: int = 0) -> str:
    """``$1,234,567`` (negative: ``-$12``) in the warehouse's currency."""
    if not _finite(value):
        return "n/a"
    value = float(value)
    sign = "-" if value < 0 else ""
    return f"{sign}{_currency['symbol']}{abs(value):,.{decimals}f}"


def number(value, decimals: int = 0) -> str:
    """``12,345`` or ``3.2`` with ``decimals``."""
    if not _finite(value):
        return "n/a"
    return f"{float(value):,.{decimals}f}"


def pct(fraction, decimals: int = 1) -> str:
    """A fraction as a percent: ``0.1234`` -> ``12.3%``."""
    if not _finite(fraction):
        return "n/a"
    return f"{100 * float(fraction):,.{decimals}f}%"


def change(current, previous, decimals: int = 1) -> str:
    """``up 12.3%`` / ``down 4.0%`` / ``unchanged`` (n/a without a base)."""
    if not _finite(current) or not _finite(previous) or float(previous) == 0:
        return "n/a"
    ratio = float(current) / float(previous) - 1
    if round(100 * ratio, decimals) == 0:
        return "unchanged"
    return f"{'up' if ratio > 0 else 'down'} {pct(abs(ratio), decimals)}"


def growth(current, previous):
    """``current / previous - 1``; None without a base."""
    if not _finite(current) or not _finite(previous) or float(previous) == 0:
        return None
    return float(current) / float(previous) - 1


def day(value) -> str:
    """``1 March 2024``."""
    value = pd.Timestamp(value)
    return f"{value.day} {value:%B %Y}"


def timestamp(value) -> str:
    """``2026-01-31 14:05 UTC`` (a naive time is taken as UTC)."""
    value = pd.Timestamp(value)
    if value.tzinfo is not None:
        value = value.tz_convert("UTC")
    return f"{value:%Y-%m-%d %H:%M} UTC"


def month(value) -> str:
    """``March 2024``."""
    return f"{pd.Timestamp(value):%B %Y}"


def listing(items: Iterable[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 order`` / ``2 orders`` (count formatted with thousands)."""
    word = singular if int(count) == 1 else (plural_form or singular + "s")
    return f"{int(count):,} {word}"


def plain(value):
    """A value as a plain Python number (Decimal, numpy -> float/int)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or isinstance(value, int):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
