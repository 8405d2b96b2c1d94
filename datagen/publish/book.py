"""``make book``: the warehouse notebook, the chapters, the site.

Owns the order of the book's build. Every notebook under ``book/`` runs in
name order with the build parameters injected into its ``parameters`` cell
(``notebooks``); the executed copies and the site are written under the
output folder (``_build/`` by default), never into the sources. A second
run executes only the notebooks whose inputs changed (``reuse``); the
warehouse notebook is reused only when the warehouse in the database is
still the one it built. When ``datagen refresh`` brought that warehouse
forward to the book's end date since (``make refresh TO=...`` then
``make book END_DATE=...``), the warehouse notebook runs again but keeps
the warehouse (a refresh equals a full build as of its date) and the
chapters, whose warehouse stamp changed, run again. The site is built in
a staging folder and swapped into ``<out>/html`` only when complete
(``website``), so a failing chapter leaves the previous site in place.

The warehouse notebooks (``00_*``) run first, one by one, each in a kernel
of its own; the chapters, which only read the warehouse, then run several
at a time (``BOOK_WORKERS``, default: the number of cores, at most 4), each
worker in a kernel it keeps from chapter to chapter (``kernels``). A
failing chapter stops the build with the failing cell's source and error,
and is kept in ``<out>/failed/``. A chapter none of whose sections has the
data it needs (``datagen.chapters.needs``) is left out of the site's
contents and the PDF; the introduction lists it and why. The warehouse
notebook names those chapters (``notebooks.left_out_notebooks``), and they
are not run at all; a chapter that finds it has nothing to show as it runs
glues ``left_out`` and is left out all the same.

Each page's CSV downloads (``<page>_data/``, written by its kernel) are
kept with its executed copy and copied next to the page in the site; the
PDFs of the book and of every page are printed last (``pdf``), before the
site is swapped in, and reused when no page changed. Without a Chromium to
print them the site is built all the same, without PDFs and without links
to them, and one line says so and how to get them (``pdf.LEFT_OUT``).

Before anything runs, the server is reached once (a wrong password or a
server that is down is one line, not a failing notebook), and one build at
a time writes an output folder: a second ``make book`` into the same
folder stops at once with one line naming the process that holds it
(``BookBusy``), rather than wait for a minute-long build and then redo
what it did. The hold is an OS file lock (``flock`` on ``<out>/.book.lock``),
which the kernel lets go when its process ends, however it ends, so a
killed build never leaves a stale one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg.sql

from .. import server
from ..errors import DatagenError
from ..escape import shown_path
from ..params import BuildParams
from . import pdf, website
from .kernels import WarmKernels
from .notebooks import (
    KEEP_WAREHOUSE_VARIABLE,
    WAREHOUSE_PREFIX,
    ChapterFailed,
    data_dir,
    keep_failed,
    left_out,
    left_out_notebooks,
    notebooks,
    run_notebook,
    run_parallel,
    workers,
)
from .reuse import (
    load_manifest,
    notebook_inputs,
    refreshed_since,
    warehouse_lineage,
    warehouse_stamp,
)

#: what a chapter's kernel runs ahead, while the warehouse is built
WARM_UP = "from datagen.chapters import page\npage.warm_up()"
BUILD_DIR = server.PROJECT_ROOT / "_build"
#: the file whose lock one book build holds, in its output folder
LOCK_FILE = ".book.lock"


class BookBusy(DatagenError, RuntimeError):
    """Another book build writes the same output folder."""


@contextlib.contextmanager
def one_build_at_a_time(out: Path) -> Iterator[None]:
    """Hold the output folder ``out`` for this build (an exclusive
    ``flock`` on ``<out>/.book.lock``, which holds the pid), or stop with
    ``BookBusy`` naming the process that holds it."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / LOCK_FILE, "a+")  # not inherited by the kernels
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        raise BookBusy(
            f"another book build is writing {shown_path(out)} (pid "
            f"{holder if holder.isdigit() else 'unknown'}): wait for it to "
            "finish, or stop it") from None
    try:
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.truncate(0)
        handle.close()  # and with it the lock


def notebook_parameters(params: BuildParams) -> dict:
    return params.as_dict()


def cover_parameters(params: BuildParams) -> dict:
    """What the PDF's cover lists: the generator's parameters, or for an
    imported shop its file and mapping (seed and scale mean nothing)."""
    if params.imported:
        return {"source": Path(params.source).name,
                "mapping": params.mapping, "schema": params.schema,
                "min_pair_orders": params.min_pair_orders}
    return params.as_dict()  # its empty source and mapping are left out


def data_period(params: BuildParams, url: str) -> str:
    """The book's data as its pages' banners state it: ``data from <first
    day> as of <last day>`` (a generated shop's days are its parameters, an
    imported one's the source's) and, after a refresh, the day it was
    refreshed from (``build_info``; the parameters' days for a book whose
    chapters built no warehouse); a source without dates (``data_known``)
    has none to state."""
    start, end, refreshed_from = params.start_date, params.end_date, None
    dated = True
    info = psycopg.sql.Identifier(params.schema, "build_info")
    known = psycopg.sql.Identifier(params.schema, "data_known")
    with server.connect(url) as conn:
        def exists(table):
            return conn.execute("select to_regclass(%s)", [
                table.as_string(conn)]).fetchone()[0] is not None
        if exists(info):
            start, end, refreshed_from = conn.execute(psycopg.sql.SQL(
                "select start_date, end_date, refreshed_from from {}"
            ).format(info)).fetchone()
        if exists(known):  # a source without dates: its days are made up
            dated = conn.execute(psycopg.sql.SQL(
                "select coalesce(bool_and(known), true) from {} "
                "where capability = 'dates'").format(known)).fetchone()[0]
    if not dated:
        return "order dates unknown"
    text = f"data from {start.day} {start:%B %Y} as of {end.day} {end:%B %Y}"
    if refreshed_from is not None:
        text += (f", refreshed from {refreshed_from.day} "
                 f"{refreshed_from:%B %Y}")
    return text


def build_book(params: BuildParams, out: Path = BUILD_DIR,
               echo: Callable[[str], None] =
               lambda line: print(line, file=sys.stderr, flush=True),
               root: Path = server.PROJECT_ROOT) -> Path:
    """Execute the chapters that need it and build the site; returns
    ``out/html``. One build at a time per ``out`` (``BookBusy``)."""
    out = Path(out)
    url = server.database_url()
    with server.connect(url):  # a wrong password: one line, nothing run
        pass
    with one_build_at_a_time(out):
        return _build_book(params, out, echo, root, url)


def _build_book(params: BuildParams, out: Path,
                echo: Callable[[str], None], root: Path, url: str) -> Path:
    os.environ["DATABASE_URL"] = url  # one server for every notebook
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    staging = out / "staging"
    executed = out / "executed"
    failed = out / "failed"
    executed.mkdir(parents=True, exist_ok=True)
    pages = notebooks(root, imported=params.imported)
    pdfs = pdf.can_print()  # without a Chromium: the site, without PDFs
    website.stage_sources(staging, root, pages, pdfs=pdfs)

    manifest_path = executed / "manifest.json"
    manifest = load_manifest(manifest_path)
    parameters = notebook_parameters(params)

    def save_manifest():
        manifest_path.write_text(json.dumps(manifest, indent=1))

    def is_fresh(notebook: Path, inputs: str, stamp: str | None) -> bool:
        entry = manifest.get(notebook.name, {})
        if entry.get("inputs") != inputs or not (executed / notebook.name
                                                 ).exists():
            return False
        return (not notebook.name.startswith(WAREHOUSE_PREFIX)
                or (stamp is not None and entry.get("stamp") == stamp))

    def copy_data(source: Path, target: Path) -> None:
        shutil.rmtree(data_dir(target), ignore_errors=True)
        if data_dir(source).is_dir():
            shutil.copytree(data_dir(source), data_dir(target))

    def keep(notebook: Path) -> None:
        shutil.copy2(executed / notebook.name, staging / "book" / notebook.name)
        copy_data(executed / notebook.name, staging / "book" / notebook.name)
        echo(f"  kept {notebook.name:<36} (inputs unchanged)")

    def execute(notebook: Path, environment: dict | None = None,
                kernels: WarmKernels | None = None) -> float:
        started = time.perf_counter()
        run_notebook(notebook, staging / "book" / notebook.name, parameters,
                     environment, kernels)
        return time.perf_counter() - started

    def done(notebook: Path, inputs: str, seconds: float,
             lineage: str | None = None, note: str = "") -> None:
        shutil.copy2(staging / "book" / notebook.name, executed / notebook.name)
        copy_data(staging / "book" / notebook.name, executed / notebook.name)
        manifest[notebook.name] = {
            "inputs": inputs, "stamp": warehouse_stamp(url, params.schema),
            **({"lineage": lineage} if lineage else {})}
        save_manifest()
        echo(f"  ran  {notebook.name:<36} {seconds:6.1f} s{note}")

    started_all = time.perf_counter()
    kernels = WarmKernels()
    try:
        # the warehouse notebooks first, one by one: the chapters read it
        chapters = []
        for notebook in pages:
            if not notebook.name.startswith(WAREHOUSE_PREFIX):
                chapters.append(notebook)
                continue
            stamp = warehouse_stamp(url, params.schema)
            inputs = notebook_inputs(notebook, parameters, url, stamp, root)
            if is_fresh(notebook, inputs, stamp):
                keep(notebook)
                continue
            lineage = warehouse_lineage(notebook, parameters, url, root)
            entry = manifest.pop(notebook.name, {})
            refreshed = (entry.get("lineage") == lineage and refreshed_since(
                entry.get("stamp"), stamp, params.end_date))
            save_manifest()
            # the chapters read what it builds: their kernels get ready
            # (started, their imports made) while it runs
            kernels.prepare(min(workers(), len(pages) - 1), WARM_UP)
            seconds = execute(notebook, {KEEP_WAREHOUSE_VARIABLE: "1"}
                              if refreshed else None)
            done(notebook, inputs, seconds, lineage,
                 " (kept the refreshed warehouse)" if refreshed else "")
        # then the chapters, which only read it: several at a time, but
        # those the warehouse notebook found nothing to show for
        stamp = warehouse_stamp(url, params.schema)
        skipped = [chapter for notebook in pages
                   if notebook.name.startswith(WAREHOUSE_PREFIX)
                   for chapter in left_out_notebooks(
                       staging / "book" / notebook.name, chapters)]
        to_run = []
        for notebook in chapters:
            inputs = notebook_inputs(notebook, parameters, url, stamp, root)
            if notebook in skipped:
                manifest.pop(notebook.name, None)
            elif is_fresh(notebook, inputs, stamp):
                keep(notebook)
            else:
                manifest.pop(notebook.name, None)
                to_run.append((notebook, inputs))
        save_manifest()
        # one kernel per worker, kept from chapter to chapter
        run_parallel(to_run, lambda notebook: execute(
            notebook, kernels=kernels), done, workers())
    except ChapterFailed as error:
        raise keep_failed(error, staging, failed) from None
    finally:
        kernels.close()
    shutil.rmtree(failed, ignore_errors=True)
    # a chapter with nothing left to show for this data leaves the contents
    left = [page for page in chapters if page in skipped
            or left_out(staging / "book" / page.name)]
    website.leave_out(staging, root, pages, left)
    for page in left:
        echo(f"  left out {page.name:<32} (nothing to show for this data"
             + ("; not run)" if page in skipped else ")"))
    echo(f"  notebooks done                        "
         f"{time.perf_counter() - started_all:6.1f} s")

    started = time.perf_counter()
    website.build_html(staging)
    website.copy_data(staging)
    echo(f"  built the site                       "
         f"{time.perf_counter() - started:6.1f} s")

    if not pdfs:
        echo(f"  {pdf.LEFT_OUT}")
        return website.swap_in(staging, out)
    started = time.perf_counter()
    try:
        printed = pdf.build_pdfs(
            staging / "_build" / "html", out / "pdf", staging,
            cover_parameters(params), data_period(params, url), echo)
    except pdf.PdfFailed as error:
        raise ChapterFailed(f"the book PDF failed: {error}") from None
    what = (f"printed {printed['printed']} pages," if printed["printed"]
            else "PDFs reused (pages unchanged),")
    echo(f"  {what} book {printed['pages']} pages "
         f"{printed['bytes'] / 2**20:.1f} MiB".ljust(38)
         + f"{time.perf_counter() - started:6.1f} s")

    return website.swap_in(staging, out)
