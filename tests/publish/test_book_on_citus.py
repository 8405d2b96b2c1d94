"""The book on a Citus cluster: every chapter run with ``DATABASE_URL`` at
the coordinator states the same numbers, and writes the same tables, as the
book built on one node (``book_build``, shared with test_book.py).

Light on purpose: the notebooks are executed as ``make book`` executes them
(``publish.notebooks.run_notebook``, the warehouse notebook first), but the
site and its PDF, which only render what the notebooks computed, are not
built again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from book_build import get_book, glued
from datagen.publish.book import notebook_parameters
from datagen.publish.notebooks import WAREHOUSE_PREFIX, data_dir, notebooks
from datagen.server import PROJECT_ROOT as ROOT

pytestmark = [pytest.mark.book, pytest.mark.cluster]


def test_every_chapter_states_the_same_numbers_on_the_cluster(
        pg_url, citus_url, tmp_path_factory, tmp_path, monkeypatch):
    book = get_book(pg_url, tmp_path_factory, 42)   # on one node
    monkeypatch.setenv("DATABASE_URL", citus_url)   # the kernels' server
    parameters = notebook_parameters(book.params)
    pages = notebooks(ROOT)
    from datagen.publish.notebooks import run_notebook

    def run(page):
        run_notebook(page, tmp_path / page.name, parameters)
    warehouse = [p for p in pages if p.name.startswith(WAREHOUSE_PREFIX)]
    chapters = [p for p in pages if p not in warehouse]
    for page in warehouse:
        run(page)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, chapters))

    log = "".join(output.get("text", "") for cell in nbformat.read(
        str(tmp_path / warehouse[0].name), as_version=4).cells
        for output in cell.get("outputs", []))
    assert "distributed on Citus" in log
    executed = book.executed()
    for page in chapters:
        on_cluster = nbformat.read(str(tmp_path / page.name), as_version=4)
        assert glued(on_cluster) == glued(executed[page.stem]), page.name
        ours, theirs = data_dir(tmp_path / page.name), data_dir(
            book.out / "executed" / page.name)
        files = sorted(p.name for p in theirs.glob("*")) if theirs.is_dir() \
            else []
        assert sorted(p.name for p in ours.glob("*")) == files, page.name
        for name in files:
            assert same_rows(ours / name) == same_rows(theirs / name), \
                f"{page.name}: {name}"


#: rows of a table that say when and how fast the build ran
RUN_ROWS = (b"built at,", b"build time,")


def same_rows(path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines()
            if not line.startswith(RUN_ROWS)]
