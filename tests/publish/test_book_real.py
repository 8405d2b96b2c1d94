"""The book on the real UCI Online Retail file (../shared/data): built by
``make book SOURCE=... MAPPING=online-retail``'s own chain, its pages
opened in headless Chromium, its figures checked against an independent
pandas computation from the raw file under the mapping's stated rules
(``tests/real_data.py``), and its sentences against what the data can
support: one channel, one category, no costs, no cancellations, 13 months
(the last in part), no planted truth (``page_checks``: no chart without
data, of one bar or cell, or ticked between days or inside months, no
claim about what the data does not know)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import real_data
from page_checks import page_problems
from test_book import findings_text, text_of
from test_browser import browser, open_page  # noqa: F401 - the fixture

from book_build import get_book, toc_pages

MAPPING = "online-retail"

pytestmark = [pytest.mark.book, pytest.mark.browser, pytest.mark.real_data]


@pytest.fixture(scope="module")
def book(pg_url, tmp_path_factory):
    # (no PDFs: its tests read the site; the printing is tested on the
    # seed-42 book and the printed shape book)
    return get_book(pg_url, tmp_path_factory, 42,
                    source=str(real_data.real_file()), mapping=MAPPING,
                    pdfs=False)


@pytest.fixture(scope="module")
def raw():
    """The file under the mapping's rules: (sales, lines read, imported)."""
    return real_data.sales(real_data.real_file())


@pytest.fixture(scope="module")
def sales(raw):
    return raw[0]


def findings(book, docname: str) -> str:
    return findings_text(book.page(docname))


def test_the_book_has_the_import_page_instead_of_the_truth_check(book):
    pages = toc_pages(imported=True)
    assert "book/11_data_import" in pages
    assert "book/11_truth_check" not in pages
    assert (book.html / "book" / "11_data_import.html").exists()
    assert not (book.html / "book" / "11_truth_check.html").exists()
    assert "11_truth_check" not in book.executed()


def chapters_of(book) -> list[str]:
    """The book's pages but the guide's."""
    return [docname for docname in book.pages()
            if not docname.startswith("book/guide/")]


def test_every_banner_names_the_source_and_mapping_not_a_seed(book):
    for docname in chapters_of(book):
        banner = re.search(r'<div class="wh-banner">(.*?)</div>',
                           book.page(docname), flags=re.S)
        assert banner, docname
        said = text_of(banner.group(1))
        assert "Source online_retail.csv.gz" in said, (docname, said)
        assert "mapping online-retail" in said and "GBP" in said, said
        assert "Seed" not in said, (docname, said)


def test_no_sentence_makes_up_what_the_data_lacks(book):
    """No costs: no margin of 0.0%; one channel: no paid share; no names:
    no 'None'; every finding a number or a word, never n/a or nan."""
    for docname in chapters_of(book)[1:]:
        said = findings(book, docname)
        for wrong in ("None", "n/a", "nan", "$"):
            assert wrong not in said, (docname, wrong, said)
        assert not re.search(r"margin[^.]*\b0\.0%", said), (docname, said)
        assert "paid channels brought" not in said, (docname, said)
    assert "the gross margin is unknown" in findings(
        book, "book/02_kpi_dashboard")
    assert "Gross margins are unknown" in findings(
        book, "book/03_revenue_trends")
    # one channel: the channel section steps back and says why
    assert "the source has no channels (every order is in the channel " \
        "'Online store')" in text_of(book.page("book/03_revenue_trends"))
    # no cancellations recorded: never "no order was cancelled"
    quality = findings(book, "book/10_data_quality")
    assert "Which orders were cancelled is unknown" in quality
    assert "cancelled" not in quality.replace(
        "Which orders were cancelled is unknown", "")
    # one category: no season of a category; the chapter is left out and
    # the introduction says why
    assert "book/07_seasonality" not in book.pages()
    assert "Seasonality" in findings(book, "book/01_introduction")
    # 13 months, the last in part: no backtest, no forecast, and the
    # partial month is left out of the charts over months
    forecasting = text_of(book.page("book/08_forecasting"))
    assert "at least 19 whole calendar months" in forecasting
    assert "forecasts" not in findings(book, "book/08_forecasting")
    assert "December 2011 (9 of its 31 days) is left out" in text_of(
        book.page("book/02_kpi_dashboard"))


def test_the_figures_equal_an_independent_computation(book, sales):
    kpi = book.facts("02_kpi_dashboard")
    # the KPI page's latest year: the last 365 days of the data
    last_day = sales["day"].max().date()
    first_day = last_day.replace(year=last_day.year - 1) + dt.timedelta(1)
    year = real_data.figures(sales, first_day)
    assert Decimal(str(kpi["net_revenue"])) == year["net_revenue"]
    assert kpi["orders"] == year["orders"]
    assert kpi["customers"] == year["customers"]
    every = real_data.figures(sales)
    trends = book.facts("03_revenue_trends")
    assert round(trends["best_month_revenue"]) == round(
        every["best_month_revenue"])
    assert re.search(rf"strongest month was \*?\*?"
                     rf"{dt.date.fromisoformat(every['best_month'] + '-01'):%B %Y}",
                     findings(book, "book/03_revenue_trends").replace("*", ""))
    basket = book.facts("06_market_basket")
    assert basket["top_rule_lift"] == round(
        real_data.top_lift(sales, book.params.min_pair_orders), 1)
    assert basket["baskets"] == every["orders"]


def test_the_import_page_accounts_for_every_line(book, raw):
    facts = book.facts("11_data_import")
    _, read, imported = raw
    assert facts["source_lines"] == read == 541_909
    assert facts["imported_lines"] == imported
    assert facts["rejected_lines"] == read - imported
    page = text_of(book.page("book/11_data_import"))
    for reason in ("no customer", "not a product", "repeat",
                   "price is zero or less"):
        assert reason in page, reason


def test_every_page_loads_and_draws_its_charts(book, browser,  # noqa: F811
                                                pg_url):
    profile = book.profile(pg_url)
    for docname in chapters_of(book):
        page = open_page(browser, (book.html / f"{docname}.html").as_uri())
        try:
            charts = page.charts()
            assert page.errors == [], (docname, page.errors)
            assert charts["drawn"] == charts["charts"], (docname, charts)
            assert all(traces > 0 for traces in charts["traces"]), (
                docname, "a chart without data", charts)
            assert page_problems(page, profile) == [], docname
            banner = page.evaluate(
                "document.querySelector('.wh-banner').textContent")
            assert "online_retail.csv.gz" in banner, (docname, banner)
        finally:
            page.close()
