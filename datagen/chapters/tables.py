"""Tables: static HTML that ``_static/tables.js`` sorts and searches.

Owns how a frame is shown: cells formatted by name (``FORMATS``), sorted
by their raw values (``data-sort``), a search box on long tables. Works
offline, also from ``file://``.

Also the CSV downloads of the site (``write_csv``): when ``make book``
runs a notebook it tells the kernel where that page's data goes
(``BOOK_DATA_DIR``, set by ``datagen/publish/notebooks.py``: a folder
``<page>_data`` next to the page); each table is then written there whole,
with raw numbers, as ``table-<caption>.csv``, and linked under it (the
charts do the same in ``charts``). Outside a book build nothing is written.
A text cell that a spreadsheet would run as a formula is written
neutralised (``escape.csv_cell``); numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from ..escape import csv_cell, html
from .formats import money, number, pct
from .narrative import show_html

#: the environment variable that names the folder of a page's CSV files
DATA_DIR_VARIABLE = "BOOK_DATA_DIR"
_written: set[str] = set()
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

#: the formats of ``FORMATS`` that write dates
DATE_FORMATS = ("date", "month")


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


def new_page() -> None:
    """Begin a page: its CSV file names start afresh."""
    _written.clear()


def _holds_dates(column: pd.Series) -> bool:
    """Whether a column holds dates (a datetime column, or dates)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    first = column.dropna().head(1)
    return len(first) == 1 and isinstance(first.iloc[0], dt.date)


def file_name(kind: str, title: str | None) -> str:
    """``table-rfm-segments.csv``: the kind and the title, as a file name
    (a second one of the same name in the page gets ``-2``, ...)."""
    text = re.sub(r"<[^>]+>", " ", title or "")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > 70:
        slug = slug[:70].rsplit("-", 1)[0]
    base = f"{kind}-{slug}" if slug else kind
    name, count = f"{base}.csv", 1
    while name in _written:
        count += 1
        name = f"{base}-{count}.csv"
    _written.add(name)
    return name


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells neutralised for a spreadsheet
    (``escape.csv_cell``: ``=1+1`` as ``'=1+1``); numbers, dates and
    booleans as they are."""
    out = frame.copy()
    for index in range(frame.shape[1]):
        column = frame.iloc[:, index]
        if not (pd.api.types.is_numeric_dtype(column)
                or pd.api.types.is_datetime64_any_dtype(column)
                or pd.api.types.is_bool_dtype(column)):
            out.isetitem(index, column.map(csv_cell))
    return out


def write_csv(frame: pd.DataFrame, kind: str, title: str | None,
              label: str) -> str:
    """Write ``frame`` (raw values) as the page's CSV of this table or
    chart; the link to it as HTML ("" outside a book build)."""
    folder = os.environ.get(DATA_DIR_VARIABLE)
    if not folder:
        return ""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(kind, title)
    csv_frame(frame).to_csv(folder / name, index=False,
                            date_format="%Y-%m-%d")
    href = f"{folder.name}/{name}"
    rows = f"{len(frame):,} row{'s' if len(frame) != 1 else ''}"
    return (f'<p class="wh-download wh-{kind}-download"><a href="'
            f'{html(href)}" download="{html(name)}">'
            f"{html(label)} (CSV, {rows})</a></p>")


def table_html(frame: pd.DataFrame, formats: Mapping[str, str | Formatter]
               | None = None, caption: str | None = None,
               search: bool | None = None,
               data: pd.DataFrame | None = None) -> str:
    """A static HTML table; ``tables.js`` adds sorting (and a search box).

    In a book build the table's data (``data`` when the table shows only
    part of it, else ``frame``) is written as CSV and linked below it.
    """
    formats = dict(formats or {})
    formatters = {c: (FORMATS[f] if isinstance(f, str) else f)
                  for c, f in formats.items()}
    if search is None:
        search = len(frame) >= SEARCH_FROM_ROWS
    numeric = {c for c in frame.columns
               if pd.api.types.is_numeric_dtype(frame[c])
               or c in formatters and formats[c] not in DATE_FORMATS}
    # dates never break at their hyphens
    dates = {c for c in frame.columns if c not in numeric
             and (formats.get(c) in DATE_FORMATS or _holds_dates(frame[c]))}
    head = "".join(
        f'<th class="{"wh-num" if c in numeric else ""}" scope="col">'
        f"{html(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, record):
            text, key = _cell(value, formatters.get(column))
            attributes = f' data-sort="{html(key)}"' if key else ""
            if column in numeric:
                attributes += ' class="wh-num"'
            elif column in dates:
                attributes += ' class="wh-date"'
            cells.append(f"<td{attributes}>{html(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    classes = "wh-table" + (" wh-search" if search else "")
    cap = (f"<caption>{html(caption)}</caption>" if caption else "")
    link = write_csv(frame if data is None else data, "table", caption,
                     "Download the data of this table")
    return (f'<div class="{classes}"><table class="wh-sortable">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            f"</table></div>{link}")


def table(frame: pd.DataFrame, formats: Mapping[str, str | Formatter]
          | None = None, caption: str | None = None,
          search: bool | None = None,
          data: pd.DataFrame | None = None) -> None:
    """Show ``frame`` as a sortable table (searchable when long).

    ``formats`` maps a column to a name of ``FORMATS`` (``money``, ``pct``,
    ``count`` ...) or to a function; sorting uses the unformatted values.
    ``data``: the whole data when ``frame`` shows only its first rows (its
    CSV download then holds all of it).
    """
    show_html(table_html(frame, formats, caption, search, data))
