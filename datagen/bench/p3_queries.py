"""P3 chapter queries: each ``%%sql`` cell of the chapters, timed on a
warehouse at scale 20.

Owns figure P3 (with the fit of the lifetime value models on the same
warehouse, ``time_clv``), and reading the chapters' queries
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
from ..models import clv
from ..params import BuildParams, parse_params
from ..publish.notebooks import notebooks
from ..warehouse import clv_tables
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
    ``{{min_rule_customers}}`` the least customers behind a rule."""
    values = {"truth": truth,
              "min_rule_customers": str(needs.MIN_RULE_CUSTOMERS)}
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


def time_clv(url: str, schema: str) -> dict:
    """The lifetime value models on the warehouse ``schema``: its
    customers, and the seconds of reading their summary
    (``int_clv_summary``), of each fit, and of the build's whole step
    (read, fit, predict and write, ``clv_tables.write``)."""
    with server.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        data, _, _ = clv_tables.summary(conn, schema)
        read = time.perf_counter() - started
        x, tx, t = data["frequency"], data["recency"], data["tenure"]
        started = time.perf_counter()
        clv.fit_bgnbd(x, tx, t)
        bgnbd = time.perf_counter() - started
        spend = data["avg_value"]
        started = time.perf_counter()
        clv.fit_gamma_gamma(x[spend > 0], spend[spend > 0])
        gamma_gamma = time.perf_counter() - started
        started = time.perf_counter()
        clv_tables.write(conn, schema)
        whole = time.perf_counter() - started
    return {"customers": len(x), "read_s": read, "bgnbd_s": bgnbd,
            "gamma_gamma_s": gamma_gamma, "write_s": whole}


def run(url: str, quick: bool = False) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    params = parse_params(dict(scale=scale, schema=SCHEMA))
    try:
        build(params, url=url, echo=quiet)
        timings = time_queries(url, params)
        fits = time_clv(url, SCHEMA)
    finally:
        drop_family(url, SCHEMA)
    return {"scale": scale, "queries": timings,
            "total_s": sum(timings.values()),
            "slowest": max(timings.items(), key=lambda kv: kv[1])
            if timings else None, "clv": fits}


def lines(p3: dict) -> list[str]:
    name, seconds = p3["slowest"] or ("none", 0.0)
    found = [f"{TITLE} at scale {p3['scale']:g}: total {p3['total_s']:.2f} s "
             f"(target < 20), slowest {name} {seconds:.2f} s (target < 5)"]
    found += [f"  {name:<48} {seconds:7.3f} s" for name, seconds in
              sorted(p3["queries"].items(), key=lambda kv: -kv[1])]
    fits = p3.get("clv")
    if fits:
        found.append(
            f"  lifetime value models on {fits['customers']:,} customers: "
            f"BG/NBD fit {fits['bgnbd_s']:.2f} s + Gamma-Gamma fit "
            f"{fits['gamma_gamma_s']:.2f} s = "
            f"{fits['bgnbd_s'] + fits['gamma_gamma_s']:.2f} s (target < 10); "
            f"summary read {fits['read_s']:.2f} s; the build's whole step "
            f"(read, fit, predict, write) {fits['write_s']:.2f} s")
    return found
