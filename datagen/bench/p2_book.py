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
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from .. import server
from .measure import OUT, drop_family, row

TITLE = "P2 book time"
#: the book's parameters: the default scale; a quick run's as the tests'
SCALE, QUICK_SCALE = 1, 0.2
SCHEMA = "bench_book"
BOOK_OUT = OUT / "book"
#: the book's line about its PDFs (printed, or reused) and its time
PDF_LINE = re.compile(r"^\s*(?:printed|PDFs reused).*?([\d.]+) s$", re.M)
PAGES = re.compile(r"book (\d+) pages ([\d.]+) MiB")


def run(url: str, quick: bool = False) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    command = [sys.executable, "-m", "datagen", "book", "--out",
               str(BOOK_OUT), "--schema", SCHEMA, "--scale", str(scale)]
    shutil.rmtree(BOOK_OUT, ignore_errors=True)
    times, pdf_s = [], []
    try:
        for _ in range(2):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=server.PROJECT_ROOT,
                                  capture_output=True, text=True,
                                  env={**os.environ, "DATABASE_URL": url})
            times.append(time.perf_counter() - started)
            if done.returncode:
                raise RuntimeError("datagen book failed: "
                                   + done.stderr.strip()[-2000:])
            match = PDF_LINE.search(done.stderr)
            pdf_s.append(float(match[1]) if match else float("nan"))
    finally:
        shutil.rmtree(BOOK_OUT, ignore_errors=True)
        drop_family(url, SCHEMA)
    pages = PAGES.search(done.stderr)
    return {"scale": scale, "first_s": times[0],
            "second_unchanged_s": times[1],
            "pdf_first_s": pdf_s[0], "pdf_second_s": pdf_s[1],
            "pdf_pages": int(pages[1]) if pages else None,
            "pdf_mib": float(pages[2]) if pages else None}


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
            f"{p2['pdf_second_s']:>8.1f} s", "(nothing printed)", 30)]
