"""The data behind the site: a CSV for every table and every chart.

Uses the small seed-42 book of ``book_build`` (the one ``test_book.py`` and
``test_browser.py`` read). Every page's CSV links must resolve to files
next to the page that parse, hold the rows the link says, with raw
numbers; every table and every chart has one; and the totals in them equal
the warehouse's.
"""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from book_build import get_book, toc_pages

pytestmark = pytest.mark.book

LINK = re.compile(r'<p class="wh-download wh-(table|chart)-download"><a '
                  r'href="([^"]+)"[^>]*>[^<]*\(CSV, ([\d,]+) rows?\)</a>')


@pytest.fixture(scope="module")
def book(pg_url, tmp_path_factory):
    return get_book(pg_url, tmp_path_factory, 42)


def links(book, docname: str) -> list[tuple[str, Path, int]]:
    """(kind, file, rows said) of every CSV link of a page."""
    page = book.page(docname)
    folder = (book.html / docname).parent
    return [(kind, folder / html_lib.unescape(href),
             int(rows.replace(",", "")))
            for kind, href, rows in LINK.findall(page)]


def data(book, docname: str, name: str) -> pd.DataFrame:
    path = book.html / f"{docname}_data" / name
    assert path.is_file(), f"{path.name} is not next to {docname}"
    return pd.read_csv(path)


def test_every_csv_link_resolves_parses_and_holds_its_rows(book):
    seen = 0
    for docname in toc_pages():
        page = book.page(docname)
        found = links(book, docname)
        # one link per table and one per chart on the page
        assert sum(kind == "table" for kind, _, _ in found) == \
            page.count('<div class="wh-table'), docname
        assert sum(kind == "chart" for kind, _, _ in found) == \
            page.count('class="plotly-graph-div"'), docname
        hrefs = re.findall(r'href="([^"]+\.csv)"', page)
        assert len(hrefs) == len(found), (docname, "a CSV link not counted")
        for kind, path, rows in found:
            assert path.is_file(), (docname, path)
            assert path.name.startswith(f"{kind}-") and \
                path.parent.name == Path(docname).name + "_data"
            frame = pd.read_csv(path)
            assert len(frame) == rows > 0, (docname, path.name)
            assert len(frame.columns) >= 2
            seen += 1
    assert seen >= 40


def test_numbers_are_raw_and_tables_hold_all_their_rows(book):
    # money and rates as plain numbers, not "$1,234" or "12.3%"
    kpis = data(book, "book/02_kpi_dashboard",
                "table-kpis-per-calendar-year.csv")
    assert pd.api.types.is_float_dtype(kpis["net revenue"])
    assert kpis["gross margin"].between(0, 1).all()
    # the long, searchable table: all 50 rows, not only those in view
    top = next(path for kind, path, _ in links(book, "book/04_customer_value")
               if "50-customers" in path.name)
    assert len(pd.read_csv(top)) == 50


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_totals_equal_the_warehouse(book, pg_url):
    schema = book.schema
    with psycopg.connect(pg_url) as conn:
        revenue, orders = conn.execute(
            f"select sum(i.net_amount), count(distinct o.order_id) "
            f"from {schema}.fact_order_item i join {schema}.fact_order o "
            f"using (order_id) where o.order_status = 'completed'").fetchone()
        counts = {}
        for table in ("dim_customer", "fact_order", "fact_order_item"):
            counts[table] = conn.execute(
                f"select count(*) from {schema}.{table}").fetchone()[0]
    kpi = "book/02_kpi_dashboard"
    years = data(book, kpi, "table-kpis-per-calendar-year.csv")
    assert _money(years["net revenue"].sum()) == revenue
    assert years["orders"].sum() == orders
    monthly = data(book, kpi, "chart-monthly-kpis.csv")
    net = monthly[monthly.trace.str.startswith("Net revenue")]
    assert _money(net.y.sum()) == revenue
    trends = "book/03_revenue_trends"
    for name, column in (
            ("table-channels-over-the-whole-data-period.csv", "net revenue"),
            ("table-categories-over-the-whole-data-period.csv",
             "net revenue")):
        assert _money(data(book, trends, name)[column].sum()) == revenue, name
    by_month = data(book, trends, "chart-net-revenue-per-month.csv")
    assert _money(by_month[by_month.trace == "Net revenue"].y.sum()) \
        == revenue
    loaded = data(book, "book/00_build_warehouse",
                  "table-rows-loaded-per-table.csv").set_index("table").rows
    for table in ("dim_customer", "fact_order", "fact_order_item"):
        assert loaded[table] == counts[table], table
