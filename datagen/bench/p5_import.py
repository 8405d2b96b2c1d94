"""P5 import: a shop's real export imported whole, against a raw COPY of
its lines, and the same file several times over for memory.

Owns figure P5. The source is the UCI Online Retail file
(``../shared/data``, mapping ``online-retail``); each import is what
``datagen import`` runs (``Source.open``, then ``build`` with it) in a
Python process of its own (``measure.in_own_process``), the median of
``ROUNDS``, with its steps as the build reports them and its peak memory.
The yardstick is a raw COPY of the same file's lines into text columns
(``baselines.copy_file_lines``: no mapping, no judging, no star). The file
repeated ``REPEAT`` times (each copy's order numbers made its own) is
imported once, to show that memory stays flat as the source grows. A
normalised export of four files (order lines, orders, products,
customers: ``exports.several_files``) is imported at two sizes, the
larger ``SEVERAL_TOTALS[-1]`` lines in all, to show the same for an
import that joins several files. A quick run imports the file's first
``QUICK_LINES`` lines instead, and smaller exports.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from .. import server
from . import baselines, exports
from .measure import OUT, drop_family, in_own_process, median, median_run

TITLE = "P5 import"
SOURCE = (server.PROJECT_ROOT.parent / "shared" / "data"
          / "online_retail.csv.gz")
MAPPING = "online-retail"
SCHEMA = "bench_imported"
ROUNDS = 3
#: copies of the real file in the larger source (1 + 3 = 2.2M lines)
REPEAT = 4
QUICK_LINES, QUICK_REPEAT = 20_000, 2
#: the sizes (lines of all four files) of the several-files export
SEVERAL_TOTALS = (500_000, 2_000_000)
QUICK_SEVERAL_TOTALS = (10_000, 40_000)


def repeat_source(source: Path, copies: int, out: Path,
                  lines: int | None = None) -> int:
    """Write ``source`` (a gzip CSV whose first column is the order
    number), or its first ``lines`` data lines, ``copies`` times into
    ``out``, copy ``k``'s order numbers suffixed ``-k`` so that no copy
    repeats another's orders; returns the data lines written."""
    with gzip.open(source, "rt", encoding="utf-8", newline="") as file:
        header = file.readline()
        body = (file.read() if lines is None else
                "".join(file.readline() for _ in range(lines)))
    count = body.count("\n")
    with gzip.open(out, "wt", encoding="utf-8", newline="",
                   compresslevel=1) as file:
        file.write(header)
        for copy in range(copies):
            file.write(body if copies == 1 else re.sub(
                r"^([^,\n]*),", rf"\g<1>-{copy},", body, flags=re.MULTILINE))
    return count * copies


def _import(url: str, source: Path, mapping: str = MAPPING) -> dict:
    return in_own_process(url, dict(schema=SCHEMA, source=str(source),
                                    mapping=mapping))


def several(url: str, totals: tuple[int, ...]) -> list[dict]:
    """The four-file export at each size of ``totals``, imported once
    each: its lines, seconds and peak memory."""
    found = []
    for total in totals:
        folder = OUT / f"several_{total}"
        made = exports.several_files(folder, total)
        try:
            run = _import(url, made["lines"], str(made["mapping"]))
        finally:
            drop_family(url, SCHEMA)
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
        found.append({"lines": made["total"], "files": made["counts"],
                      "seconds": run["seconds"],
                      "peak_memory_mib": run["peak_kib"] / 1024})
    return found


def run(url: str, quick: bool = False, source: Path = SOURCE) -> dict:
    if not source.exists():
        return {"skipped": f"{source} is not here"}
    OUT.mkdir(parents=True, exist_ok=True)
    made = []
    if quick:
        source = OUT / "quick_source.csv.gz"
        repeat_source(SOURCE, 1, source, QUICK_LINES)
        made.append(source)
    copies = QUICK_REPEAT if quick else REPEAT
    bigger = OUT / f"repeated_{copies}.csv.gz"
    made.append(bigger)
    try:
        runs = [_import(url, source) for _ in range(ROUNDS)]
        bigger_lines = repeat_source(source, copies, bigger)
        big = _import(url, bigger)
        copies_s, lines = baselines.copy_file_lines(url, source, ROUNDS)
        joined = several(url, QUICK_SEVERAL_TOTALS if quick
                         else SEVERAL_TOTALS)
    finally:
        drop_family(url, SCHEMA)
        for path in made:
            path.unlink(missing_ok=True)
    middle = median_run(runs)
    copy_s = median(copies_s)
    return {"source": source.name, "lines": lines,
            "seconds": middle["seconds"],
            "all_seconds": [run["seconds"] for run in runs],
            "lines_per_s": lines / middle["seconds"],
            "peak_memory_mib": max(run["peak_kib"] for run in runs) / 1024,
            "raw_copy_s": copy_s, "raw_copy_lines_per_s": lines / copy_s,
            "ratio_vs_raw_copy": copy_s / middle["seconds"],
            "rounds": ROUNDS, "steps": middle["steps"],
            "repeated": {"copies": copies, "lines": bigger_lines,
                         "seconds": big["seconds"],
                         "lines_per_s": bigger_lines / big["seconds"],
                         "peak_memory_mib": big["peak_kib"] / 1024},
            "several_files": joined}


def lines(p5: dict) -> list[str]:
    big = p5["repeated"]
    found = [
        f"{TITLE} of {p5['source']} ({p5['lines']:,} lines), whole "
        "build in its own process (target < 15 s, peak < 1024 MiB)",
        f"  import: read, map, COPY, judge, star, keys, views, gate "
        f"{p5['seconds']:>8.1f} s {p5['lines_per_s']:>10,.0f} lines/s"
        f"  peak {p5['peak_memory_mib']:.0f} MiB",
        f"  raw COPY of the same lines as text          "
        f"{p5['raw_copy_s']:>8.2f} s {p5['raw_copy_lines_per_s']:>10,.0f}"
        " lines/s",
        f"  ratio vs raw COPY                           "
        f"{p5['ratio_vs_raw_copy']:>8.3f}",
        f"  medians of {p5['rounds']} runs; the median run's steps:"]
    found += [f"    {step:<38} {seconds:6.2f} s"
              for step, seconds in p5["steps"].items()]
    return found + [
        f"  the file {big['copies']} times over ({big['lines']:,} lines),"
        " one run",
        f"    {big['seconds']:>8.1f} s {big['lines_per_s']:>10,.0f} "
        f"lines/s  peak {big['peak_memory_mib']:.0f} MiB "
        f"({big['peak_memory_mib'] / p5['peak_memory_mib']:.2f}x the "
        f"file's for {big['lines'] / p5['lines']:.1f}x the lines)"
    ] + _several_lines(p5.get("several_files", []))


def _several_lines(runs: list[dict]) -> list[str]:
    if not runs:
        return []
    first = runs[0]
    found = ["  four joined files (order lines, orders, products, "
             "customers), one run each"]
    for run in runs:
        found.append(
            f"    {run['lines']:>9,} lines {run['seconds']:>8.1f} s  peak "
            f"{run['peak_memory_mib']:.0f} MiB "
            f"({run['peak_memory_mib'] / first['peak_memory_mib']:.2f}x "
            f"for {run['lines'] / first['lines']:.1f}x the lines)")
    return found
