"""P8 generator: the generator's own time in a build against DuckDB's
TPC-H dbgen, in rows per second, side by side.

Owns figure P8 (issue 26's sixth target: the generator at least as fast as
dbgen on this machine). Each of ``ROUNDS`` rounds runs, each in a fresh
process of its own and in turn, a whole build at the figure's scale
(``probe``, what ``datagen build`` runs) and ``CALL dbgen`` (``tpch``, on
one thread, its faster setting here) at the scale factor that makes about
as many rows. The generator's time is what the build reports for its
generator steps (``GENERATOR_STEPS``): drawing the dimensions, timing the
orders, and drawing every block of orders and lines and encoding it as the
load's binary COPY bytes, on the one thread that feeds the load (the time
it waits for the copies is not counted; the copies' sessions share the
machine's cores with it all the while). Its rows are every row those steps
make: the dimensions and both fact tables. Medians are reported.
"""

from __future__ import annotations

import importlib.util

from .measure import (
    drop_family,
    in_own_process,
    median,
    median_run,
    own_process,
    row,
)
from .tpch import ROWS_AT_SF1

TITLE = "P8 generator"
SCALE, QUICK_SCALE = 20, 0.1
ROUNDS, QUICK_ROUNDS = 3, 1
SCHEMA = "bench_generator"
#: the build's steps that are the generator's (``build`` names them)
GENERATOR_STEPS = ("generate dimensions", "generate order timing",
                   "generate orders and lines")
#: the tables those steps make
TABLES = ("dim_date", "dim_channel", "dim_customer", "dim_customer_history",
          "dim_product", "fact_order", "fact_order_item")
#: dbgen's smallest scale factor here
LEAST_SF = 0.01
#: what dbgen needs here: the bench extra (pyproject.toml) installs both
DBGEN_PACKAGES = ("duckdb", "duckdb_extension_tpch")


def run(url: str, quick: bool = False) -> dict:
    missing = [name for name in DBGEN_PACKAGES
               if importlib.util.find_spec(name) is None]
    if missing:
        return {"skipped": f"{', '.join(missing)} not installed (pip "
                "install '.[bench]')"}
    scale = QUICK_SCALE if quick else SCALE
    ours, theirs = [], []
    sf = None
    try:
        for _ in range(QUICK_ROUNDS if quick else ROUNDS):
            built = in_own_process(url, {"scale": scale, "schema": SCHEMA})
            ours.append({"seconds": sum(built["steps"][step]
                                        for step in GENERATOR_STEPS),
                         "steps": {step: built["steps"][step]
                                   for step in GENERATOR_STEPS},
                         "rows": sum(built["rows"][t] for t in TABLES)})
            if sf is None:
                sf = max(LEAST_SF, round(ours[0]["rows"] / ROWS_AT_SF1, 2))
            theirs.append(own_process("datagen.bench.tpch", str(sf)))
    finally:
        drop_family(url, SCHEMA)
    result = {"scale": scale, "sf": sf, "rounds": len(ours),
              "rows": ours[0]["rows"], "dbgen_rows": theirs[0]["rows"],
              "duckdb": theirs[0]["duckdb"],
              "seconds": [r["seconds"] for r in ours],
              "dbgen_seconds": [r["seconds"] for r in theirs],
              "dbgen_cpu_seconds": median(r["cpu_seconds"] for r in theirs),
              "steps": median_run(ours)["steps"]}
    result["rows_per_s"] = result["rows"] / median(result["seconds"])
    result["dbgen_rows_per_s"] = (result["dbgen_rows"]
                                  / median(result["dbgen_seconds"]))
    result["ratio"] = result["rows_per_s"] / result["dbgen_rows_per_s"]
    return result


def lines(p8: dict) -> list[str]:
    steps = ", ".join(f"{name.removeprefix('generate ')} {seconds:.2f} s"
                      for name, seconds in p8["steps"].items())
    return [
        f"{TITLE}, scale {p8['scale']:g} against dbgen at scale factor "
        f"{p8['sf']:g} (DuckDB {p8['duckdb']}, one thread)",
        row(f"the generator in a build ({p8['rows']:,} rows)",
            f"{p8['rows_per_s']:>12,.0f} rows/s",
            f"{median(p8['seconds']):.2f} s"),
        row(f"dbgen ({p8['dbgen_rows']:,} rows)",
            f"{p8['dbgen_rows_per_s']:>12,.0f} rows/s",
            f"{median(p8['dbgen_seconds']):.2f} s, CPU "
            f"{p8['dbgen_cpu_seconds']:.2f} s"),
        row("ratio", f"{p8['ratio']:>12.2f}", "(target >= 1)"),
        f"  the generator's steps: {steps} (drawn and encoded as COPY "
        "bytes)",
        f"  medians of {p8['rounds']} rounds, each side in a process of its "
        "own, in turn"]
