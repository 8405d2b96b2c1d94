"""The book as PDF: printed by Chromium, read back with pypdf and poppler.

Uses the small seed-42 book of ``book_build`` (built once for the
session, the PDFs with it). The book PDF must have one section per
chapter in the order of ``_toc.yml``, a cover with the parameters and a
contents page whose page numbers are right, the KPI page's headline
numbers as the site shows them, charts that drew (pdftoppm: coloured
pixels on every page with a chart), and no table cut at the page edge
(in Chromium's print layout and in the PDF's text). The site links the
PDFs, and a second build with nothing changed prints nothing.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from book_build import ROOT, get_book, toc_pages
from datagen.publish import pdf

# printed by Chromium, read by pdftotext and pdftoppm
pytestmark = [pytest.mark.book, pytest.mark.browser, pytest.mark.process]


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed (.ci/run installs it)")
        pytest.skip(f"{tool} is not installed (apt-get install "
                    "poppler-utils chromium)")


@pytest.fixture(scope="module")
def book(pg_url, tmp_path_factory):
    _need("pdftotext")
    _need("pdftoppm")
    if not pdf.can_print():  # the book is then built without its PDFs
        _need("chromium")
    return get_book(pg_url, tmp_path_factory, 42)


@pytest.fixture(scope="module")
def book_pdf(book) -> Path:
    path = book.html / pdf.book_pdf_name(ROOT)
    assert path.is_file()
    return path


def pdf_text(path: Path, first: int | None = None,
             last: int | None = None) -> str:
    pages = (["-f", str(first)] if first else []) + (
        ["-l", str(last)] if last else [])
    return subprocess.run(["pdftotext", *pages, str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def collapsed(text: str) -> str:
    return " ".join(text.split())


def h1(book, docname: str) -> str:
    match = re.search(r"<h1>(.*?)<a class=\"headerlink\"", book.page(docname))
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match[1])).strip()


def test_one_section_per_chapter_in_the_order_of_the_toc(book, book_pdf):
    from pypdf import PdfReader
    reader = PdfReader(book_pdf)
    top = [(item.title, reader.get_destination_page_number(item))
           for item in reader.outline if not isinstance(item, list)]
    assert top[0][0] == "Contents"
    sections = top[1:]
    assert [title for title, _ in sections] == [
        h1(book, doc) for doc in toc_pages(guide=True)]
    starts = [page for _, page in sections]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    contents = collapsed(pdf_text(book_pdf, 2, 2))
    for title, start in sections:
        # the chapter begins on its page, and the contents say which
        assert collapsed(pdf_text(book_pdf, start + 1, start + 1)
                         ).startswith(title), title
        assert f"{title} {start + 1}" in contents, title
        # every page after the cover carries the book's page number
        assert f"page {start + 1} of {len(reader.pages)}" in pdf_text(
            book_pdf, start + 1, start + 1)


def _headings(reader) -> set[str]:
    """The titles of the book's outline: chapters and their sections."""
    found = set()

    def walk(entries):
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                found.add(collapsed(entry.title))
    walk(reader.outline)
    return found


FOOTER = re.compile(r"\u00b7 page \d+ of \d+$")


def test_no_page_holds_only_a_heading_a_toggle_or_its_number(book, book_pdf):
    """Every page after the cover has something to read besides its
    number; none ends on a section's heading (a heading keeps with what
    follows it); no code toggle is printed."""
    from pypdf import PdfReader
    reader = PdfReader(book_pdf)
    headings = _headings(reader) - {"Contents"}
    pages = pdf_text(book_pdf).split("\f")[: len(reader.pages)]
    assert len(pages) == len(reader.pages)
    for number, text in enumerate(pages[1:], start=2):
        lines = [collapsed(line) for line in text.splitlines()
                 if line.strip()]
        assert lines and FOOTER.search(lines[-1]), (number, lines[-1:])
        body = [line for line in lines if not FOOTER.search(line)]
        assert body, f"page {number} holds nothing but its number"
        assert " ".join(body) not in headings, (number, body)
        assert body[-1] not in headings, (
            f"page {number} ends on the heading {body[-1]!r}")
        assert "Show code cell" not in text, number


def _ink(path: Path, tmp_path: Path) -> list[float]:
    """Per page, the share of its area above the bottom margin (where the
    page number is) that is ink (pdftoppm, 30 dpi, grey below 200)."""
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(path),
                    str(tmp_path / "ink")], check=True)
    shares = []
    for image in sorted(tmp_path.glob("ink*.pgm")):
        header = image.read_bytes().split(b"\n", 3)
        width, height = (int(v) for v in header[1].split())
        pixels = np.frombuffer(header[3], dtype=np.uint8)[: width * height]
        body = pixels.reshape(height, width)[: int(height * 0.93)]
        shares.append(float((body < 200).mean()))
        image.unlink()
    return shares


#: the least ink a page of the book has (its lightest, a page of a short
#: table, has about 0.9% of its area inked at seed 42)
LEAST_INK = 0.003


def test_every_page_of_the_book_is_inked(book, book_pdf, tmp_path):
    shares = _ink(book_pdf, tmp_path)
    from pypdf import PdfReader
    assert len(shares) == len(PdfReader(book_pdf).pages)
    faint = [(number, round(share, 4))
             for number, share in enumerate(shares, start=1)
             if share < LEAST_INK]
    assert faint == [], faint


def test_the_contents_entries_link_to_their_pages(book, book_pdf):
    from pypdf import PdfReader
    reader = PdfReader(book_pdf)
    starts = {collapsed(item.title): reader.get_destination_page_number(item)
              for item in reader.outline if not isinstance(item, list)}
    starts.pop("Contents")
    pages = {page.indirect_reference.idnum: index
             for index, page in enumerate(reader.pages)}
    links = []
    for at in range(1, min(starts.values())):  # the contents' pages
        for annotation in reader.pages[at].get("/Annots", []):
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            assert "/A" not in annotation, annotation  # no address: a page
            top = float(annotation["/Rect"][3])
            links.append(((at, -top), pages[annotation["/Dest"][0].idnum]))
    # top to bottom, the links go to the chapters in the contents' order
    assert [page for _, page in sorted(links)] == list(starts.values())


def _links(reader):
    """(page index, address or None, page index it goes to or None) of
    every link of ``reader``."""
    pages = {page.indirect_reference.idnum: index
             for index, page in enumerate(reader.pages)}
    named = reader.named_destinations
    for at, page in enumerate(reader.pages):
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            uri = action.get_object().get("/URI") if action else None
            dest = annotation.get("/Dest")
            if isinstance(dest, str):  # a named place (an anchor)
                to = (reader.get_destination_page_number(named[dest])
                      if dest in named else None)
            else:
                to = pages.get(dest[0].idnum) if dest else None
            yield at, (str(uri) if uri is not None else None), to


def test_links_to_pages_of_the_site_lead_there_where_the_pdf_is(book,
                                                                book_pdf):
    """Chromium prints a link to another page as the address it read the
    page from: never the printer's own address or the builder's files.
    In the book a link to one of its pages goes to that page; in a page
    alone it is relative to where the PDF is published."""
    from pypdf import PdfReader
    reader = PdfReader(book_pdf)
    starts = {collapsed(item.title): reader.get_destination_page_number(item)
              for item in reader.outline if not isinstance(item, list)}
    links = list(_links(reader))
    for at, uri, _ in links:
        assert uri is None or not re.match(
            r"file:|https?://(127\.0\.0\.1|localhost):\d+/.",
            uri), (at, uri)
    # the getting-started guide links other pages: to their first pages
    first = starts[h1(book, "book/guide/getting_started")]
    after = min(page for page in starts.values() if page > first)
    elsewhere = {to for at, _, to in links if first <= at < after
                 and to is not None and not first <= to < after}
    assert elsewhere and elsewhere <= set(starts.values()), elsewhere
    alone = book.html / "book" / "guide" / "getting_started.pdf"
    relative = [uri for _, uri, _ in _links(PdfReader(alone))
                if uri and not re.match(r"[a-z]+:", uri)]
    assert relative, "the page alone has no relative link"
    for uri in relative:
        target = (alone.parent / uri.partition("#")[0]).resolve()
        assert target.is_file() and target.is_relative_to(
            book.html.resolve()), uri


def test_the_cover_states_the_parameters_and_the_data_period(book, book_pdf):
    """As the pages' banners do: the first day and the as-of date."""
    cover = collapsed(pdf_text(book_pdf, 1, 1))
    params = book.params
    assert f"seed {params.seed}" in cover
    assert f"schema {params.schema}" in cover
    assert (f"data from {params.start_date.day} {params.start_date:%B %Y} "
            f"as of {params.end_date.day} {params.end_date:%B %Y}") in cover


def test_the_kpi_headline_numbers_print_as_the_site_shows_them(book,
                                                               book_pdf):
    page = book.page("book/02_kpi_dashboard")
    shown = [html_lib.unescape(v) for v in
             re.findall(r'class="wh-kpi-value">([^<]+)<', page)]
    assert len(shown) >= 5
    text = collapsed(pdf_text(book_pdf))
    alone = collapsed(pdf_text(book.html / "book" / "02_kpi_dashboard.pdf"))
    for value in shown:
        assert value in text and value in alone, value


def _coloured_share(path: Path, page: int, tmp_path: Path) -> float:
    """Share of a page's pixels in colour (the charts' traces; text and
    rules are grey), from pdftoppm at 40 dpi. A page of text has next to
    none (0.03%: a link or two); one thin line (a Lorenz curve) about
    0.17%."""
    out = tmp_path / f"p{page}"
    subprocess.run(["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page),
                    str(path), str(out)], check=True)
    image = next(tmp_path.glob(f"p{page}*.ppm"))
    raw = image.read_bytes()
    header = raw.split(b"\n", 3)
    width, height = (int(v) for v in header[1].split())
    pixels = np.frombuffer(header[3], dtype=np.uint8)[: width * height * 3]
    pixels = pixels.reshape(height, width, 3).astype(int)
    image.unlink()
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return float((spread > 60).mean())


def test_every_chart_page_is_drawn(book, tmp_path):
    for docname in toc_pages():
        page_pdf = book.html / f"{docname}.pdf"
        titles = [json.loads(f'"{t}"') for t in re.findall(
            r'"title":\{[^{}]*?"text":"((?:[^"\\]|\\.)+)"',
            book.page(docname))]
        titles = [t for t in titles if len(t) >= 8]  # not "$", "month"
        assert titles, docname
        from pypdf import PdfReader
        count = len(PdfReader(page_pdf).pages)
        texts = [collapsed(pdf_text(page_pdf, n, n))
                 for n in range(1, count + 1)]
        for title in titles:
            words = collapsed(re.sub(r"<[^>]+>", " ", title))[:40]
            numbers = [n for n, text in enumerate(texts, start=1)
                       if words in text]
            assert numbers, (docname, "chart title not printed", words)
            share = max(_coloured_share(page_pdf, n, tmp_path)
                        for n in numbers)
            assert share > 0.001, (docname, words, share)


def test_a_scatter_prints_its_points_as_marks_not_groups(book):
    """A point with an opacity of its own prints as a transparency group
    (a form XObject) each: the segmentation scatter's 3,000 points made
    its page 1.8 MB. ``charts.js`` moves the opacity to the fill on paper."""
    from pypdf import PdfReader
    page = book.page("book/09_segmentation")
    assert '"opacity":0.6' in page.replace(" ", ""), "no translucent points"
    reader = PdfReader(book.html / "book" / "09_segmentation.pdf")
    groups = 0
    for sheet in reader.pages:
        for xobject in sheet["/Resources"].get("/XObject", {}).values():
            xobject = xobject.get_object()
            groups += xobject.get("/Subtype") == "/Form" and "/Group" in xobject
    assert groups < 50, groups


def test_no_table_is_cut(book):
    from datagen.publish import chromium
    with chromium.Browser(width=pdf.CSS_WIDTH) as browser:
        tab = browser.page()
        tab.print_media(pdf.CSS_WIDTH)
        for docname in toc_pages():
            tab.open((book.html / f"{docname}.html").as_uri(), settle=0.05)
            layout = tab.evaluate("""(() => {
                const width = document.documentElement.clientWidth;
                return Array.from(document.querySelectorAll('table')).map(t => {
                    const box = t.closest('.wh-table') || t.parentElement;
                    const rows = t.tBodies[0] ? t.tBodies[0].rows : [];
                    const last = rows.length ? rows[rows.length - 1] : null;
                    return {right: t.getBoundingClientRect().right, width,
                            wide: box.scrollWidth - box.clientWidth,
                            tall: box.scrollHeight - box.clientHeight,
                            header: t.tHead ? t.tHead.rows[0].cells[
                                t.tHead.rows[0].cells.length - 1]
                                .textContent.trim() : '',
                            last: last ? last.cells[0].textContent.trim()
                                : ''};
                });
            })()""")
            text = collapsed(pdf_text(book.html / f"{docname}.pdf"))
            for table in layout:
                assert table["right"] <= table["width"] + 1, (docname, table)
                assert table["wide"] <= 1 and table["tall"] <= 1, (
                    docname, "a table scrolls in print", table)
                for cell in (table["header"], table["last"]):
                    # the words, each whole (a header may wrap in its cell)
                    for word in cell.split():
                        assert word in text, (docname, cell)


def test_folded_code_is_left_out_and_the_dark_theme_never_prints(book):
    from datagen.publish import chromium
    page = book.page("book/02_kpi_dashboard")
    code = re.search(r'<div class="highlight-ipython3 notranslate">'
                     r'<div class="highlight"><pre>(.*?)</pre>', page, re.S)
    first_line = collapsed(html_lib.unescape(re.sub(
        r"<[^>]+>", "", code[1])).splitlines()[0])
    text = collapsed(pdf_text(book.html / "book" / "02_kpi_dashboard.pdf"))
    # on paper a toggle means nothing: neither it nor its code is printed
    assert "Show code cell" not in text and first_line not in text
    assert "Show code cell" not in collapsed(pdf_text(
        book.html / pdf.book_pdf_name(ROOT)))
    with chromium.Browser() as browser:
        tab = browser.page()
        tab.open((book.html / "book" / "02_kpi_dashboard.html").as_uri(),
                 dark=True)
        assert tab.evaluate("document.documentElement.dataset.theme") == \
            "dark"
        tab.call("Emulation.setEmulatedMedia", media="print", features=[
            {"name": "prefers-color-scheme", "value": "dark"}])
        colours = tab.evaluate("""[getComputedStyle(document.body)
            .backgroundColor, getComputedStyle(document.body).color]""")
    assert colours[0] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), colours
    assert sum(int(v) for v in re.findall(r"\d+", colours[1])[:3]) < 200


def test_the_site_links_the_pdfs(book):
    name = pdf.book_pdf_name(ROOT)
    for docname in toc_pages():
        page = book.page(docname)
        folder = (book.html / docname).parent
        hrefs = set(re.findall(r'href="([^"]+\.pdf)"', page))
        own = Path(docname).name + ".pdf"
        assert own in hrefs and f"../{name}" in hrefs, docname
        for href in hrefs:
            assert (folder / href).resolve().is_file(), (docname, href)
    intro = book.page(toc_pages()[0])
    assert 'class="wh-book-pdf"' in intro


def test_a_second_build_prints_nothing(book):
    from datagen.publish.book import build_book
    from datagen.publish.reuse import code_fingerprint
    if code_fingerprint() != book.code:
        pytest.skip("datagen/ or sql/ changed while the tests ran")
    before = (book.html / pdf.book_pdf_name(ROOT)).read_bytes()
    log: list[str] = []
    build_book(book.params, out=book.out, echo=log.append)
    assert any("PDFs reused" in line for line in log), log
    assert not any("printed" in line for line in log), log
    assert (book.html / pdf.book_pdf_name(ROOT)).read_bytes() == before
