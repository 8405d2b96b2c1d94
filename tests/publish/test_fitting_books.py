"""Books of shops whose data lack something, read as a reader would.

One small export per shape (``shop_exports``: no statuses; one channel
and one category; one month; customers who all bought once; quantities
without prices; baskets without customers or dates), each built into a
book by the real chain (``book_build.get_book``; without PDFs, but for the
one-month book, whose PDF must leave its left-out chapters out too). For
each book:

- every page opened in headless Chromium has no chart without data, no
  chart of one bar or one cell, no tick between days or inside months over
  daily or monthly data, and no sentence about what the data profile says
  is unknown (``page_checks``);
- the sections that step back, and the chapters left out, are those the
  shape lacks the data for (``EXPECTED``), each stepped-back section shows
  its one sentence, and a left-out chapter is in neither the site's
  contents nor its pages, and the introduction names it.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest
import shop_exports
from page_checks import page_problems
from test_browser import browser, open_page  # noqa: F401 - the fixture

from book_build import get_book
from datagen.chapters import needs

pytestmark = [pytest.mark.book, pytest.mark.browser]

#: per shape: the sections that step back and the chapters left out
#: the lifetime value chapter's sections: a shape of a year or less has
#: fewer than needs.MIN_CLV_CUSTOMERS customers before its 52-week holdout
CLV = ("clv.parameters", "clv.holdout", "clv.alive", "clv.value",
       "clv.spend")
EXPECTED = {
    "no_statuses": (
        {"kpi.refresh", "quality.statuses"}, set()),
    "one_channel_one_category": (
        {"kpi.refresh", "trends.channels", "trends.categories",
         "cohorts.channels", "season.index", "season.shares",
         "forecast.backtest", "forecast.forecast", *CLV}, {"07_seasonality",
                                                          "04_lifetime_value"}),
    "one_month": (
        {"intro.orders", "kpi.refresh", "kpi.monthly", "kpi.yearly",
         "trends.monthly", "trends.channels", "trends.categories",
         "cohorts.heatmap", "cohorts.survival", "cohorts.sizes",
         "cohorts.channels", "season.index", "season.shares",
         "forecast.history", "forecast.backtest", "forecast.forecast",
         "quality.statuses", "import.monthly", *CLV},
        {"05_cohort_retention", "07_seasonality", "08_forecasting",
         "04_lifetime_value"}),
    "bought_once": (
        {"kpi.refresh", "kpi.yearly", "value.segments", "value.grid",
         "value.scatter", "cohorts.heatmap", "cohorts.survival",
         "cohorts.channels", "season.index", "season.shares",
         "forecast.backtest", "forecast.forecast", "segments.k",
         "segments.clusters", *CLV}, {"07_seasonality", "09_segmentation",
                                      "04_lifetime_value"}),
    "no_prices": (
        {"kpi.refresh", "trends.monthly", "trends.channels",
         "trends.categories", "trends.weekdays", "value.segments",
         "value.grid", "value.scatter", "value.top", "value.tiers",
         "value.concentration", "cohorts.channels", "season.index",
         "season.shares", "forecast.history", "forecast.backtest",
         "forecast.forecast", "segments.k", "segments.clusters",
         "quality.revenue", "quality.statuses", *CLV},
        {"03_revenue_trends", "04_customer_value", "04_lifetime_value",
         "07_seasonality", "08_forecasting", "09_segmentation"}),
    # (the rules show, counted in baskets: each basket is a guest of its
    # own; the best sellers need quantities)
    "baskets": (
        set(needs.SECTIONS) - {"basket.rules", "basket.scatter"},
        {"02_kpi_dashboard", "03_revenue_trends", "04_customer_value",
         "04_lifetime_value", "05_cohort_retention", "07_seasonality",
         "08_forecasting", "09_segmentation"}),
}
#: the one book printed as PDF: its left-out chapters leave the PDF too
PRINTED = "one_month"


@pytest.fixture(scope="module", params=list(EXPECTED))
def shaped(request, pg_url, tmp_path_factory):
    shape = request.param
    source, mapping = shop_exports.write(
        shape, tmp_path_factory.mktemp(f"export_{shape}"))
    book = get_book(pg_url, tmp_path_factory, 0, source=str(source),
                    mapping=str(mapping), schema=f"book_shape_{shape}",
                    pdfs=shape == PRINTED)
    return shape, book, book.profile(pg_url)


def text_of(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_every_page_is_honest_about_its_data(shaped, browser):  # noqa: F811
    shape, book, profile = shaped
    problems = {}
    for docname in book.pages():
        if docname.startswith("book/guide/"):
            continue
        page = open_page(browser, (book.html / f"{docname}.html").as_uri())
        try:
            found = page_problems(page, profile)
        finally:
            page.close()
        if found:
            problems[docname] = found
    assert problems == {}, (shape, problems)


def test_sections_step_back_for_what_the_data_lacks(shaped):
    shape, book, profile = shaped
    back, left = EXPECTED[shape]
    verdicts = needs.verdicts(profile)
    assert {key for key, v in verdicts.items() if not v.shown} == \
        back & set(verdicts), shape
    assert {c for c in needs.CHAPTERS if needs.left_out(profile, c)} == left
    pages = book.pages()
    # the warehouse notebook names them, and they are not run at all
    named = book.facts("00_build_warehouse")[needs.LEFT_OUT_NOTEBOOKS]
    assert set(filter(None, named.split(","))) == left, (shape, named)
    executed = book.executed()
    for chapter in left:
        assert f"book/{chapter}" not in pages, (shape, chapter)
        assert not (book.html / "book" / f"{chapter}.html").exists()
        assert chapter not in executed, (shape, chapter)
        assert any(line.split()[:3] == ["left", "out", f"{chapter}.ipynb"]
                   and line.endswith("not run)") for line in book.log), (
            shape, chapter)
    intro = text_of(book.page("book/01_introduction"))
    for title in needs.left_out_chapters(profile):
        assert title in intro, (shape, title)
    # each section that steps back in a chapter the book keeps: its one
    # sentence, under its heading
    for key, verdict in verdicts.items():
        chapter = verdict.section.chapter
        if verdict.shown or chapter in left:
            continue
        said = text_of(book.page(f"book/{chapter}"))
        assert " ".join(verdict.sentence.split()) in said, (shape, key)


def test_a_left_out_chapter_leaves_the_pdf(shaped):
    shape, book, profile = shaped
    if shape != PRINTED:
        pytest.skip("printed for one shape only")
    from pypdf import PdfReader
    reader = PdfReader(next(book.html.glob("*.pdf")))
    titles = [entry.title for entry in reader.outline
              if not isinstance(entry, list)]
    _, left = EXPECTED[shape]
    assert "Introduction" in titles and "Market basket" in titles
    for chapter in left:
        assert needs.CHAPTERS[chapter] not in titles, (chapter, titles)
    assert not list(book.html.glob("book/05_cohort_retention*.pdf"))


#: a count of one with a plural noun ("1 months") is a sentence built for
#: larger books
ONE_WITH_A_PLURAL = re.compile(
    r"\b1 (months|days|weeks|years|orders|customers|cohorts|categories|"
    r"products|rules|pairs|segments|clusters|rows|tables|channels)\b")


def test_a_one_month_book_says_nothing_of_more_months(shaped):
    shape, book, _ = shaped
    if shape != "one_month":
        pytest.skip("the one-month book's")
    for docname in book.pages():
        if docname.startswith("book/guide/"):
            continue
        text = text_of(book.page(docname))
        assert not ONE_WITH_A_PLURAL.findall(text), (
            docname, ONE_WITH_A_PLURAL.findall(text))
