"""P3 chapter queries: each ``%%sql`` cell of the chapters, timed on a
warehouse at scale 20, and each chapter of the book at scale 20 against
its time at scale 1.

Owns figure P3 (with the build's fit of the lifetime value models on the
same warehouse, from its report), and reading the chapters' queries
(``chapter_queries``)
and timing them on a warehouse (``time_queries``), which P6 repeats on a
cluster. The warehouse is made by ``build`` (what ``datagen build`` runs);
the queries are the chapters' own text, read from the notebooks the book
runs (``publish.notebooks.notebooks``), each run on one session with the
warehouse's schema as its search path, as a chapter's ``%%sql`` cell is.
The chapters' times are those ``datagen book`` reports (``ran  NAME  S s``),
run as ``make book`` runs it into empty folders of the benchmark's own, at
scale 1 and at scale 20 in turn, ``CHAPTER_ROUNDS`` times (issue 26: every
chapter at scale 20 within 2x its time at scale 1, none over 10 s); a quick
run leaves them out and says so.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import nbformat
from psycopg import sql

from .. import server
from ..chapters import needs
from ..params import BuildParams, parse_params
from ..publish.notebooks import notebooks
from ..warehouse.build import build
from .measure import OUT, datagen_book, drop_family, median, quiet

TITLE = "P3 chapter queries"
SCALE, QUICK_SCALE = 20, 0.1
SCHEMA = "bench_queries"
#: the book at each scale, this many times in turn: each chapter's median
CHAPTER_SCALES, CHAPTER_ROUNDS = (1, SCALE), 2
CHAPTER_SCHEMA = "bench_chapters"
#: a chapter's line in the book's log (the warehouse notebook's is left out)
CHAPTER_LINE = re.compile(r"^\s*ran\s+(\d\d_\w+)\.ipynb\s+([\d.]+) s$", re.M)


def chapter_queries(root: Path = server.PROJECT_ROOT) -> list[tuple[str, str]]:
    """(notebook:cell, sql) for every ``%%sql`` cell of the chapters of a
    generated book (an import's own chapter reads an import's schema)."""
    queries = []
    for path in notebooks(root, imported=False):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            first, _, body = cell.source.partition("\n")
            if cell.cell_type == "code" and first.startswith("%%sql"):
                name = re.sub(r"^%%sql\s*", "", first).split("<<")[0].strip()
                queries.append((f"{path.stem}:{name or index}", body))
    return queries


def filled(query: str, truth: str) -> str:
    """``query`` with the chapters' jupysql templates filled as a chapter
    fills them: ``{{truth}}`` the truth schema (``truth``, quoted),
    ``{{min_rule_customers}}`` the least customers behind a rule,
    ``{{truth_customers}}`` the most customers the truth check reads."""
    values = {"truth": truth,
              "min_rule_customers": str(needs.MIN_RULE_CUSTOMERS),
              "truth_customers": str(needs.TRUTH_CUSTOMERS)}
    for key, value in values.items():
        query = query.replace("{{" + key + "}}", value)
    return query


def time_queries(url: str, params: BuildParams) -> dict[str, float]:
    """Seconds of each chapter query on the warehouse of ``params``."""
    timings = {}
    with server.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("set search_path to {}").format(
            sql.Identifier(params.schema)))
        truth = sql.Identifier(params.truth_schema).as_string(conn)
        for name, query in chapter_queries():
            query = filled(query, truth)
            started = time.perf_counter()
            conn.execute(query).fetchall()
            timings[name] = time.perf_counter() - started
    return timings


def chapter_seconds(log: str) -> dict[str, float]:
    """Each chapter's seconds in a ``datagen book`` log."""
    return {name: float(seconds) for name, seconds in CHAPTER_LINE.findall(log)
            if not name.startswith("00_")}


def time_chapters(url: str, rounds: int = CHAPTER_ROUNDS) -> dict:
    """Each chapter's median seconds per scale of ``CHAPTER_SCALES``: the
    book from an empty folder at each scale in turn, ``rounds`` times."""
    seconds: dict[float, list[dict[str, float]]] = {
        scale: [] for scale in CHAPTER_SCALES}
    try:
        for _ in range(rounds):
            for scale in CHAPTER_SCALES:
                out = OUT / f"chapters_{scale:g}"
                shutil.rmtree(out, ignore_errors=True)
                _, log = datagen_book(server.PROJECT_ROOT, out,
                                      f"{CHAPTER_SCHEMA}_{scale:g}", scale,
                                      url)
                seconds[scale].append(chapter_seconds(log))
    finally:
        for scale in CHAPTER_SCALES:
            shutil.rmtree(OUT / f"chapters_{scale:g}", ignore_errors=True)
            drop_family(url, f"{CHAPTER_SCHEMA}_{scale:g}")
    names = sorted(set().union(*(run for runs in seconds.values()
                                 for run in runs)))
    return {name: {f"{scale:g}": median([run.get(name, float("nan"))
                                        for run in seconds[scale]])
                   for scale in CHAPTER_SCALES} for name in names}


def run(url: str, quick: bool = False) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    params = parse_params(dict(scale=scale, schema=SCHEMA))
    try:
        report = build(params, url=url, echo=quiet)
        timings = time_queries(url, params)
    finally:
        drop_family(url, SCHEMA)
    return {"scale": scale, "queries": timings,
            "chapters": None if quick else time_chapters(url),
            "total_s": sum(timings.values()),
            "slowest": max(timings.items(), key=lambda kv: kv[1])
            if timings else None,
            # the build's fit of the lifetime value models, by part
            "clv": {"customers": report.clv_customers,
                    **{part: report.seconds.get(part) for part in (
                        "read the summary", "fit the BG/NBD",
                        "fit the Gamma-Gamma", "predict and write")}}}


def lines(p3: dict) -> list[str]:
    name, seconds = p3["slowest"] or ("none", 0.0)
    found = [f"{TITLE} at scale {p3['scale']:g}: total {p3['total_s']:.2f} s "
             f"(target < 20), slowest {name} {seconds:.2f} s (target < 5)"]
    found += [f"  {name:<48} {seconds:7.3f} s" for name, seconds in
              sorted(p3["queries"].items(), key=lambda kv: -kv[1])]
    fits = p3.get("clv") or {}
    if fits.get("fit the BG/NBD") is not None:
        fit = fits["fit the BG/NBD"] + (fits["fit the Gamma-Gamma"] or 0.0)
        found.append(
            f"  lifetime value models on {fits['customers']:,} customers "
            f"(the build's step): fits {fit:.2f} s (target < 10; BG/NBD "
            f"{fits['fit the BG/NBD']:.2f} s, Gamma-Gamma "
            f"{fits['fit the Gamma-Gamma'] or 0.0:.2f} s), reading the "
            f"summary {fits['read the summary']:.2f} s, predicting and "
            f"writing {fits['predict and write'] or 0.0:.2f} s")
    return found + _chapter_lines(p3.get("chapters"))


def _chapter_lines(chapters: dict | None) -> list[str]:
    low, high = (f"{scale:g}" for scale in CHAPTER_SCALES)
    if not chapters:
        return [f"{TITLE}, each chapter at scale {high} against scale {low}: "
                "left out (a full run builds both books)"]
    ratios = {name: times[high] / times[low]
              for name, times in chapters.items()}
    within = sum(ratio <= 2 for ratio in ratios.values())
    slowest = max(times[high] for times in chapters.values())
    found = [f"{TITLE}, each chapter of datagen book at scale {high} against "
             f"scale {low} (medians of {CHAPTER_ROUNDS} books each, in turn): "
             f"{within} of {len(chapters)} within 2x (target: all), the "
             f"slowest {slowest:.1f} s at scale {high} (target < 10)"]
    found += [f"  {name:<32} {times[low]:5.1f} s -> {times[high]:5.1f} s "
              f"{ratios[name]:5.1f}x" for name, times in chapters.items()]
    return found
