"""P2 book time: the book built from nothing, then again with nothing
changed, and what printing the PDFs adds to each.

Owns figure P2. It runs the command that ``make book`` runs, ``python -m
datagen book`` (``publish.book.build_book`` behind it), in a process of its
own as make does, twice into the same empty output folder: the first run
builds the warehouse and executes every chapter, the second finds every
notebook's inputs unchanged. The PDFs' time and the book's pages are read
from the build's own line (``printed 12 pages, book 50 pages 8.4 MiB
18.5 s``). The output folder and the warehouse are the benchmark's own
(``_build/bench/book``, schema ``SCHEMA``), so the user's ``_build`` and
warehouse are left as they were; before, P2 ran ``make clean`` and ``make
book`` on them.

The same book is built in the same run by the release before the book's
speed work (``BEFORE``, issue 26), taken from git (``git archive`` into a
temporary folder) and run with the same Python: the ratio of the two
first builds is the figure (target <= 0.5). A quick run, or a clone
without that commit, leaves the release before out and says so.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .. import server
from .measure import OUT, datagen_book, drop_family, row

TITLE = "P2 book time"
#: the book's parameters: the default scale; a quick run's as the tests'
SCALE, QUICK_SCALE = 1, 0.2
SCHEMA = "bench_book"
BOOK_OUT = OUT / "book"
#: the book's line about its PDFs (printed, or reused) and its time
PDF_LINE = re.compile(r"^\s*(?:printed|PDFs reused).*?([\d.]+) s$", re.M)
PAGES = re.compile(r"book (\d+) pages ([\d.]+) MiB")


#: the release before the book's speed work (issue 26): main as it landed
#: before it began
BEFORE = "9325ca6"
#: the schema the release before builds its book's warehouse in
BEFORE_SCHEMA = "bench_book_before"
#: the lines of the book's log that say where its time went
WAREHOUSE_LINE = re.compile(r"^\s*ran  00_\S+\s+([\d.]+) s", re.M)
NOTEBOOKS_LINE = re.compile(r"^\s*notebooks done\s+([\d.]+) s", re.M)
SITE_LINE = re.compile(r"^\s*built the site\s+([\d.]+) s", re.M)


def _parts(log: str) -> dict:
    """Where a build's time went, from its log: the warehouse notebook (0
    when it was kept), the chapters (the notebooks after it), the site and
    the PDFs."""
    def seconds(line: re.Pattern | str, missing: float = float("nan")):
        match = re.search(line, log)
        return float(match[1]) if match else missing
    warehouse = seconds(WAREHOUSE_LINE, 0.0)
    return {"warehouse_s": warehouse,
            "chapters_s": seconds(NOTEBOOKS_LINE) - warehouse,
            "site_s": seconds(SITE_LINE), "pdf_s": seconds(PDF_LINE)}


def _release_before() -> Path | None:
    """The release before, from git, in a temporary folder (None without
    git or that commit)."""
    try:
        tar = subprocess.run(["git", "archive", "--format=tar", BEFORE],
                             cwd=server.PROJECT_ROOT, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-before-"))
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def run(url: str, quick: bool = False) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    shutil.rmtree(BOOK_OUT, ignore_errors=True)
    times, parts, before = [], [], None
    try:
        for _ in range(2):
            seconds, log = datagen_book(server.PROJECT_ROOT, BOOK_OUT, SCHEMA,
                                        scale, url)
            times.append(seconds)
            parts.append(_parts(log))
        pages = PAGES.search(log)
        folder = None if quick else _release_before()
        if folder is not None:
            try:
                seconds, old_log = datagen_book(folder, folder / "_out",
                                                BEFORE_SCHEMA, scale, url)
                before = {"release": BEFORE, "first_s": seconds,
                          **_parts(old_log)}
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(BOOK_OUT, ignore_errors=True)
        drop_family(url, SCHEMA)
        drop_family(url, BEFORE_SCHEMA)
    return {"scale": scale, "first_s": times[0],
            "second_unchanged_s": times[1], **parts[0],
            "pdf_first_s": parts[0]["pdf_s"],
            "pdf_second_s": parts[1]["pdf_s"],
            "pdf_pages": int(pages[1]) if pages else None,
            "pdf_mib": float(pages[2]) if pages else None,
            "before": before}


def lines(p2: dict) -> list[str]:
    return [
        f"{TITLE} (datagen book, as make book runs it, scale "
        f"{p2['scale']:g})",
        row("from an empty output folder", f"{p2['first_s']:>8.1f} s",
            "(target < 60)", 30),
        row("again, unchanged", f"{p2['second_unchanged_s']:>8.1f} s",
            "(target < 15)", 30),
        row("of which the PDFs, first", f"{p2['pdf_first_s']:>8.1f} s",
            f"(target <= 20; book {p2['pdf_pages']} pages, "
            f"{p2['pdf_mib']} MiB)", 30),
        row("of which the PDFs, unchanged",
            f"{p2['pdf_second_s']:>8.1f} s", "(nothing printed)", 30),
        *_before_lines(p2)]


def _before_lines(p2: dict) -> list[str]:
    before = p2.get("before")
    if not before:
        return [row("the release before", "left out",
                    "(a full run builds it from git)", 30)]
    ratio = p2["first_s"] / before["first_s"]
    out = [row(f"the release before ({before['release']})",
               f"{before['first_s']:>8.1f} s",
               f"(this one {ratio:.2f}x its time; target <= 0.5)", 30)]
    for part, label in (("warehouse_s", "warehouse notebook"),
                        ("chapters_s", "chapters"), ("site_s", "site"),
                        ("pdf_s", "PDFs")):
        out.append(row(f"  {label}, before -> now",
                       f"{before.get(part, float('nan')):>8.1f} s",
                       f"-> {p2.get(part, float('nan')):.1f} s", 30))
    return out
