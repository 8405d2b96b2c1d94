"""Small books built once per test session, shared by the book tests.

``get_book(seed)`` runs the whole chain (``datagen.publish.book.build_book``: the
warehouse notebook, every chapter, jupyter-book) at a small scale into a
temporary folder, against the suite's own PostgreSQL (``pg_url``), in a
schema of its own, and caches the result for the session, so that
``test_book.py`` and ``test_browser.py`` share the same builds.

``refreshed_from``: the book is first built as of that day, its warehouse
then brought forward by ``datagen refresh`` to ``end_date`` and the book
built again into the same folder (``make refresh TO=...`` then ``make book
END_DATE=...``); ``first_log`` is the first build's log, ``log`` the
second's.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import nbformat
import yaml

from datagen.params import parse_params

ROOT = Path(__file__).resolve().parents[2]
BOOK_SCALE = 0.2
_books: dict[int, Book] = {}


@dataclasses.dataclass
class Book:
    seed: int
    schema: str
    dates: dict  # start_date, end_date when not the defaults
    out: Path
    log: list[str]
    seconds: float
    code: str  # datagen/ and sql/ as the book was built from them
    source: str = ""  # an imported book's file and mapping
    mapping: str = ""
    refreshed_from: str = ""  # built as of this day, then refreshed
    first_log: list[str] = dataclasses.field(default_factory=list)

    @property
    def html(self) -> Path:
        return self.out / "html"

    @property
    def params(self):
        return parse_params(dict(seed=self.seed, scale=BOOK_SCALE,
                                 schema=self.schema, source=self.source,
                                 mapping=self.mapping, **self.dates))

    def executed(self) -> dict[str, nbformat.NotebookNode]:
        return {path.stem: nbformat.read(str(path), as_version=4)
                for path in sorted((self.out / "executed").glob("*.ipynb"))}

    def facts(self, chapter: str) -> dict[str, object]:
        """The values a chapter glued (``report.fact``), by name."""
        return glued(self.executed()[chapter])

    def page(self, docname: str) -> str:
        return (self.html / f"{docname}.html").read_text()

    def pages(self) -> list[str]:
        """The docnames of the book's site, as its staged contents list
        them (a chapter left out for its data is not among them)."""
        from datagen.publish.pdf import parts_of
        toc = yaml.safe_load((self.out / "staging" / "_toc.yml").read_text())
        return [docname for _, docnames in parts_of(toc)
                for docname in docnames]

    def profile(self, pg_url: str):
        """The data profile of the book's warehouse (``needs.Profile``)."""
        import pandas as pd
        import psycopg

        from datagen.chapters.needs import Profile
        with psycopg.connect(pg_url) as conn:
            cursor = conn.execute(
                f'select * from "{self.schema}".vw_data_profile')
            return Profile.of(pd.DataFrame(
                cursor.fetchall(), columns=[c.name for c in cursor.description]))


def glued(notebook: nbformat.NotebookNode) -> dict[str, object]:
    import ast
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get(
                "application/papermill.record/text/plain")
            if name and text is not None and name != "findings":
                try:
                    values[name] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    values[name] = text
    return values


def toc_pages(imported: bool = False, guide: bool = False) -> list[str]:
    """Every chapter of a generated (or ``imported``) book, as its staged
    ``_toc.yml`` lists them (docnames such as ``book/02_kpi...``); with
    ``guide`` the guide's pages too (``book/guide/...``), in their place."""
    from datagen.publish.notebooks import notebooks
    from datagen.publish.pdf import parts_of
    from datagen.publish.website import guide_pages, only_pages
    toc = only_pages(yaml.safe_load((ROOT / "_toc.yml").read_text()),
                     {f"book/{path.stem}"
                      for path in notebooks(ROOT, imported=imported)}
                     | (guide_pages(ROOT) if guide else set()))
    return [docname for _, docnames in parts_of(toc) for docname in docnames]


def get_book(pg_url: str, tmp_path_factory, seed: int, source: str = "",
             mapping: str = "", refreshed_from: str = "",
             schema: str = "", pdfs: bool = True, **dates) -> Book:
    """The book of ``seed`` at ``BOOK_SCALE`` (built on first use);
    ``dates``: ``start_date`` and ``end_date`` other than the defaults;
    ``source`` and ``mapping``: the book on that export instead (in
    ``schema``, if given); ``refreshed_from``: built as of that day first,
    then refreshed; without ``pdfs``, no PDF is printed (as without a
    Chromium)."""
    from unittest import mock

    from datagen.publish.book import build_book as build
    from datagen.publish.reuse import code_fingerprint
    from datagen.warehouse.refresh import refresh

    def build_book(*args, **kwargs):
        if pdfs:
            return build(*args, **kwargs)
        with mock.patch("datagen.publish.pdf.can_print", return_value=False):
            return build(*args, **kwargs)
    key = (seed, source, mapping, refreshed_from,
           tuple(sorted(dates.items())))
    if key not in _books:
        code = code_fingerprint()
        schema = schema or (
            "book_test_imported" if source else f"book_test_s{seed}"
            + ("_short" if dates else ""))
        out = tmp_path_factory.mktemp(f"book{seed}")
        log: list[str] = []
        started = time.perf_counter()
        book = Book(seed, schema, dates, out, log, 0.0, code, str(source),
                    mapping, refreshed_from)
        if refreshed_from:
            first = dataclasses.replace(
                book, dates={**dates, "end_date": refreshed_from})
            build_book(first.params, out=out, echo=book.first_log.append)
            refresh(schema, book.params.end_date, url=pg_url,
                    echo=book.first_log.append)
        build_book(book.params, out=out, echo=log.append)
        book.seconds = time.perf_counter() - started
        _books[key] = book
    return _books[key]
