"""The book as PDF: every page printed by Chromium, merged with pypdf.

Owns the PDFs of ``make book``. Each page of ``_toc.yml`` is loaded from
the built site in the system Chromium, laid out as printed (print CSS in
``book/_static/book.css``, the charts drawn at the width they print at)
and printed with ``Page.printToPDF`` (``chromium``). pypdf then makes

- ``<site>/<book_pdf>``: a cover with the parameters and the data's days
  (from, as of, refreshed from), the contents with page numbers, every page
  in the order of ``_toc.yml``, an outline (one entry per chapter, its
  sections below it) and a page number on every page after the cover;
- ``<site>/<docname>.pdf``: each page alone, numbered "page i of n".

Each page is loaded and printed once (two tabs side by side), without
numbers. The numbers are a second, transparent PDF printed by Chromium
once (one sheet per number: the book's on every page after the cover,
then each page's own, "page i of n", for the page alone), and each sheet
is laid over its page as a form XObject: the page's own content is
neither parsed nor rewritten, only a stream that draws the sheet is
added (``_overlay``; pypdf's ``merge_page`` parses and rewrites both,
which cost more than printing the page again). A trailing page that holds
nothing (no text: the end of a page's margin that spilled over) is
dropped. The contents entries are links to their pages: Chromium prints
each entry as a link to a placeholder address (``CONTENTS_LINK``), which
pypdf turns into a link inside the book.

Reuse: a page is printed again only when its HTML, the site's static files
or this code changed (``<out>/pdf/manifest.json``); when nothing changed
the PDFs of the previous build are copied, and nothing is printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import posixpath
import re
import secrets
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import yaml

from ..errors import DatagenError
from ..escape import html
from . import serve

#: A4 in inches, the margins and the scale pages print at
PAPER = {"paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0.5,
         "marginBottom": 0.7, "marginLeft": 0.55, "marginRight": 0.55}
SCALE = 0.75
#: the CSS width of the printed page: what the charts are drawn at
CSS_WIDTH = round((PAPER["paperWidth"] - PAPER["marginLeft"]
                   - PAPER["marginRight"]) * 96 / SCALE)
PRINT_VERSION = 3
#: what the contents page's entries link to when Chromium prints them: a
#: placeholder address ending in the page number, made a link to that page
#: of the book when it is assembled (``_link_contents``)
CONTENTS_LINK = "https://contents.invalid/page/"
#: tabs printing side by side
TABS = 2
#: the site's scripts that change nothing on paper (search, icons, menus,
#: copy buttons, tabs): the printing tabs do not load them, which takes a
#: fifth off loading the pages (22 pages: 7.0 s -> 5.7 s in one tab), and
#: every printed page is the same to the pixel (checked at 50 dpi)
NOT_PRINTED = ("searchindex.js", "searchtools.js", "language_data.js",
               "fontawesome.js", "bootstrap.js", "clipboard.min.js",
               "copybutton.js", "design-tabs.js", "sphinx_highlight.js")
CODE = (Path(__file__), Path(__file__).with_name("chromium.py"))


class _PrintHandler(serve.SiteHandler):
    """The site to the printer: under a secret first folder (another user
    of the machine cannot read the book while it prints), silent, and its
    files cacheable, so that Chromium keeps the code it compiled from them
    (plotly's 4.8 MB is parsed and compiled again on every page read from
    ``file://``)."""

    def send_head(self):
        prefix = f"/{self.server.secret}/"
        if not self.path.startswith(prefix):
            self.send_error(404, "Not found")
            return None
        self.path = self.path[len(prefix) - 1:]
        return super().send_head()

    def log_message(self, *args) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=3600")
        super().end_headers()


@contextlib.contextmanager
def _served(site: Path):
    """``site`` over HTTP on a free port of 127.0.0.1 while it prints;
    yields its address (ends in ``/``)."""
    try:
        httpd = serve.server(site, "127.0.0.1", 0, _PrintHandler)
    except OSError as error:
        raise PdfFailed("cannot serve the site to the printer on "
                        f"127.0.0.1: {error.strerror or error}") from None
    httpd.secret = secrets.token_urlsafe(18)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/{httpd.secret}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


class PdfFailed(DatagenError, RuntimeError):
    """Chromium could not print the book (or is not installed)."""


#: what ``make book`` says when it leaves the PDFs out
LEFT_OUT = ("PDFs left out: no Chromium to print them with (apt-get install "
            "chromium, then make book again: only the PDFs are made)")


def can_print() -> bool:
    """Whether a Chromium is here to print the PDFs with; without one the
    book is built without them (``LEFT_OUT``)."""
    from .chromium import find_browser
    return find_browser() is not None


def check_browser() -> None:
    """``PdfFailed`` in one line when there is no Chromium to print with."""
    if not can_print():
        raise PdfFailed("no chromium found to print the book PDF "
                        "(apt-get install chromium)")


def book_pdf_name(root: Path) -> str:
    """The book PDF's file name (``sphinx.config.book_pdf`` of
    ``_config.yml``, which the site's download menu links too)."""
    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    sphinx = (config.get("sphinx") or {}).get("config") or {}
    return sphinx.get("book_pdf", "book.pdf")


def toc_parts(root: Path) -> list[tuple[str | None, list[str]]]:
    """(part caption, docnames) in the order of ``_toc.yml``; the root
    page comes first, in a part without caption."""
    return parts_of(yaml.safe_load((root / "_toc.yml").read_text()))


def parts_of(toc: dict) -> list[tuple[str | None, list[str]]]:
    """``toc_parts`` of a table of contents already read."""

    def files(entries) -> list[str]:
        found = []
        for entry in entries or []:
            if "file" in entry:
                found.append(re.sub(r"\.(ipynb|md)$", "", entry["file"]))
            found += files(entry.get("sections"))
        return found
    parts = [(None, [re.sub(r"\.(ipynb|md)$", "", toc["root"])]
              + files(toc.get("chapters")))]
    parts += [(part.get("caption"), files(part.get("chapters")))
              for part in toc.get("parts", [])]
    return parts


def _digest(*parts: bytes | str) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\0")
    return sha.hexdigest()


def _static_digest(site: Path) -> str:
    files = sorted(p for p in (site / "_static").rglob("*") if p.is_file())
    return _digest(*[f"{p.relative_to(site)}:{_digest(p.read_bytes())}"
                     for p in files])


def page_key(site: Path, docname: str, static: str) -> str:
    """What a page's printed body depends on."""
    return _digest(str(PRINT_VERSION), static,
                   *[p.read_bytes() for p in CODE],
                   (site / f"{docname}.html").read_bytes())


def _cover_html(title: str, parameters: dict, period: str,
                parts: list[tuple[str | None, list[tuple[str, int]]]],
                pages: int) -> str:
    # a parameter left empty (no source for a generated shop) says nothing
    rows = "".join(f"<tr><th>{html(k)}</th><td>{html(str(v))}"
                   "</td></tr>" for k, v in parameters.items() if v != "")
    toc = []
    for caption, entries in parts:
        if caption:
            toc.append(f"<h3>{html(caption)}</h3>")
        toc.append("<ol>" + "".join(
            f'<li><a href="{CONTENTS_LINK}{int(page)}">'
            f'<span class="t">{html(name)}</span>'
            f'<span class="p">{int(page)}</span></a></li>'
            for name, page in entries) + "</ol>")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html(title)}</title><style>
@page {{ size: 210mm 297mm; margin: 20mm 18mm 22mm; }}
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #222832; margin: 0; }}
.cover {{ page-break-after: always; padding-top: 30mm; }}
h1 {{ font-size: 30pt; margin: 0 0 6mm; color: #0a7d91; }}
.sub {{ font-size: 13pt; margin-bottom: 14mm; color: #48566b; }}
table {{ border-collapse: collapse; font-size: 11pt; }}
th, td {{ text-align: left; padding: 1.5mm 6mm 1.5mm 0;
  border-bottom: 1px solid #d1d5da; }}
th {{ font-weight: 600; }}
h2 {{ font-size: 20pt; margin: 0 0 6mm; }}
h3 {{ font-size: 12pt; margin: 6mm 0 2mm; color: #48566b; }}
ol {{ list-style: none; padding: 0; margin: 0; font-size: 12pt; }}
li {{ padding: 1.2mm 0; border-bottom: 1px dotted #d1d5da; }}
li a {{ display: flex; color: inherit; text-decoration: none; }}
li .t {{ flex: 1; }}
</style></head><body>
<div class="cover"><h1>{html(title)}</h1>
<div class="sub">{html(period)} &middot; {pages} pages</div>
<table><tbody>{rows}</tbody></table></div>
<div class="contents"><h2>Contents</h2>{''.join(toc)}</div>
</body></html>"""


def _stamps_html(labels: list[str]) -> str:
    """One transparent A4 sheet per label, the label in the bottom
    margin."""
    sheets = "".join(f'<div class="s"><span>{html(label)}</span></div>'
                     for label in labels)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
            "@page { size: 210mm 297mm; margin: 0; } body { margin: 0; }"
            ".s { height: 296mm; position: relative; overflow: hidden;"
            " page-break-after: always; }"
            ".s span { position: absolute; bottom: 0; left: 0; right: 0;"
            " height: 17mm; box-sizing: border-box;"
            " padding: 8.5mm 14mm 0; text-align: right;"
            " font: 6pt system-ui, sans-serif; color: #48566b; }"
            f"</style></head><body>{sheets}</body></html>")


def _outline(reader) -> list[tuple[str, int]]:
    """(title, page index) of the sections under the page's title."""
    items = []

    def walk(entries, depth):
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, depth + 1)
            elif depth == 1:
                items.append((entry.title,
                              reader.get_destination_page_number(entry)))
    walk(reader.outline, 0)
    return items


def build_pdfs(site: Path, cache: Path, root: Path, parameters: dict,
               period: str, echo: Callable[[str], None]) -> dict:
    """Print the pages of ``site`` that changed and write the PDFs into
    it; returns what was done (pages printed, pages, size)."""
    from pypdf import PdfReader, PdfWriter

    from . import chromium
    site, cache = Path(site).resolve(), Path(cache).resolve()
    parts = toc_parts(root)
    docnames = [name for _, names in parts for name in names]
    name = book_pdf_name(root)
    config = yaml.safe_load((root / "_config.yml").read_text())
    title = config.get("title", "")
    static = _static_digest(site)
    keys = {doc: page_key(site, doc, static) for doc in docnames}
    book_key = _digest(json.dumps([keys, parameters, period, title, name,
                                   __import__("pypdf").__version__],
                                  sort_keys=True))
    cache.mkdir(parents=True, exist_ok=True)
    manifest_path = cache / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    outputs = [name] + [f"{doc}.pdf" for doc in docnames]
    if manifest.get("book") == book_key and all(
            (cache / "out" / out).exists() for out in outputs):
        _copy_out(cache / "out", site, outputs)
        return {"printed": 0, **manifest["summary"]}

    pages = manifest.get("pages", {})
    to_print = [doc for doc in docnames
                if pages.get(doc, {}).get("key") != keys[doc]
                or not (cache / "bodies" / f"{doc}.pdf").exists()]
    check_browser()
    with chromium.Browser(width=CSS_WIDTH) as browser:
        if to_print:
            with _served(site) as base:
                _print_pages(browser, base, cache, to_print, keys, pages)
            manifest["pages"] = pages
            manifest.pop("book", None)
            manifest_path.write_text(json.dumps(manifest, indent=1))
        summary = _assemble(browser, cache, docnames, pages, parts,
                            title, name, parameters, period,
                            PdfReader, PdfWriter)
    manifest.update(book=book_key, summary=summary)
    manifest_path.write_text(json.dumps(manifest, indent=1))
    _copy_out(cache / "out", site, outputs)
    return {"printed": len(to_print), **summary}


def _print_pages(browser, base: str, cache: Path, docnames: list[str],
                 keys: dict, pages: dict) -> None:
    """Print ``docnames`` of the site at ``base`` into ``<cache>/bodies``,
    ``TABS`` at a time."""
    import queue
    todo: queue.Queue = queue.Queue()
    for doc in docnames:
        todo.put(doc)
    failures: list[BaseException] = []

    def work():
        tab = browser.page()
        tab.print_media(CSS_WIDTH)
        tab.call("Network.enable")
        tab.call("Network.setBlockedURLs",
                 urls=[f"*/{name}*" for name in NOT_PRINTED])
        try:
            while not failures:
                try:
                    doc = todo.get_nowait()
                except queue.Empty:
                    return
                tab.open(f"{base}{doc}.html", settle=0.05)
                heading = tab.evaluate(
                    "(document.querySelector('main h1') || {}).textContent"
                    " || document.title") or doc
                printed = tab.print_pdf(
                    printBackground=True, scale=SCALE,
                    generateDocumentOutline=True, **PAPER)
                target = cache / "bodies" / f"{doc}.pdf"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(printed)
                pages[doc] = {"key": keys[doc], "base": base,
                              "title": heading.replace("#", "").strip()}
        except BaseException as error:  # noqa: BLE001 - raised below
            failures.append(error)
        finally:
            tab.close()

    threads = [threading.Thread(target=work) for _ in range(TABS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise PdfFailed(f"printing failed: {failures[0]}")


def _copy_out(source: Path, site: Path, outputs: list[str]) -> None:
    for out in outputs:
        target = site / out
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / out, target)


def _print_html(browser, markup: str, path: Path) -> bytes:
    path.write_text(markup, encoding="utf-8")
    tab = browser.page()
    try:
        tab.open(path.as_uri())
        return tab.print_pdf(printBackground=False, preferCSSPageSize=True)
    finally:
        tab.close()


#: an operator that shows text, in a content stream read as bytes
SHOWS_TEXT = re.compile(rb"(?<![A-Za-z])T[jJ](?![A-Za-z])")


def _shows_text(page) -> bool:
    """Whether ``page`` draws any text, in its content or in a form it
    draws, read as bytes (extracting the text of the 22 pages' last pages
    took 0.6 s of a book's 1.3 s of assembling)."""
    seen, todo = set(), [page]
    while todo:
        item = todo.pop()
        if item is page:
            content = page.get_contents()
            data = content.get_data() if content is not None else b""
        else:
            data = item.get_data()
        if SHOWS_TEXT.search(data):
            return True
        resources = item.get("/Resources")
        resources = resources.get_object() if resources is not None else {}
        forms = resources.get("/XObject")
        forms = forms.get_object() if forms is not None else {}
        for form in forms.values():
            key = getattr(form, "idnum", None) or id(form)
            form = form.get_object()
            if key not in seen and form.get("/Subtype") == "/Form":
                seen.add(key)
                todo.append(form)
    return False


def _blank_tail(reader) -> int:
    """How many of the printed body's last pages hold no text: the end of
    a page's bottom margin that spilled onto a page of its own (the first
    page is always kept)."""
    count = 0
    for page in reversed(reader.pages[1:]):
        if _shows_text(page):
            break
        count += 1
    return count


def _uri_links(writer, first: int, count: int):
    """(annotation, action, address) of each link to an address on
    ``count`` pages of ``writer`` from ``first``."""
    for page in writer.pages[first:first + count]:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            if action is not None and "/URI" in action:
                yield annotation, action, str(action["/URI"])


def _go_to(writer, annotation, index: int) -> None:
    """Make ``annotation`` a link to page ``index`` of ``writer``."""
    from pypdf.generic import ArrayObject, NameObject, NullObject
    del annotation[NameObject("/A")]
    annotation[NameObject("/Dest")] = ArrayObject([
        writer.pages[index].indirect_reference,
        NameObject("/XYZ"), NullObject(), NullObject(), NullObject()])


def _link_contents(book, front: int) -> None:
    """Turn the contents entries Chromium printed as links to
    ``CONTENTS_LINK<n>`` into links to page n of ``book``."""
    for annotation, _, uri in _uri_links(book, 0, front):
        if uri.startswith(CONTENTS_LINK):
            _go_to(book, annotation, int(uri[len(CONTENTS_LINK):]) - 1)


def _relink(writer, first: int, count: int, base: str | None, here: str,
            starts: dict | None = None) -> None:
    """The links Chromium printed to pages of the site it read (``base``
    and a path), on ``count`` pages of ``writer`` from ``first``: in the
    book (``starts``: each page's first page in it) a link to one of its
    pages goes to that page; any other becomes relative to ``here``, the
    PDF's folder in the site, so that it leads where the PDF is published
    (never to the printer's address or the builder's files)."""
    from pypdf.generic import NameObject, TextStringObject
    if not base:
        return
    for annotation, action, uri in _uri_links(writer, first, count):
        if not uri.startswith(base):
            continue
        path, _, fragment = uri[len(base):].partition("#")
        doc = path[:-len(".html")] if path.endswith(".html") else None
        if starts is not None and doc in starts:
            _go_to(writer, annotation, starts[doc])
            continue
        relative = posixpath.relpath(path or "index.html", here or ".")
        action[NameObject("/URI")] = TextStringObject(
            relative + (f"#{fragment}" if fragment else ""))


def _overlay(writer, page, sheet) -> None:
    """Lay ``sheet`` (a page of another PDF: a number on a transparent
    sheet) over ``page`` of ``writer``, as a form XObject the page draws
    last. The page's content stays as printed: it is wrapped in ``q``/``Q``
    so that whatever state it leaves cannot move the sheet."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        RectangleObject,
    )

    def stream(data: bytes, **entries):
        made = DecodedStreamObject()
        made.set_data(data)
        made.update({NameObject(k): v for k, v in entries.items()})
        # pypdf has no public call that makes an object indirect
        return writer._add_object(made)

    form = stream(sheet.get_contents().get_data() if "/Contents" in sheet
                  else b"", **{
                      "/Type": NameObject("/XObject"),
                      "/Subtype": NameObject("/Form"),
                      "/BBox": RectangleObject(sheet.mediabox),
                      "/Resources": sheet["/Resources"].clone(writer)})
    if "/Resources" not in page:
        page[NameObject("/Resources")] = DictionaryObject()
    resources = page["/Resources"].get_object()
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    xobjects = resources["/XObject"].get_object()
    name = NameObject("/WhNumber")
    while name in xobjects:
        name = NameObject(name + "x")
    xobjects[name] = form
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else []
    if not isinstance(contents, list):
        contents = [page.raw_get("/Contents")]
    page[NameObject("/Contents")] = ArrayObject([
        stream(b"q\n"), *contents, stream(f"Q\nq {name} Do Q\n".encode())])


def _assemble(browser, cache: Path, docnames, pages, parts, title, name,
              parameters, period, PdfReader, PdfWriter) -> dict:
    """The book and the single pages from the printed bodies."""
    bodies = {doc: PdfReader(cache / "bodies" / f"{doc}.pdf")
              for doc in docnames}
    counts = {doc: len(reader.pages) - _blank_tail(reader)
              for doc, reader in bodies.items()}
    titles = {doc: pages[doc]["title"] for doc in docnames}

    def cover(first_page: int, total: int) -> bytes:
        starts, at = {}, first_page
        for doc in docnames:
            starts[doc] = at
            at += counts[doc]
        listing = [(caption, [(titles[d], starts[d]) for d in names])
                   for caption, names in parts]
        return _print_html(browser, _cover_html(
            title, parameters, period, listing, total),
            cache / "cover.html")

    # a cover and a page of contents, unless the contents grow longer
    body_pages, front = sum(counts.values()), 2
    front_pdf = PdfReader(io.BytesIO(cover(front + 1, front + body_pages)))
    if len(front_pdf.pages) != front:
        front = len(front_pdf.pages)
        front_pdf = PdfReader(io.BytesIO(cover(front + 1, front + body_pages)))
    total = front + body_pages

    # the numbers, all printed at once: the book's on every page after the
    # cover, then each page's own for the page alone
    which = (f"seed {parameters['seed']}" if "seed" in parameters
             else f"source {parameters.get('source', '')}")
    labels = [f"{title} \u00b7 {which} \u00b7 page {i} of {total}"
              for i in range(2, total + 1)]
    for doc in docnames:
        labels += [f"{titles[doc]} \u00b7 page {i} of {counts[doc]}"
                   for i in range(1, counts[doc] + 1)]
    stamps = PdfReader(io.BytesIO(_print_html(
        browser, _stamps_html(labels), cache / "numbers.html"))).pages

    out = cache / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    book = PdfWriter()
    book.append(front_pdf)
    starts = {}
    for doc in docnames:
        starts[doc] = len(book.pages)
        book.append(bodies[doc], pages=(0, counts[doc]), import_outline=False)
    for index in range(1, total):
        _overlay(book, book.pages[index], stamps[index - 1])
    _link_contents(book, front)
    for doc in docnames:
        _relink(book, starts[doc], counts[doc], pages[doc].get("base"), "",
                starts)
    book.add_outline_item(title="Contents", page_number=1)
    for doc in docnames:
        chapter = book.add_outline_item(title=titles[doc],
                                       page_number=starts[doc])
        for section, page in _outline(bodies[doc]):
            if page < counts[doc]:
                book.add_outline_item(title=section,
                                      page_number=starts[doc] + page,
                                      parent=chapter)
    book.add_metadata({"/Title": title, "/Subject": period})
    book.compress_identical_objects(remove_duplicates=True,
                                    remove_unreferenced=True)
    book.page_mode = "/UseOutlines"
    with open(out / name, "wb") as stream:
        book.write(stream)

    at = total - 1  # the first page's own number among the stamps
    for doc in docnames:
        alone = PdfWriter()
        alone.append(bodies[doc], pages=(0, counts[doc]))
        for index in range(counts[doc]):
            _overlay(alone, alone.pages[index], stamps[at + index])
        _relink(alone, 0, counts[doc], pages[doc].get("base"),
                posixpath.dirname(doc))
        at += counts[doc]
        alone.add_metadata({"/Title": titles[doc], "/Subject": period})
        target = out / f"{doc}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as stream:
            alone.write(stream)
    return {"pages": total, "bytes": (out / name).stat().st_size,
            "chapters": len(docnames)}
