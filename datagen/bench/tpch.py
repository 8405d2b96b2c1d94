"""DuckDB's TPC-H dbgen, the yardstick of P8, in a process of its own:
``python -m datagen.bench.tpch SF``.

Owns running ``CALL dbgen(sf = SF)`` once in a new in-memory DuckDB on one
thread (``THREADS``: its faster setting here; with DuckDB's default of one
per core it took 7-10% longer, 2026-12-07) and no progress bar, the tpch
extension loaded from the ``duckdb-extension-tpch`` wheel (no download:
this machine reaches no extension server). It prints one JSON line: the
seconds of the call (the import and the extension's load excluded), its
CPU seconds and the rows of the eight tables it made.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
import time

import duckdb

#: the eight tables of TPC-H
TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp",
          "orders", "lineitem")
#: rows of all eight at scale factor 1
ROWS_AT_SF1 = 8_661_245
THREADS = 1


def extension() -> str:
    """The path of the tpch extension for this DuckDB, from its wheel."""
    folder = (importlib.resources.files("duckdb_extension_tpch")
              / "extensions" / f"v{duckdb.__version__}")
    return str(folder / "tpch.duckdb_extension")


def main(argv: list[str]) -> int:
    sf = float(argv[0])
    conn = duckdb.connect(config={"threads": THREADS})
    conn.execute("set enable_progress_bar = false")
    conn.load_extension(extension())
    cpu, started = time.process_time(), time.perf_counter()
    conn.execute("call dbgen(sf = ?)", [sf])
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    rows = sum(conn.table(table).aggregate("count(*)").fetchone()[0]
               for table in TABLES)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds,
                      "rows": rows, "sf": sf,
                      "duckdb": duckdb.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
