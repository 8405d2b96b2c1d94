"""P3 chapter queries: each ``%%sql`` cell of the chapters, timed on a
warehouse at scale 20.

Owns figure P3 (with the build's fit of the lifetime value models on the
same warehouse, from its report), and reading the chapters' queries
(``chapter_queries``)
and timing them on a warehouse (``time_queries``), which P6 repeats on a
cluster. The warehouse is made by ``build`` (what ``datagen build`` runs);
the queries are the chapters' own text, read from the notebooks the book
runs (``publish.notebooks.notebooks``), each run on one session with the
warehouse's schema as its search path, as a chapter's ``%%sql`` cell is.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
from psycopg import sql

from .. import server
from ..chapters import needs
from ..params import BuildParams, parse_params
from ..publish.notebooks import notebooks
from ..warehouse.build import build
from .measure import drop_family, quiet

TITLE = "P3 chapter queries"
SCALE, QUICK_SCALE = 20, 0.1
SCHEMA = "bench_queries"


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


def run(url: str, quick: bool = False) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    params = parse_params(dict(scale=scale, schema=SCHEMA))
    try:
        report = build(params, url=url, echo=quiet)
        timings = time_queries(url, params)
    finally:
        drop_family(url, SCHEMA)
    return {"scale": scale, "queries": timings,
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
    return found
