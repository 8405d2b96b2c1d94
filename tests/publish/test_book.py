"""The book: the chain builds a site whose pages and numbers are right.

Two small books (seeds 42 and 7, scale 0.2) are built once per session by
the real chain (papermill + jupyter-book) against the suite's PostgreSQL;
the tests read their executed notebooks, their HTML and the warehouse.
The chain's own behaviour (a failing chapter stops the build and keeps the
previous site; a second run executes only what changed) is tested on tiny
notebooks in a scratch project, without a warehouse.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import psycopg
import pytest
from test_browser import browser  # noqa: F401 - the fixture

from book_build import BOOK_SCALE, ROOT, get_book, toc_pages
from datagen import chapters
from datagen.models import clv
from datagen.params import DEFAULTS, parse_params
from datagen.publish.book import build_book
from datagen.publish.notebooks import ChapterFailed, notebooks

CHAPTERS = [path.stem for path in notebooks(ROOT)]


@pytest.fixture(scope="module")
def book(pg_url, tmp_path_factory):
    return get_book(pg_url, tmp_path_factory, 42)


@pytest.fixture(scope="module")
def book7(pg_url, tmp_path_factory):
    # (no PDFs: its tests read the site and the executed notebooks; the
    # printing is tested on the seed-42 book)
    return get_book(pg_url, tmp_path_factory, 7, pdfs=False)


def text_of(page: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def findings_text(page: str) -> str:
    """The text of the page's key-findings box."""
    match = re.search(r'<div class="[^"]*wh-findings[^"]*">(.*?)</div>',
                      page, flags=re.S)
    assert match, "no key-findings box"
    return text_of(match.group(1))


# --- the sources ---------------------------------------------------------------

def test_every_notebook_is_in_the_toc_and_committed_without_outputs():
    pages = toc_pages()
    assert sorted(f"book/{name}" for name in CHAPTERS) == sorted(
        p for p in pages if p.startswith("book/"))
    every = sorted(path.stem for path in (ROOT / "book").glob("*.ipynb"))
    imported = [path.stem for path in notebooks(ROOT, imported=True)]
    # the two kinds of book differ by their page about the data's origin
    assert set(every) == set(CHAPTERS) | set(imported)
    assert set(CHAPTERS) ^ set(imported) == {"11_truth_check",
                                             "11_data_import"}
    assert "book/11_data_import" in toc_pages(imported=True)
    assert "book/11_truth_check" not in toc_pages(imported=True)
    for name in every:
        nb = nbformat.read(str(ROOT / "book" / f"{name}.ipynb"), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in code), f"{name} has outputs"
        first = nb.cells[0]
        assert "parameters" in first.metadata.get("tags", []), name
        names = re.findall(r"^(\w+) =", first.source, flags=re.M)
        assert names == list(DEFAULTS), f"{name} parameters {names}"
        # the set-up is not shown (the executed notebook keeps it)
        assert "remove-cell" in nb.cells[1].metadata.get("tags", []), name
        assert nb.cells[2].cell_type == "markdown" and \
            nb.cells[2].source.startswith("# "), f"{name}: no heading"


def test_queries_are_sql_cells_and_code_is_folded():
    for name in CHAPTERS:
        nb = nbformat.read(str(ROOT / "book" / f"{name}.ipynb"), as_version=4)
        for cell in nb.cells[1:]:
            if cell.cell_type != "code":
                continue
            tags = cell.metadata.get("tags", [])
            assert {"hide-input", "hide-cell", "remove-input",
                    "remove-cell"} & set(tags), (
                f"{name}: a code cell is not folded: {cell.source[:60]!r}")
            if not cell.source.startswith("%%sql"):
                # Python cells run no SQL of their own
                assert not re.search(r"\b(select|execute)\s*\(|%sql ",
                                     cell.source), (name, cell.source[:80])


# --- the built book --------------------------------------------------------------

@pytest.mark.book
def test_every_toc_page_is_in_the_site(book):
    for page in toc_pages():
        assert (book.html / f"{page}.html").is_file(), page
    assert (book.html / "index.html").is_file()
    assert (book.html / "_static" / "plotly.min.js").is_file()
    assert (book.html / "_static" / "tables.js").is_file()


@pytest.mark.book
def test_every_page_links_an_icon_and_the_root_redirects(book):
    # a page without an icon link makes a browser ask for /favicon.ico,
    # a failed request on the served site (test_browser)
    icon = re.compile(r'<link rel="icon" href="([^"]+)"')
    pages = ["index", "search", "genindex", *toc_pages()]
    for page in pages:
        path = book.html / f"{page}.html"
        found = icon.search(path.read_text(encoding="utf-8"))
        assert found, f"{page}.html links no icon"
        icon_file = (path.parent / found.group(1)).resolve()
        assert icon_file.is_file(), (page, found.group(1))
    root = (book.html / "index.html").read_text(encoding="utf-8")
    target = f"{toc_pages()[0]}.html"
    assert f'content="0; url={target}"' in root
    assert f'<a href="{target}">' in root


@pytest.mark.book
def test_no_executed_notebook_has_an_error(book, book7):
    for which in (book, book7):
        executed = which.executed()
        assert sorted(executed) == CHAPTERS
        for name, nb in executed.items():
            for cell in nb.cells:
                for output in cell.get("outputs", []):
                    assert output.output_type != "error", (name, output)
                    if output.output_type == "stream":
                        assert output.name != "stderr", (name, output.text)


@pytest.mark.book
def test_every_page_has_a_chart_and_states_seed_and_period(book):
    period = (f"data from {chapters.day(book.params.start_date)} as of "
              f"{chapters.day(book.params.end_date)} ")
    for page in toc_pages():
        source = book.page(page)
        assert source.count('class="plotly-graph-div"') >= 1, page
        banner = re.search(r'<div class="wh-banner">(.*?)</div>', source,
                           flags=re.S)
        assert banner, f"{page}: no banner"
        assert f"Seed {book.seed} " in text_of(banner.group(1)), page
        assert period in text_of(banner.group(1)), page
        assert "refreshed" not in text_of(banner.group(1)), page
        # no MathJax: a "$" in a sentence must not become math
        assert "mathjax" not in source.lower(), page


@pytest.mark.book
def test_every_chapter_opens_with_key_findings(book):
    for page in toc_pages():
        assert len(findings_text(book.page(page))) > 40, page


@pytest.mark.book
def test_two_seeds_state_their_own_seed_and_differ(book, book7):
    for which in (book, book7):
        page = which.page("book/02_kpi_dashboard")
        assert f"Seed {which.seed} " in text_of(page)
    assert f"Seed {book7.seed} " not in text_of(
        book.page("book/02_kpi_dashboard"))
    kpi42, kpi7 = (b.facts("02_kpi_dashboard") for b in (book, book7))
    assert kpi42["net_revenue"] != kpi7["net_revenue"]
    assert kpi42["orders"] != kpi7["orders"]
    assert findings_text(book.page("book/02_kpi_dashboard")) != \
        findings_text(book7.page("book/02_kpi_dashboard"))


def _one(conn, query, *args):
    return conn.execute(query, args).fetchone()[0]


def _check(facts, name, expected, text=None, formatted=None):
    """The glued value equals the warehouse's; the page states it."""
    value = facts[name]
    if isinstance(expected, float) or isinstance(value, float):
        assert float(value) == pytest.approx(float(expected), rel=1e-9,
                                             abs=1e-9), name
    else:
        assert value == expected, name
    if text is not None and formatted is not None:
        assert formatted(value) in text, (name, formatted(value), text)


@pytest.mark.book
def test_narrative_numbers_equal_the_warehouse(book, pg_url):
    params = book.params
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"set search_path to {book.schema}")
        completed = ("from fact_order_item i join fact_order o using "
                     "(order_id) where o.order_status = 'completed'")

        # introduction
        facts = book.facts("01_introduction")
        text = findings_text(book.page("book/01_introduction"))
        _check(facts, "orders", _one(conn, "select count(*) from fact_order"),
               text, chapters.number)
        _check(facts, "customers",
               _one(conn, "select count(*) from dim_customer"), text,
               chapters.number)
        _check(facts, "buying_customers", _one(
            conn, "select count(distinct customer_id) from fact_order "
            "where order_status = 'completed'"), text, chapters.number)

        # KPI dashboard: the latest year = the 12 months ending on end_date
        facts = book.facts("02_kpi_dashboard")
        text = findings_text(book.page("book/02_kpi_dashboard"))
        first = params.end_date.replace(year=params.end_date.year - 1) \
            + dt.timedelta(days=1)
        window = (f" and o.order_ts::date between '{first}' "
                  f"and '{params.end_date}'")
        revenue = float(_one(conn, f"select sum(i.net_amount) {completed}"
                             + window))
        cost = float(_one(conn, f"select sum(i.quantity * i.unit_cost) "
                          f"{completed}" + window))
        orders = _one(conn, "select count(*) from fact_order o where "
                      "o.order_status = 'completed'" + window)
        customers = _one(conn, "select count(distinct customer_id) from "
                         "fact_order o where o.order_status = 'completed'"
                         + window)
        _check(facts, "net_revenue", revenue, text, chapters.money)
        _check(facts, "orders", orders, text, chapters.number)
        _check(facts, "customers", customers, text, chapters.number)
        _check(facts, "avg_order_value", revenue / orders, text,
               lambda v: chapters.money(v, 2))
        _check(facts, "margin_rate", (revenue - cost) / revenue, text,
               chapters.pct)

        # revenue trends: the best (full) month
        facts = book.facts("03_revenue_trends")
        text = findings_text(book.page("book/03_revenue_trends"))
        best = float(_one(conn, "select max(revenue) from (select "
                          "date_trunc('month', o.order_ts) as month, "
                          f"sum(i.net_amount) as revenue {completed} "
                          "group by 1) as months"))
        _check(facts, "best_month_revenue", best, text, chapters.money)

        # cohort retention: month-1 retention pooled over the cohorts
        facts = book.facts("05_cohort_retention")
        text = findings_text(book.page("book/05_cohort_retention"))
        month1 = _one(conn, """
            with orders as (
                select customer_id, date_trunc('month', order_ts) as month
                from fact_order where order_status = 'completed'
            ),
            firsts as (
                select customer_id, min(month) as cohort from orders
                group by 1
            ),
            last_month as (
                select date_trunc('month', max(order_ts)) as month
                from fact_order
            )
            select
                count(distinct orders.customer_id) filter (
                    where orders.month = firsts.cohort + interval '1 month'
                )::float
                / count(distinct firsts.customer_id)
            from firsts
            cross join last_month
            left join orders using (customer_id)
            where firsts.cohort + interval '1 month' <= last_month.month""")
        _check(facts, "month1_retention", month1, text, chapters.pct)

        # customer value
        facts = book.facts("04_customer_value")
        text = findings_text(book.page("book/04_customer_value"))
        _check(facts, "champions", _one(
            conn, "select count(*) from vw_customer_rfm_scores "
            "where rfm_segment = 'Champions'"), text, chapters.number)
        top = float(_one(conn, "select sum(i.net_amount) " + completed
                         + " group by o.customer_id order by 1 desc limit 1"))
        _check(facts, "top_customer_revenue", top, text,
               lambda v: chapters.money(v, 2))

        # customer lifetime value: the holdout's purchases counted from the
        # orders (a customer's days with a completed order after the
        # calibration end, of customers who first bought by then), the
        # expectation from the fitted parameters, the correlation
        facts = book.facts("04_lifetime_value")
        text = findings_text(book.page("book/04_lifetime_value"))
        end = params.end_date - dt.timedelta(weeks=params.clv_holdout_weeks)
        occasions = """with days as (
                select customer_id, order_ts::date as day,
                       min(order_ts::date) over (partition by customer_id)
                           as first_day
                from fact_order where order_status = 'completed'
                group by customer_id, order_ts::date)"""
        _check(facts, "clv_customers", _one(
            conn, occasions + " select count(distinct customer_id) from days "
            "where first_day <= %s", end), text, chapters.number)
        _check(facts, "clv_holdout_actual", float(_one(
            conn, occasions + " select count(*) from days "
            "where first_day <= %s and day > %s", end, end)), text,
            chapters.number)
        fitted = dict(conn.execute(
            "select parameter, value from clv_model_parameters "
            "where model = 'bg/nbd'").fetchall())
        model = clv.BgNbd(**{k: fitted[k] for k in ("r", "alpha", "a", "b")},
                          customers=0, log_likelihood=0.0)
        history = np.array(conn.execute(
            "select frequency, recency, tenure from vw_customer_clv"
        ).fetchall(), dtype=float)
        _check(facts, "clv_holdout_expected", float(clv.expected_purchases(
            params.clv_holdout_weeks, model, *history.T).sum()), text,
            chapters.number)
        _check(facts, "clv_purchases_per_year",
               fitted["r"] / fitted["alpha"] * 52)

        # market basket
        facts = book.facts("06_market_basket")
        text = findings_text(book.page("book/06_market_basket"))
        _check(facts, "baskets", _one(
            conn, "select count(*) from fact_order "
            "where order_status = 'completed'"), text, chapters.number)
        _check(facts, "rules", _one(
            conn, "select count(*) from vw_product_association_rules"),
            text, chapters.number)
        _check(facts, "top_rule_lift", round(float(_one(
            conn, "select max(lift) from vw_product_association_rules")), 1))

        # data quality
        facts = book.facts("10_data_quality")
        _check(facts, "checks", _one(conn, "select count(*) from "
                                     "quality_check"))
        _check(facts, "reconciliation_gap", 0.0)

        # the truth
        facts = book.facts("11_truth_check")
        _check(facts, "bundles_planted", _one(
            conn, f"select count(*) from {params.truth_schema}.bundle"))
        _check(facts, "planted_growth", float(_one(
            conn, f"select value from {params.truth_schema}.parameter "
            "where name = 'annual_signup_growth'")))


@pytest.mark.book
def test_the_methods_recover_what_was_planted(book):
    facts = book.facts("11_truth_check")
    assert facts["bundles_found"] >= facts["bundles_planted"] - 1
    assert facts["seasonal_found_planted"] >= 2
    assert abs(facts["estimated_growth"] - facts["planted_growth"]) < 0.15


@pytest.mark.book
def test_a_second_run_reuses_every_notebook(book):
    from datagen.publish.reuse import code_fingerprint
    if code_fingerprint() != book.code:
        pytest.skip("datagen/ or sql/ changed while the tests ran (a shared "
                    "work tree): every notebook rightly runs again")
    log: list[str] = []
    build_book(book.params, out=book.out, echo=log.append)
    kept = [line for line in log if line.strip().startswith("kept")]
    ran = [line for line in log if line.strip().startswith("ran")]
    assert len(kept) == len(CHAPTERS) and not ran, log
    assert (book.html / "book" / "02_kpi_dashboard.html").is_file()


# --- the chain on tiny notebooks ------------------------------------------------

def _scratch_project(tmp_path: Path, cells_by_name: dict[str, str]) -> Path:
    """A project with ``book/<name>.ipynb`` notebooks of one code cell."""
    root = tmp_path / "project"
    (root / "book").mkdir(parents=True)
    for name in ("datagen", "sql"):
        (root / name).symlink_to(ROOT / name)
    for name, source in cells_by_name.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3",
                                     "display_name": "Python 3",
                                     "language": "python"}
        params = nbformat.v4.new_code_cell("seed = 0")
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_markdown_cell(f"# {name}"),
                    nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, str(root / "book" / f"{name}.ipynb"))
    (root / "_config.yml").write_text(
        "title: scratch\nonly_build_toc_files: true\n"
        "execute:\n  execute_notebooks: 'off'\n")
    names = sorted(cells_by_name)
    (root / "_toc.yml").write_text(
        f"format: jb-book\nroot: book/{names[0]}\nchapters:\n"
        + "".join(f"  - file: book/{n}\n" for n in names[1:]))
    return root


@pytest.mark.book
def test_a_failing_chapter_stops_the_build_and_keeps_the_site(
        tmp_path, pg_url):
    params = parse_params(dict(seed=3, scale=BOOK_SCALE, schema="book_none"))
    root = _scratch_project(tmp_path, {"01_fine": "print('fine')",
                                       "02_other": "x = 1"})
    out = tmp_path / "out"
    build_book(params, out=out, echo=lambda line: None, root=root)
    page = (out / "html" / "book" / "01_fine.html").read_text()

    (root / "book" / "02_other.ipynb").unlink()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell("seed = 0"),
                nbformat.v4.new_code_cell("1 / 0")]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, str(root / "book" / "02_other.ipynb"))
    with pytest.raises(ChapterFailed) as failure:
        build_book(params, out=out, echo=lambda line: None, root=root)
    message = str(failure.value)
    assert "chapter 02_other.ipynb failed" in message
    assert "ZeroDivisionError" in message and "1 / 0" in message
    assert (out / "failed" / "02_other.ipynb").is_file()
    assert (out / "html" / "book" / "01_fine.html").read_text() == page


@pytest.mark.book
def test_only_changed_notebooks_run_again(tmp_path, pg_url):
    params = parse_params(dict(seed=3, scale=BOOK_SCALE, schema="book_none"))
    root = _scratch_project(tmp_path, {"01_a": "print('a')",
                                       "02_b": "print('b')"})
    out = tmp_path / "out"
    first: list[str] = []
    build_book(params, out=out, echo=first.append, root=root)
    assert sum(line.strip().startswith("ran") for line in first) == 2

    nb = nbformat.read(str(root / "book" / "02_b.ipynb"), as_version=4)
    nb.cells[-1].source = "print('b, changed')"
    nbformat.write(nb, str(root / "book" / "02_b.ipynb"))
    second: list[str] = []
    build_book(params, out=out, echo=second.append, root=root)
    assert any(line.strip().startswith("kept 01_a") for line in second)
    assert any(line.strip().startswith("ran  02_b") for line in second)
    assert "b, changed" in (out / "html" / "book" / "02_b.html").read_text()

    third: list[str] = []
    build_book(parse_params(dict(seed=4, scale=BOOK_SCALE,
                                 schema="book_none")),
               out=out, echo=third.append, root=root)
    assert sum(line.strip().startswith("ran") for line in third) == 2
    shutil.rmtree(out)


def test_notebooks_round_trip_through_the_percent_format():
    """README: a chapter is edited as a jupytext percent-format script."""
    import jupytext
    for name in CHAPTERS:
        nb = nbformat.read(str(ROOT / "book" / f"{name}.ipynb"), as_version=4)
        again = jupytext.reads(jupytext.writes(nb, fmt="py:percent"),
                               fmt="py:percent")
        assert [(c.cell_type, c.source, c.metadata.get("tags", []))
                for c in again.cells] == [
            (c.cell_type, c.source, c.metadata.get("tags", []))
            for c in nb.cells], name


# --- a refreshed period ------------------------------------------------------

#: the book of the default period, its warehouse refreshed to the middle of
#: a month (make refresh TO=2026-01-15): January 2026 is covered in part
SHORT = dict(end_date="2026-01-15")
#: the book is built as of this day first, then its warehouse is refreshed
#: to SHORT's end date and the book built again
SHORT_REFRESHED_FROM = "2025-12-31"


@pytest.fixture(scope="module")
def short_book(pg_url, tmp_path_factory):
    # (no PDFs: its tests read the site; both builds print none)
    return get_book(pg_url, tmp_path_factory, 3,
                    refreshed_from=SHORT_REFRESHED_FROM, pdfs=False, **SHORT)


@pytest.mark.book
def test_a_month_in_part_is_left_out_never_drawn_as_a_drop(short_book):
    """January 2026 has 15 of its 31 days: the month-by-month charts leave
    it out and say so; the forecast starts after it."""
    import pandas as pd
    note = "January 2026 (15 of its 31 days) is left out"
    for docname, chart in (("02_kpi_dashboard", "chart-monthly-kpis.csv"),
                           ("03_revenue_trends",
                            "chart-net-revenue-per-month.csv")):
        assert note in text_of(short_book.page(f"book/{docname}")), docname
        drawn = pd.read_csv(short_book.html / "book" / f"{docname}_data"
                            / chart)
        months = pd.to_datetime(drawn.x).dt.to_period("M").astype(str)
        assert "2026-01" not in set(months), docname
        assert "2025-12" in set(months), docname
    forecast = pd.read_csv(short_book.html / "book" / "08_forecasting_data"
                           / "table-forecast-with-its-80-prediction-interval"
                             ".csv")
    assert str(forecast.month.iloc[0]).startswith("2026-02"), forecast
    assert "January 2026, which the data covers only in part" in text_of(
        short_book.page("book/08_forecasting"))


@pytest.mark.book
@pytest.mark.browser
def test_every_page_of_the_refreshed_book_fits_its_span(
        short_book, browser, pg_url):  # noqa: F811
    from page_checks import page_problems
    from test_browser import open_page
    profile = short_book.profile(pg_url)
    for docname in toc_pages():
        page = open_page(browser, (short_book.html / f"{docname}.html"
                                   ).as_uri())
        try:
            assert page_problems(page, profile) == [], docname
        finally:
            page.close()


# --- time moves: a refreshed warehouse, and the last day of one built in full --

def since_counts(conn, schema: str, since: dt.date) -> dict[str, int]:
    """What happened after ``since``, counted in pandas from the tables."""
    import pandas as pd

    def frame(query):
        cursor = conn.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[
            column.name for column in cursor.description]).apply(
                lambda column: column if column.name.startswith("customer")
                else pd.to_datetime(column))
    orders = frame(f"select order_ts, returned_ts, cancelled_ts "
                   f"from {schema}.fact_order")
    customers = frame(f"select signup_date from {schema}.dim_customer")
    history = frame(f"select customer_id, customer_version, valid_from "
                    f"from {schema}.dim_customer_history")
    day = pd.Timestamp(since)
    placed_by = orders.order_ts.dt.normalize() <= day
    changed = history[(history.customer_version > 1)
                      & (history.valid_from > day)]
    return {
        "since_new_orders": int((~placed_by).sum()),
        "since_late_returns": int((placed_by & (
            orders.returned_ts.dt.normalize() > day)).sum()),
        "since_late_cancellations": int((placed_by & (
            orders.cancelled_ts.dt.normalize() > day)).sum()),
        "since_new_customers": int((customers.signup_date > day).sum()),
        "since_changed_customers": int(changed.customer_id.nunique()),
    }


@pytest.mark.book
def test_a_refreshed_warehouse_is_kept_and_the_chapters_run_again(
        short_book, pg_url):
    """make refresh TO=... then make book END_DATE=...: the warehouse
    notebook keeps the warehouse (a refresh equals a full build), every
    chapter runs again, and a further make book would keep them all."""
    from datagen.chapters import freshness
    from datagen.publish import notebooks, reuse
    assert any("refreshed schema" in line for line in short_book.first_log)
    ran = {line.split()[1]: line for line in short_book.log
           if line.strip().startswith("ran")}
    assert "(kept the refreshed warehouse)" in ran["00_build_warehouse.ipynb"]
    assert set(ran) == {f"{name}.ipynb" for name in CHAPTERS}
    assert not any(line.strip().startswith("kept") for line in short_book.log)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        built_at, refreshed_from, refreshed_at, end_date = conn.execute(
            f"select built_at, refreshed_from, refreshed_at, end_date "
            f"from {short_book.schema}.build_info").fetchone()
    assert refreshed_from == dt.date.fromisoformat(SHORT_REFRESHED_FROM)
    assert end_date == short_book.params.end_date and built_at < refreshed_at
    facts = short_book.facts("00_build_warehouse")
    assert "build_seconds" not in facts and facts["refresh_seconds"] >= 0
    assert freshness.KEEP_WAREHOUSE_VARIABLE == \
        notebooks.KEEP_WAREHOUSE_VARIABLE
    # the manifest now holds the refreshed warehouse: nothing would run
    manifest = reuse.load_manifest(short_book.out / "executed" /
                                   "manifest.json")
    stamp = reuse.warehouse_stamp(pg_url, short_book.schema)
    parameters = short_book.params.as_dict()
    for name in CHAPTERS:
        assert manifest[f"{name}.ipynb"] == {
            **manifest[f"{name}.ipynb"], "stamp": stamp,
            "inputs": reuse.notebook_inputs(
                ROOT / "book" / f"{name}.ipynb", parameters, pg_url, stamp)}


@pytest.mark.book
def test_every_page_says_as_of_and_refreshed_from(short_book):
    said = (f"as of {chapters.day(short_book.params.end_date)}, refreshed "
            f"from {chapters.day(dt.date.fromisoformat(SHORT_REFRESHED_FROM))}")
    for docname in toc_pages():
        banner = re.search(r'<div class="wh-banner">(.*?)</div>',
                           short_book.page(docname), flags=re.S)
        assert banner and said in text_of(banner.group(1)).replace(
            " ,", ","), docname


@pytest.mark.book
def test_the_kpi_page_counts_what_the_refresh_brought(short_book, pg_url):
    since = dt.date.fromisoformat(SHORT_REFRESHED_FROM)
    facts = short_book.facts("02_kpi_dashboard")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        expected = since_counts(conn, short_book.schema, since)
    assert facts["since_date"] == since.isoformat()
    assert {name: facts[name] for name in expected} == expected
    assert expected["since_new_orders"] > 0
    text = text_of(short_book.page("book/02_kpi_dashboard"))
    assert (f"from {chapters.day(since)} to "
            f"{chapters.day(short_book.params.end_date)} (15 days)") in text
    assert (f"{chapters.plural(expected['since_new_orders'], 'new order')} "
            in text)
    assert "no refresh to report" not in text


@pytest.mark.book
def test_a_full_build_shows_its_last_day_instead(book, pg_url):
    since = book.params.end_date - dt.timedelta(days=1)
    facts = book.facts("02_kpi_dashboard")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        expected = since_counts(conn, book.schema, since)
    assert facts["since_date"] == since.isoformat()
    assert {name: facts[name] for name in expected} == expected
    text = text_of(book.page("book/02_kpi_dashboard"))
    assert (f"The warehouse was built in full as of "
            f"{chapters.day(book.params.end_date)}: there is no refresh to "
            "report") in text
    assert (f"On {chapters.day(book.params.end_date)}, "
            f"{chapters.plural(expected['since_new_orders'], 'new order')} "
            in text)
