"""P8 generator: the generator alone against DuckDB's TPC-H dbgen, in rows
per second, side by side.

Owns figure P8 (issue 26's sixth target: the generator at least as fast as
dbgen on this machine). Each of ``ROUNDS`` rounds runs, each in a fresh
process of its own and in turn, the generator at the figure's scale
(``draw``: dimensions, the orders' timing, every block drawn and encoded
as the load's binary COPY bytes, one thread) and ``CALL dbgen`` (``tpch``,
on one thread, its faster setting here) at the scale factor that makes
about as many rows. Each side's time is its own work, imports excluded;
medians are reported, with the CPU seconds each side spent.

The column types the COPY bytes are encoded for are read from the
warehouse's own DDL (``sql/001_tables.sql``), created in a scratch schema
and dropped again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .. import server
from ..warehouse import copy_binary, schemas, sql_files
from .measure import median, median_run, row
from .tpch import ROWS_AT_SF1

TITLE = "P8 generator"
SCALE, QUICK_SCALE = 20, 0.1
ROUNDS, QUICK_ROUNDS = 3, 1
SCHEMA = "bench_generator"
FACTS = ("fact_order", "fact_order_item")
#: dbgen's smallest scale factor here
LEAST_SF = 0.01


def run(url: str, quick: bool = False) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    types = column_types(url)
    ours, theirs = [], []
    sf = None
    for _ in range(QUICK_ROUNDS if quick else ROUNDS):
        ours.append(_process("datagen.bench.draw",
                             json.dumps({"scale": scale, "types": types})))
        if sf is None:
            sf = max(LEAST_SF, round(ours[0]["rows"] / ROWS_AT_SF1, 2))
        theirs.append(_process("datagen.bench.tpch", str(sf)))
    result = {"scale": scale, "sf": sf, "rounds": len(ours),
              "rows": ours[0]["rows"], "dbgen_rows": theirs[0]["rows"],
              "duckdb": theirs[0]["duckdb"],
              "seconds": [r["seconds"] for r in ours],
              "dbgen_seconds": [r["seconds"] for r in theirs],
              "cpu_seconds": median(r["cpu_seconds"] for r in ours),
              "dbgen_cpu_seconds": median(r["cpu_seconds"] for r in theirs),
              "steps": median_run(ours)["steps"]}
    result["rows_per_s"] = result["rows"] / median(result["seconds"])
    result["dbgen_rows_per_s"] = (result["dbgen_rows"]
                                  / median(result["dbgen_seconds"]))
    result["ratio"] = result["rows_per_s"] / result["dbgen_rows_per_s"]
    return result


def column_types(url: str) -> dict[str, dict[str, str]]:
    """The fact tables' column types, from the warehouse's own DDL."""
    with server.connect(url, autocommit=True) as conn:
        schemas.drop_schema(conn, SCHEMA)
        schemas.create_schema(conn, SCHEMA)
        try:
            sql_files.run_sql(conn, SCHEMA, "001_tables.sql")
            return {table: copy_binary.column_types(conn, SCHEMA, table)
                    for table in FACTS}
        finally:
            schemas.drop_schema(conn, SCHEMA)


def _process(module: str, argument: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", module, argument], cwd=server.PROJECT_ROOT,
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(server.PROJECT_ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def lines(p8: dict) -> list[str]:
    steps = ", ".join(f"{name} {seconds:.2f} s"
                      for name, seconds in p8["steps"].items())
    return [
        f"{TITLE}, scale {p8['scale']:g} against dbgen at scale factor "
        f"{p8['sf']:g} (DuckDB {p8['duckdb']}, one thread)",
        row(f"the generator ({p8['rows']:,} rows, one thread)",
            f"{p8['rows_per_s']:>12,.0f} rows/s",
            f"{median(p8['seconds']):.2f} s, CPU {p8['cpu_seconds']:.2f} s"),
        row(f"dbgen ({p8['dbgen_rows']:,} rows)",
            f"{p8['dbgen_rows_per_s']:>12,.0f} rows/s",
            f"{median(p8['dbgen_seconds']):.2f} s, CPU "
            f"{p8['dbgen_cpu_seconds']:.2f} s"),
        row("ratio", f"{p8['ratio']:>12.2f}", "(target >= 1)"),
        f"  the generator's steps: {steps}",
        f"  medians of {p8['rounds']} rounds, each side in a process of its "
        "own, in turn"]
