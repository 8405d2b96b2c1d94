"""``make bench``: the product's own speed and memory figures, in one run.

Owns the benchmark. Every figure is measured here, on this machine and this
server, in the same run, and reported as a table on stdout and as JSON under
``_build/bench/``:

- P1 load speed: generating + loading line items at scale 20, against a raw
  COPY of the same rows already in memory, and against one INSERT per row
  (psycopg2 ``executemany``, measured on a sample and extrapolated);
- P2 book time: ``make book`` from a clean ``_build`` and again unchanged,
  and what printing the PDFs adds to it (the build's own timing line);
- P3 chapter queries: each ``%%sql`` cell of the chapters at scale 20;
- P4 memory and growth: peak memory and time per order of a whole build at
  scales 1, 10 and 100 (``--without-100``: 1 and 10), each in its own
  process, and the time per order beyond the fixed cost of a build;
- P5 import: a whole import of the real UCI Online Retail file
  (``../shared/data``) in a process of its own, its lines per second and
  peak memory, against a raw COPY of the same file's lines into a table of
  text columns (no mapping, no judging, no star); and the same file
  repeated ``IMPORT_REPEAT`` times (each copy's order numbers made its own)
  imported once, to show that memory stays flat as the source grows.
- P6 cluster: the same build at scale 20 and the chapter queries on one node
  and on a Citus cluster of this machine (a coordinator and two workers,
  ``datagen.cluster``, started in a folder of its own), with the build's
  steps, the gate's check of the keys the cluster does not enforce, and the
  facts' size on disk per node. On a 2-core machine the three servers share
  the cores the one node has to itself: an overhead, not a speed-up.
- P7 refresh: a one-day ``datagen refresh`` at scale 20 (the warehouse as
  of the day before, refreshed to the last day) against a whole build as
  of that last day, each the median of ``REFRESH_ROUNDS``, with the
  refresh's steps; and a one-month refresh for scale (target: a one-day
  refresh at most a tenth of the build).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from psycopg import sql

from . import generate, server
from .params import parse_params
from .warehouse import copy_binary, copy_text, fact_load, schemas, sql_files
from .warehouse.build import build, tune_session
from .warehouse.parallel import SessionPool

OUT = server.PROJECT_ROOT / "_build" / "bench"
NAIVE_SAMPLE = 20_000
SCHEMA = "bench"


def _machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cpus": os.cpu_count(), "memory_gib": round(memory / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.machine()}


def _fresh_table(conn, schema: str) -> None:
    schemas.drop_schema(conn, schema)
    schemas.create_schema(conn, schema)
    sql_files.run_sql(conn, schema, "001_tables.sql")


def p1_load_speed(url: str, scale: float = 20, chunk: int = 100_000,
                  rounds: int = 3) -> dict:
    """Line items at ``scale``: the build's own generate + COPY path
    against a raw COPY of the same bytes held in memory (and of the same
    rows as CSV), each ``rounds`` times in turn; medians are reported, and
    against one INSERT per row on a sample."""
    plan = generate.plan(parse_params(dict(scale=scale)))
    n_orders = plan.n_orders
    table = "fact_order_item"
    times: dict[str, list[float]] = {"pipeline": [], "raw": [], "raw_csv": []}
    with server.connect(url, autocommit=True) as conn, \
            SessionPool(url, setup=tune_session) as sessions:
        _fresh_table(conn, SCHEMA)
        types = copy_binary.column_types(conn, SCHEMA, table)
        started = time.perf_counter()
        blocks = [plan.block(first, min(first + chunk, n_orders)).items
                  for first in range(0, n_orders, chunk)]
        encoded = [copy_binary.encode(block, types) for block in blocks]
        generate_s = time.perf_counter() - started
        columns = blocks[0].column_names
        rows = sum(block.num_rows for block in blocks)
        as_csv = [copy_text.csv_bytes(table, block) for block in blocks]
        del blocks

        def raw_csv():
            for data in as_csv:
                copy_text.copy_csv(conn, SCHEMA, table, columns, data)

        runs = {
            "pipeline": lambda: fact_load.load_facts(
                conn, SCHEMA, plan, sessions, chunk, tables=(table,)),
            "raw": lambda: copy_binary.copy_frozen(conn, SCHEMA, table,
                                                   columns, encoded),
            "raw_csv": raw_csv,
        }
        for _ in range(rounds):
            for name, run in runs.items():
                _fresh_table(conn, SCHEMA)
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
        sample = _sample_rows(conn, NAIVE_SAMPLE)
        _fresh_table(conn, SCHEMA)
    naive_s = _naive_insert(url, columns, sample)
    per_s = {name: rows / statistics.median(t) for name, t in times.items()}
    result = {
        "scale": scale, "line_items": rows, "rounds": rounds,
        "generate_and_copy_rows_per_s": per_s["pipeline"],
        "generate_only_rows_per_s": rows / generate_s,
        "raw_copy_rows_per_s": per_s["raw"],
        "raw_copy_csv_rows_per_s": per_s["raw_csv"],
        "naive_insert_rows_per_s": len(sample) / naive_s,
        "seconds": times,
    }
    result["ratio_vs_raw_copy"] = (result["generate_and_copy_rows_per_s"]
                                   / result["raw_copy_rows_per_s"])
    result["ratio_vs_naive_insert"] = (result["generate_and_copy_rows_per_s"]
                                       / result["naive_insert_rows_per_s"])
    result["raw_copy_vs_naive_insert"] = (result["raw_copy_rows_per_s"]
                                          / result["naive_insert_rows_per_s"])
    return result


def _sample_rows(conn, n: int) -> list[tuple]:
    sql_files.set_search_path(conn, SCHEMA)
    return conn.execute("select * from fact_order_item order by order_id, "
                        "line_number limit %s", [n]).fetchall()


def _naive_insert(url: str, columns: list[str], rows: list[tuple]) -> float:
    """One INSERT per row through psycopg2 executemany, as tutorials do."""
    import psycopg2
    import psycopg2.sql
    with server.connect(url, autocommit=True) as conn:
        _fresh_table(conn, SCHEMA)
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(psycopg2.sql.SQL("set search_path to {}").format(
                psycopg2.sql.Identifier(SCHEMA)))
            statement = (f"insert into fact_order_item ({', '.join(columns)}) "
                         f"values ({', '.join(['%s'] * len(columns))})")
            started = time.perf_counter()
            cursor.executemany(statement, rows)
            connection.commit()
            return time.perf_counter() - started
    finally:
        connection.close()


def p2_book_time() -> dict:
    """``make book`` from a clean _build (environment installed), then again."""
    subprocess.run(["make", "--no-print-directory", "clean"],
                   cwd=server.PROJECT_ROOT, check=True, capture_output=True)
    times, pdf_s = [], []
    for _ in range(2):
        started = time.perf_counter()
        run = subprocess.run(["make", "--no-print-directory", "book"],
                             cwd=server.PROJECT_ROOT, check=True,
                             capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        # "  printed 12 pages, book 50 pages 8.4 MiB   18.5 s"
        match = re.search(r"^\s*(?:printed|PDFs reused).*?([\d.]+) s$",
                          run.stderr, flags=re.M)
        pdf_s.append(float(match[1]) if match else float("nan"))
    pages = re.search(r"book (\d+) pages ([\d.]+) MiB", run.stderr)
    return {"first_s": times[0], "second_unchanged_s": times[1],
            "pdf_first_s": pdf_s[0], "pdf_second_s": pdf_s[1],
            "pdf_pages": int(pages[1]) if pages else None,
            "pdf_mib": float(pages[2]) if pages else None}


def chapter_queries(root: Path = server.PROJECT_ROOT) -> list[tuple[str, str]]:
    """(notebook:cell, sql) for every ``%%sql`` cell of the chapters of a
    generated book (an import's own chapter reads an import's schema)."""
    from .publish.notebooks import notebooks
    queries = []
    for path in notebooks(root, imported=False):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            first, _, body = cell.source.partition("\n")
            if cell.cell_type == "code" and first.startswith("%%sql"):
                name = re.sub(r"^%%sql\s*", "", first).split("<<")[0].strip()
                queries.append((f"{path.stem}:{name or index}", body))
    return queries


def p3_chapter_queries(url: str, scale: float = 20) -> dict:
    schema = f"bench_x{int(scale)}"
    params = parse_params(dict(scale=scale, schema=schema))
    build(params, url=url, echo=lambda line: None)
    timings = _time_queries(url, params)
    _drop_build(url, schema)
    return {"scale": scale, "queries": timings,
            "total_s": sum(timings.values()),
            "slowest": max(timings.items(), key=lambda kv: kv[1])
            if timings else None}


def _time_queries(url: str, params) -> dict[str, float]:
    """Seconds of each chapter query on the warehouse of ``params``."""
    schema = params.schema
    timings = {}
    with server.connect(url, autocommit=True) as conn:
        sql_files.set_search_path(conn, schema)
        # the chapters' jupysql templates: {{truth}} is the truth schema
        truth = sql.Identifier(params.truth_schema).as_string(conn)
        for name, query in chapter_queries():
            query = query.replace("{{truth}}", truth)
            started = time.perf_counter()
            conn.execute(query).fetchall()
            timings[name] = time.perf_counter() - started
    return timings


#: the facts' size: one node's relation sizes, a cluster's per worker
FACT_SIZE = """
select coalesce(sum(pg_total_relation_size(c.oid)), 0)
from pg_class c
where c.relnamespace = %s::regnamespace and c.relkind = 'r'
    and c.relname ~ '^fact_order(_item)?(_[0-9]+)?$'
"""


def p6_cluster(url: str, scale: float = 20) -> dict:
    """A build at ``scale`` and the chapter queries, on one node and on a
    Citus cluster of this machine."""
    import shutil
    import tempfile

    from . import cluster
    reason = cluster.why_not_buildable()
    if reason:
        return {"skipped": reason}
    schema = "bench_p6"
    params = parse_params(dict(scale=scale, schema=schema))
    folder = Path(tempfile.mkdtemp(prefix="ewbp"))
    results = {"scale": scale}
    try:
        started = time.perf_counter()
        cluster_url = cluster.start(folder, echo=lambda line: None)
        results["cluster_start_s"] = time.perf_counter() - started
        for label, where in (("one_node", url), ("cluster", cluster_url)):
            report = build(params, url=where, echo=lambda line: None)
            timings = _time_queries(where, params)
            with server.connect(where, autocommit=True) as conn:
                started = time.perf_counter()
                conn.execute(sql.SQL("select count(*) from {}.qc_unique_keys"
                                     ).format(sql.Identifier(schema)))
                unique_s = time.perf_counter() - started
                if label == "cluster":
                    sizes = dict(conn.execute(
                        "select nodeport, result::bigint from "
                        "run_command_on_workers(%s)",
                        [FACT_SIZE.replace("%s", f"'{schema}'")]).fetchall())
                else:
                    sizes = {"one node": conn.execute(
                        FACT_SIZE, [schema]).fetchone()[0]}
            _drop_build(where, schema)
            results[label] = {
                "build_s": report.total_seconds, "steps": report.seconds,
                "orders": report.rows["fact_order"],
                "lines": report.rows["fact_order_item"],
                "queries": timings, "queries_total_s": sum(timings.values()),
                "unique_keys_check_s": unique_s,
                "fact_bytes_per_node": sizes}
    finally:
        cluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
    results["build_ratio"] = (results["cluster"]["build_s"]
                              / results["one_node"]["build_s"])
    results["queries_ratio"] = (results["cluster"]["queries_total_s"]
                                / results["one_node"]["queries_total_s"])
    return results


# VmHWM (peak resident memory of this process image) rather than
# getrusage's ru_maxrss, which keeps the parent's peak across fork + exec
GROWTH_PROBE = """
import re, sys, time
from datagen.warehouse.build import build
from datagen.params import parse_params
started = time.perf_counter()
report = build(parse_params(dict(scale=float(sys.argv[1]), schema=sys.argv[2])),
               echo=lambda line: None)
status = open("/proc/self/status").read()
print(time.perf_counter() - started, report.rows["fact_order"],
      re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
"""


def _drop_build(url: str, schema: str) -> None:
    """Drop a warehouse the benchmark built and the schemas beside it (its
    disk is the user's)."""
    from .params import schema_family
    with server.connect(url, autocommit=True) as conn:
        for name in schema_family(parse_params(dict(schema=schema)).schema):
            schemas.drop_schema(conn, name)


#: the fixed cost of a build: one so small that its rows cost next to nothing
FIXED_COST_SCALE = 0.01


#: builds per scale up to 10 (the median is reported; this machine's
#: timings of one build vary by 10-25%); larger scales are built once
GROWTH_ROUNDS = 3


def p4_growth(url: str, scales=(1, 10, 100)) -> dict:
    """A whole build at each scale, each in a process of its own: time,
    time per order, peak memory; and the time per order beyond the fixed
    cost of a build (a build at ``FIXED_COST_SCALE``)."""
    results = {}
    for scale in (FIXED_COST_SCALE, *scales):
        schema = f"bench_growth_{str(scale).replace('.', '_')}"
        runs = []
        for _ in range(GROWTH_ROUNDS if scale <= 10 else 1):
            out = subprocess.run(
                [sys.executable, "-c", GROWTH_PROBE, str(scale), schema],
                cwd=server.PROJECT_ROOT, check=True, capture_output=True,
                text=True, env={**os.environ, "DATABASE_URL": url,
                                "PYTHONPATH": str(server.PROJECT_ROOT)})
            _drop_build(url, schema)
            runs.append(out.stdout.split())
        seconds = statistics.median(float(run[0]) for run in runs)
        n_orders = int(runs[0][1])
        results[scale] = {
            "seconds": seconds, "orders": n_orders, "runs": len(runs),
            "all_seconds": [float(run[0]) for run in runs],
            "peak_memory_mib": max(int(run[2]) for run in runs) / 1024,
            "us_per_order": seconds / n_orders * 1e6}
    fixed = results.pop(FIXED_COST_SCALE)
    fastest = min(r["us_per_order"] for r in results.values())
    for r in results.values():
        r["time_per_order_vs_fastest"] = r["us_per_order"] / fastest
        r["us_per_order_beyond_fixed"] = ((r["seconds"] - fixed["seconds"])
                                          / (r["orders"] - fixed["orders"])
                                          * 1e6)
    beyond = min(r["us_per_order_beyond_fixed"] for r in results.values())
    for r in results.values():
        r["beyond_fixed_vs_fastest"] = r["us_per_order_beyond_fixed"] / beyond
    return {"scales": results, "fixed_cost": {"scale": FIXED_COST_SCALE,
                                              **fixed}}


IMPORT_PROBE = """
import json, resource, sys, time
from datagen.params import parse_params
from datagen.warehouse.build import build
started = time.perf_counter()
report = build(parse_params(schema=sys.argv[3], source=sys.argv[1],
                            mapping=sys.argv[2]), echo=lambda line: None)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "steps": report.seconds}))
"""
REAL_SOURCE = (server.PROJECT_ROOT.parent / "shared" / "data"
               / "online_retail.csv.gz")
IMPORT_ROUNDS = 3
#: copies of the real file in P5's larger source (1 + 3 = 2.2M lines)
IMPORT_REPEAT = 4


def repeat_source(source: Path, copies: int, out: Path) -> int:
    """Write ``source`` (a gzip CSV whose first column is the order
    number) ``copies`` times into ``out``, copy ``k``'s order numbers
    suffixed ``-k`` so that no copy repeats another's orders; returns the
    data lines written."""
    import gzip
    with gzip.open(source, "rt", encoding="utf-8", newline="") as file:
        header, body = file.readline(), file.read()
    lines = body.count("\n")
    with gzip.open(out, "wt", encoding="utf-8", newline="",
                   compresslevel=1) as file:
        file.write(header)
        for copy in range(copies):
            file.write(re.sub(r"^([^,\n]*),", rf"\g<1>-{copy},", body,
                              flags=re.MULTILINE))
    return lines * copies


def _import_probe(url: str, source: Path, mapping: str, schema: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, str(source), mapping, schema],
        cwd=server.PROJECT_ROOT, check=True, capture_output=True,
        text=True, env={**os.environ, "DATABASE_URL": url,
                        "PYTHONPATH": str(server.PROJECT_ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def p5_import(url: str, source: Path = REAL_SOURCE,
              mapping: str = "online-retail") -> dict:
    """Import ``source`` whole (median of ``IMPORT_ROUNDS`` runs, each in
    its own process), against a raw COPY of its lines as text."""
    import gzip
    if not source.exists():
        return {"skipped": f"{source} is not here"}
    schema = "bench_imported"
    runs = [_import_probe(url, source, mapping, schema)
            for _ in range(IMPORT_ROUNDS)]
    bigger = OUT / f"repeated_{IMPORT_REPEAT}.csv.gz"
    bigger.parent.mkdir(parents=True, exist_ok=True)
    bigger_lines = repeat_source(source, IMPORT_REPEAT, bigger)
    big = _import_probe(url, bigger, mapping, schema)
    bigger.unlink()
    _drop_build(url, schema)
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as file:
        data = file.read()
    header = data.split(b"\n", 1)[0].decode("utf-8").strip().split(",")
    copies, lines = [], 0
    with server.connect(url, autocommit=True) as conn:
        for _ in range(IMPORT_ROUNDS):
            conn.execute("drop table if exists bench_raw_lines")
            conn.execute(sql.SQL("create unlogged table bench_raw_lines ({})")
                         .format(sql.SQL(", ").join(
                             sql.SQL("{} text").format(sql.Identifier(name))
                             for name in header)))
            started = time.perf_counter()
            with conn.cursor().copy("copy bench_raw_lines from stdin "
                                    "with (format csv, header)") as copy:
                copy.write(data)
            copies.append(time.perf_counter() - started)
            lines = conn.execute("select count(*) from bench_raw_lines"
                                 ).fetchone()[0]
        conn.execute("drop table bench_raw_lines")
    runs.sort(key=lambda run: run["seconds"])
    median = runs[len(runs) // 2]
    copy_s = statistics.median(copies)
    return {"source": source.name, "lines": lines,
            "seconds": median["seconds"],
            "all_seconds": [run["seconds"] for run in runs],
            "lines_per_s": lines / median["seconds"],
            "peak_memory_mib": max(run["peak_kib"] for run in runs) / 1024,
            "raw_copy_s": copy_s, "raw_copy_lines_per_s": lines / copy_s,
            "ratio_vs_raw_copy": copy_s / median["seconds"],
            "steps": median["steps"],
            "repeated": {"copies": IMPORT_REPEAT, "lines": bigger_lines,
                         "seconds": big["seconds"],
                         "lines_per_s": bigger_lines / big["seconds"],
                         "peak_memory_mib": big["peak_kib"] / 1024}}


def _table(report: dict) -> str:
    lines = [f"machine: {report['machine']}"]
    p1 = report.get("p1")
    if p1:
        lines += [
            f"P1 load speed, line items at scale {p1['scale']:g} "
            f"({p1['line_items']:,} rows)",
            f"  generate + COPY, binary (the build's path) "
            f"{p1['generate_and_copy_rows_per_s']:>12,.0f} rows/s",
            f"  generate + encode alone (one thread)       "
            f"{p1['generate_only_rows_per_s']:>12,.0f} rows/s",
            f"  raw COPY of the same bytes from memory     "
            f"{p1['raw_copy_rows_per_s']:>12,.0f} rows/s",
            f"  raw COPY of the same rows as CSV, unfrozen "
            f"{p1['raw_copy_csv_rows_per_s']:>12,.0f} rows/s",
            f"  INSERT per row (psycopg2 executemany)      "
            f"{p1['naive_insert_rows_per_s']:>12,.0f} rows/s",
            f"  ratio vs raw COPY                          "
            f"{p1['ratio_vs_raw_copy']:>12.2f}  (target >= 0.7)",
            f"  ratio vs INSERT per row                    "
            f"{p1['ratio_vs_naive_insert']:>12.0f}  (target >= 200)",
            f"  (raw COPY itself vs INSERT per row         "
            f"{p1['raw_copy_vs_naive_insert']:>12.0f})",
            f"  medians of {p1['rounds']} rounds each, taken in turn"]
    p2 = report.get("p2")
    if p2:
        lines += [
            "P2 book time",
            f"  make book, clean _build      {p2['first_s']:>8.1f} s  "
            "(target < 60)",
            f"  make book again, unchanged   "
            f"{p2['second_unchanged_s']:>8.1f} s  (target < 15)",
            f"  of which the PDFs, clean     {p2['pdf_first_s']:>8.1f} s  "
            f"(target <= 20; book {p2['pdf_pages']} pages, "
            f"{p2['pdf_mib']} MiB)",
            f"  of which the PDFs, unchanged {p2['pdf_second_s']:>8.1f} s  "
            "(nothing printed)"]
    p3 = report.get("p3")
    if p3:
        lines.append(f"P3 chapter queries at scale {p3['scale']:g}: total "
                     f"{p3['total_s']:.2f} s (target < 20), slowest "
                     f"{p3['slowest'][0]} {p3['slowest'][1]:.2f} s (target < 5)")
        for name, seconds in sorted(p3["queries"].items(),
                                    key=lambda kv: -kv[1]):
            lines.append(f"  {name:<48} {seconds:7.3f} s")
    p4 = report.get("p4")
    if p4:
        fixed = p4["fixed_cost"]
        lines += [
            "P4 whole build, each in its own process (target: time per order "
            "within 20%, peak < 2048 MiB at 100)",
            "  scale      orders   seconds  us/order  vs fastest  "
            "beyond fixed  vs fastest  peak MiB"]
        for scale, r in p4["scales"].items():
            lines.append(
                f"  {scale:>5g}  {r['orders']:>10,}  {r['seconds']:>8.1f}  "
                f"{r['us_per_order']:>8.1f}  {r['time_per_order_vs_fastest']:>10.2f}"
                f"  {r['us_per_order_beyond_fixed']:>12.1f}"
                f"  {r['beyond_fixed_vs_fastest']:>10.2f}"
                f"  {r['peak_memory_mib']:>8.0f}")
        lines.append(f"  fixed cost: a build at scale {fixed['scale']:g} "
                     f"({fixed['orders']:,} orders) takes "
                     f"{fixed['seconds']:.2f} s; seconds are medians of "
                     f"{GROWTH_ROUNDS} builds up to scale 10, one above")
    p5 = report.get("p5")
    if p5 and "skipped" in p5:
        lines.append(f"P5 import: skipped ({p5['skipped']})")
    elif p5:
        lines += [
            f"P5 import of {p5['source']} ({p5['lines']:,} lines), whole "
            "build in its own process (target < 15 s, peak < 1024 MiB)",
            f"  import: read, map, COPY, judge, star, keys, views, gate "
            f"{p5['seconds']:>8.1f} s {p5['lines_per_s']:>10,.0f} lines/s"
            f"  peak {p5['peak_memory_mib']:.0f} MiB",
            f"  raw COPY of the same lines as text          "
            f"{p5['raw_copy_s']:>8.2f} s {p5['raw_copy_lines_per_s']:>10,.0f}"
            " lines/s",
            f"  ratio vs raw COPY                           "
            f"{p5['ratio_vs_raw_copy']:>8.3f}",
            f"  medians of {IMPORT_ROUNDS} runs; the median run's steps:"]
        lines += [f"    {step:<38} {seconds:6.2f} s"
                  for step, seconds in p5["steps"].items()]
        big = p5["repeated"]
        lines += [
            f"  the file {big['copies']} times over ({big['lines']:,} lines),"
            " one run",
            f"    {big['seconds']:>8.1f} s {big['lines_per_s']:>10,.0f} "
            f"lines/s  peak {big['peak_memory_mib']:.0f} MiB "
            f"({big['peak_memory_mib'] / p5['peak_memory_mib']:.2f}x the "
            f"real file's for {big['lines'] / p5['lines']:.1f}x the lines)"]
    p6 = report.get("p6")
    if p6 and "skipped" in p6:
        lines.append(f"P6 cluster: skipped ({p6['skipped']})")
    elif p6:
        one, many = p6["one_node"], p6["cluster"]
        lines += [
            f"P6 Citus cluster (coordinator + 2 workers on this machine's "
            f"{os.cpu_count()} cores) against one node, scale "
            f"{p6['scale']:g} ({one['orders']:,} orders, "
            f"{one['lines']:,} lines); cluster started in "
            f"{p6['cluster_start_s']:.1f} s",
            "                                      one node     cluster"
            "   ratio",
            f"  whole build                       {one['build_s']:>9.1f} s"
            f" {many['build_s']:>9.1f} s {p6['build_ratio']:>7.2f}",
            f"  chapter queries (total)           "
            f"{one['queries_total_s']:>9.1f} s "
            f"{many['queries_total_s']:>9.1f} s {p6['queries_ratio']:>7.2f}",
            f"  gate: qc_unique_keys              "
            f"{one['unique_keys_check_s']:>9.2f} s "
            f"{many['unique_keys_check_s']:>9.2f} s"]
        for step in many["steps"]:
            lines.append(f"    {step:<32}{one['steps'].get(step, 0):>9.2f} s"
                         f" {many['steps'][step]:>9.2f} s")
        lines.append("  facts on disk: " + ", ".join(
            f"{node}: {size / 2**20:,.0f} MiB" for node, size in
            {**one["fact_bytes_per_node"],
             **{f"worker :{port}": size for port, size in
                many["fact_bytes_per_node"].items()}}.items()))
    p7 = report.get("p7")
    if p7:
        lines += [
            f"P7 refresh at scale {p7['scale']:g} to {p7['to']} (median of "
            f"{p7['rounds']}; target: one day at most 0.10 of a build)",
            f"  whole build as of {p7['to']}          "
            f"{p7['build_s']:>9.1f} s",
            f"  one-day refresh                   {p7['one_day_s']:>9.1f} s "
            f"{p7['one_day_ratio']:>7.2f} of the build ("
            f"{p7['one_day_rows']['orders']:,} orders)"]
        lines += [f"    {step:<32}{seconds:>9.2f} s"
                  for step, seconds in p7["one_day_steps"].items()]
        lines.append(
            f"  one-month refresh                 {p7['one_month_s']:>9.1f} s"
            f" {p7['one_month_ratio']:>7.2f} of the build ("
            f"{p7['one_month_rows']['orders']:,} orders)")
    return "\n".join(lines)


#: rounds of P7 (the median is reported)
REFRESH_ROUNDS = 3


def p7_refresh(url: str, scale: float = 20, to: str = "2025-12-31") -> dict:
    """A one-day and a one-month refresh at ``scale`` against a whole build
    as of the same day, in this process (the refresh runs in one session)."""
    from .warehouse.refresh import refresh
    last = dt.date.fromisoformat(to)
    quiet = dict(url=url, echo=lambda line: None)
    schema = "bench_refresh"
    builds, refreshes, steps = [], [], []
    for _ in range(REFRESH_ROUNDS):
        params = parse_params(dict(scale=scale, end_date=to, schema=schema))
        builds.append(build(params, **quiet).total_seconds)
        build(dataclasses.replace(params, end_date=last - dt.timedelta(1)),
              **quiet)
        done = refresh(schema, last, **quiet)
        refreshes.append(done.seconds)
        steps.append(done.steps)
    month_start = last.replace(day=1) - dt.timedelta(days=1)
    build(parse_params(dict(scale=scale, end_date=month_start,
                            schema=schema)), **quiet)
    month = refresh(schema, last, **quiet)
    _drop_build(url, schema)
    # (an odd number of rounds: the median is one of them, its steps shown)
    one_day = statistics.median(refreshes)
    whole = statistics.median(builds)
    middle = refreshes.index(one_day)
    return {"scale": scale, "to": to, "rounds": REFRESH_ROUNDS,
            "build_s": whole, "one_day_s": one_day,
            "one_day_ratio": one_day / whole,
            "one_day_steps": steps[middle],
            "one_day_rows": done.rows,
            "one_month_s": month.seconds,
            "one_month_ratio": month.seconds / whole,
            "one_month_rows": month.rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datagen bench")
    parser.add_argument("--only", nargs="*",
                        choices=["p1", "p2", "p3", "p4", "p5", "p6", "p7"],
                        help="run only these parts")
    parser.add_argument("--without-100", action="store_true",
                        help="P4 at scales 1 and 10 only (scale 100 takes "
                        "about 2 minutes here)")
    args = parser.parse_args(argv)
    parts = set(args.only or ["p1", "p2", "p3", "p4", "p5", "p6", "p7"])
    url = server.database_url()
    report = {"machine": _machine(),
              "measured_at": dt.datetime.now().isoformat(timespec="seconds")}
    if "p1" in parts:
        report["p1"] = p1_load_speed(url)
    if "p2" in parts:
        report["p2"] = p2_book_time()
    if "p3" in parts:
        report["p3"] = p3_chapter_queries(url)
    if "p4" in parts:
        report["p4"] = p4_growth(url, (1, 10) if args.without_100
                                 else (1, 10, 100))
    if "p5" in parts:
        report["p5"] = p5_import(url)
    if "p6" in parts:
        report["p6"] = p6_cluster(url)
    if "p7" in parts:
        report["p7"] = p7_refresh(url)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench.json").write_text(json.dumps(report, indent=2,
                                               default=str))
    text = _table(report)
    (OUT / "bench.txt").write_text(text + "\n")
    print(text)
    return 0


