"""The built site in headless Chromium: pages load cleanly, charts are drawn.

Uses the small seed-42 book of ``book_build`` and drives Chromium over the
DevTools protocol (``tools/browser.py``). Every page of ``_toc.yml`` must
load from the files (as a reader opening ``_build/html/index.html`` would)
without a console error, an exception or a failed request (the site must
work offline: no CDN), every plotly chart on it must have drawn its SVG,
and none may be one the data does not support (``page_checks``).
Also: the site served over HTTP (``make serve``), the sortable and
searchable tables, and the dark theme.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
import time

import pytest
from page_checks import page_problems

from book_build import get_book, toc_pages
from tools import browser as chromium

pytestmark = [pytest.mark.book, pytest.mark.browser]


@pytest.fixture(scope="module")
def book(pg_url, tmp_path_factory):
    return get_book(pg_url, tmp_path_factory, 42)


@pytest.fixture(scope="module")
def browser():
    if chromium.find_browser() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with chromium.Browser() as running:
        yield running


def open_page(browser, url, **kwargs):
    page = browser.page()
    page.open(url, **kwargs)
    return page


def assert_opens_with_its_title(page, docname: str) -> None:
    """No set-up toggle ("Show code cell ...") above the page's title."""
    above = page.evaluate("""(() => {
        const article = document.querySelector('article');
        const range = document.createRange();
        range.setStart(article, 0);
        range.setEndBefore(article.querySelector('h1'));
        return range.toString(); })()""")
    assert "Show code cell" not in above, (docname, above[:200])


def test_every_page_loads_without_errors_and_draws_its_charts(book, browser,
                                                             pg_url):
    profile = book.profile(pg_url)
    for docname in toc_pages():
        path = book.html / f"{docname}.html"
        page = open_page(browser, path.as_uri())
        try:
            charts = page.charts()
            assert page.errors == [], (docname, page.errors)
            assert charts["charts"] >= 1, docname
            assert charts["drawn"] == charts["charts"], (docname, charts)
            assert all(traces > 0 for traces in charts["traces"]), (
                docname, "a chart without data", charts)
            title = page.evaluate("document.querySelector('h1').textContent")
            assert title.strip(), docname
            assert_opens_with_its_title(page, docname)
            # printed output wraps: nothing hidden behind a sideways scroll
            hidden = page.evaluate("""Array.from(document.querySelectorAll(
                '.cell_output .output.stream pre')).filter(
                pre => pre.scrollWidth > pre.clientWidth + 1).length""")
            assert hidden == 0, (docname, "printed lines run off", hidden)
            # no chart of one bar or cell, none ticked between days or
            # inside months, no claim about what the data does not know
            assert page_problems(page, profile) == [], docname
        finally:
            page.close()


#: seconds the served site's test waits for Chromium to ask for the icon
ICON_WAIT = 10


def asked_for_icon(answered: list[tuple[str, int]]) -> bool:
    return any(path.startswith("/_static/favicon") for path, _ in answered)


def test_the_served_site_loads(book, browser):
    answered: list[tuple[str, int]] = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            answered.append((self.path, int(code)))

        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = browser.page()
        landing = page.follow_redirect(f"{base}/index.html")
        assert landing == f"{base}/{toc_pages()[0]}.html"
        page.open(f"{base}/book/04_customer_value.html")
        assert page.errors == []
        charts = page.charts()
        assert charts["drawn"] == charts["charts"] >= 1
        # Chromium asks for the page's icon on its own time after the load
        # (on a busy machine, once after the page was closed): it is waited
        # for, up to ICON_WAIT seconds
        waited = time.monotonic() + ICON_WAIT
        while not asked_for_icon(answered) and time.monotonic() < waited:
            time.sleep(0.05)
        page.close()
        # the server's side: every request answered (no /favicon.ico asked
        # for by the root page, which has its own icon link)
        assert [path for path, code in answered if code >= 400] == []
        assert asked_for_icon(answered)
    finally:
        server.shutdown()
        server.server_close()


def test_tables_sort_and_search(book, browser):
    page = open_page(browser, (book.html / "book" /
                               "04_customer_value.html").as_uri())
    try:
        rows = page.evaluate("""(() => {
            const box = Array.from(document.querySelectorAll('div.wh-search'))
                .find(d => d.querySelector('caption').textContent
                           .includes('highest net revenue'));
            const table = box.querySelector('table');
            const column = Array.from(table.tHead.rows[0].cells)
                .findIndex(th => th.textContent.trim() === 'orders');
            const values = () => Array.from(table.tBodies[0].rows)
                .filter(r => r.style.display !== 'none')
                .map(r => Number(r.cells[column].getAttribute('data-sort')));
            const header = table.tHead.rows[0].cells[column];
            header.click();
            const ascending = values();
            header.click();
            const descending = values();
            const input = box.querySelector('input[type=search]');
            const first = table.tBodies[0].rows[0].cells[0].textContent;
            input.value = first;
            input.dispatchEvent(new Event('input'));
            return {ascending, descending, shown: values().length,
                    total: table.tBodies[0].rows.length,
                    count: box.querySelector('.wh-count').textContent};
        })()""")
        assert rows["ascending"] == sorted(rows["ascending"])
        assert rows["descending"] == sorted(rows["descending"], reverse=True)
        assert rows["total"] == 50 and rows["shown"] == 1
        assert rows["count"] == "1 of 50 rows"
        assert page.errors == []
    finally:
        page.close()


#: the narrow laptop width at which every column of a table of up to
#: ``FITTING_COLUMNS`` columns must be in view without scrolling
NARROW_WIDTH = 1280
FITTING_COLUMNS = 10


def test_tables_fit_the_page_at_1280_px(book, browser):
    """Every column of a table of up to ten columns is in view at 1280 px,
    the top customers' and the association rules' among them; a wider
    table says that it scrolls sideways."""
    seen = set()
    for docname in toc_pages():
        page = browser.page()
        try:
            page.call("Emulation.setDeviceMetricsOverride",
                      width=NARROW_WIDTH, height=900, deviceScaleFactor=1,
                      mobile=False)
            page.open((book.html / f"{docname}.html").as_uri())
            assert_opens_with_its_title(page, docname)
            tables = page.evaluate("""Array.from(document.querySelectorAll(
                'div.wh-table')).map(box => {
                const table = box.querySelector('table');
                const view = box.getBoundingClientRect();
                const heads = Array.from(table.tHead.rows[0].cells);
                const note = box.previousElementSibling;
                return {caption: (table.caption || {}).textContent || '',
                    columns: heads.length,
                    cut: heads.filter(th => {
                        const cell = th.getBoundingClientRect();
                        return cell.left < view.left - 1
                            || cell.right > view.right + 1
                            || cell.right > window.innerWidth;
                    }).map(th => th.textContent.trim()),
                    said: !!(note && note.classList.contains('wh-wider')
                             && !note.hidden),
                    width: window.innerWidth};
            })""")
        finally:
            page.close()
        for table in tables:
            assert table["width"] == NARROW_WIDTH
            if table["columns"] <= FITTING_COLUMNS:
                assert table["cut"] == [], (docname, table)
                assert not table["said"], (docname, table)
            else:
                assert table["said"] or not table["cut"], (docname, table)
            seen.add(table["caption"])
    assert any("highest net revenue" in caption for caption in seen), seen
    assert any("Association rules" in caption for caption in seen), seen


def test_a_table_wider_than_the_page_says_so(book, browser):
    """On a narrow screen the top customers' table scrolls sideways, and a
    line above it says so; widened again, the line goes."""
    page = browser.page()
    try:
        def note_at(width: int) -> dict:
            page.call("Emulation.setDeviceMetricsOverride", width=width,
                      height=900, deviceScaleFactor=1, mobile=False)
            return page.evaluate("""new Promise(done => setTimeout(() => {
                const box = Array.from(document.querySelectorAll(
                    'div.wh-table')).find(d => d.querySelector('caption')
                    .textContent.includes('highest net revenue'));
                const note = box.previousElementSibling;
                done({scrolls: box.scrollWidth > box.clientWidth + 1,
                      shown: note.classList.contains('wh-wider')
                             && !note.hidden,
                      text: note.textContent});
            }, 200))""")
        page.open((book.html / "book" / "04_customer_value.html").as_uri())
        narrow = note_at(640)
        assert narrow["scrolls"] and narrow["shown"], narrow
        assert "scroll it sideways to see all 10 columns" in narrow["text"]
        wide = note_at(NARROW_WIDTH)
        assert not wide["scrolls"] and not wide["shown"], wide
        assert page.errors == []
    finally:
        page.close()


def _luminance(css_color: str) -> float:
    import re
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_charts_are_readable_in_the_dark_theme(book, browser):
    page = open_page(browser, (book.html / "book" /
                               "03_revenue_trends.html").as_uri(), dark=True)
    try:
        colors = page.evaluate("""(() => ({
            theme: document.documentElement.dataset.theme,
            tick: getComputedStyle(
                document.querySelector('.js-plotly-plot .xtick text')).fill,
            title: getComputedStyle(
                document.querySelector('.js-plotly-plot .g-xtitle text')).fill,
            body: getComputedStyle(document.body).backgroundColor,
        }))()""")
        assert colors["theme"] == "dark"
        assert _luminance(colors["body"]) < 0.3
        assert _luminance(colors["tick"]) > 0.6, colors
        assert _luminance(colors["title"]) > 0.6, colors
        assert page.errors == []
    finally:
        page.close()


def test_the_guide_is_in_the_site_and_its_search(book, browser):
    guide = [docname for docname in toc_pages(guide=True)
             if docname.startswith("book/guide/")]
    assert len(guide) >= 6
    for docname in guide:
        page = open_page(browser, (book.html / f"{docname}.html").as_uri())
        try:
            assert page.errors == [], (docname, page.errors)
            title = page.evaluate("document.querySelector('h1').textContent")
            assert title.strip(), docname
            assert_opens_with_its_title(page, docname)
        finally:
            page.close()
    index = (book.html / "searchindex.js").read_text()
    assert "Bring your own orders" in index and "own_orders" in index
