"""Tables: static HTML that ``_static/tables.js`` sorts and searches.

Owns how a frame is shown: cells formatted by name (``FORMATS``), sorted
by their raw values (``data-sort``), a search box on long tables. Works
offline, also from ``file://``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping

import pandas as pd

from .formats import money, number, pct
from .narrative import show_html

#: tables longer than this get a search box and a scroll area in the site
SEARCH_FROM_ROWS = 12


Formatter = Callable[[object], str]
FORMATS: dict[str, Formatter] = {
    "money": money,
    "money2": lambda v: money(v, 2),
    "pct": pct,
    "pct2": lambda v: pct(v, 2),
    "count": number,
    "num1": lambda v: number(v, 1),
    "num2": lambda v: number(v, 2),
    "num3": lambda v: number(v, 3),
    "num4": lambda v: number(v, 4),
    "date": lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}",
    "month": lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m}",
}


def _cell(value, formatter: Formatter | None) -> tuple[str, str | None]:
    """(text, sort key) of one cell."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "", ""
    if formatter is not None:
        text = formatter(value)
    else:
        text = str(value)
    key = None
    if isinstance(value, (int, float)) or hasattr(value, "as_tuple") or (
            hasattr(value, "dtype") and not isinstance(value, str)):
        try:
            key = repr(float(value))
        except (TypeError, ValueError):
            key = None
    elif isinstance(value, (dt.date, pd.Timestamp)):
        key = pd.Timestamp(value).isoformat()
    return text, key


def table_html(frame: pd.DataFrame, formats: Mapping[str, str | Formatter]
               | None = None, caption: str | None = None,
               search: bool | None = None) -> str:
    """A static HTML table; ``tables.js`` adds sorting (and a search box)."""
    formats = dict(formats or {})
    formatters = {c: (FORMATS[f] if isinstance(f, str) else f)
                  for c, f in formats.items()}
    if search is None:
        search = len(frame) >= SEARCH_FROM_ROWS
    numeric = {c for c in frame.columns
               if pd.api.types.is_numeric_dtype(frame[c])
               or c in formatters and formats[c] not in ("date", "month")}
    head = "".join(
        f'<th class="{"wh-num" if c in numeric else ""}" scope="col">'
        f"{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, record):
            text, key = _cell(value, formatters.get(column))
            attributes = f' data-sort="{html.escape(key)}"' if key else ""
            if column in numeric:
                attributes += ' class="wh-num"'
            cells.append(f"<td{attributes}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    classes = "wh-table" + (" wh-search" if search else "")
    cap = (f"<caption>{html.escape(caption)}</caption>" if caption else "")
    return (f'<div class="{classes}"><table class="wh-sortable">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></div>")


def table(frame: pd.DataFrame, formats: Mapping[str, str | Formatter]
          | None = None, caption: str | None = None,
          search: bool | None = None) -> None:
    """Show ``frame`` as a sortable table (searchable when long).

    ``formats`` maps a column to a name of ``FORMATS`` (``money``, ``pct``,
    ``count`` ...) or to a function; sorting uses the unformatted values.
    """
    show_html(table_html(frame, formats, caption, search))
