"""P1 load speed: the build's load of the fact tables, against a raw COPY
of the same rows from memory and against one INSERT per row.

Owns figure P1. Each of ``ROUNDS`` rounds is a whole ``build`` at the
figure's scale (what ``datagen build`` runs), and then each baseline, in
turn; medians are reported. The build's own time comes from its report
(``BuildReport.seconds``): ``LOAD_STEP``, in which one thread draws and
encodes the blocks of orders and lines while a session per fact table
copies them in (binary, frozen), and ``GENERATE_STEP``, the drawing and
encoding alone. The baselines (``baselines``) copy the very rows that
build stored, read back from it into memory: in binary and frozen, a
session per table at once as the build does, and as CSV; and one INSERT
per row through psycopg2 on a sample of the line items.

Since the build copies both fact tables at once and reports the step as a
whole, P1 counts the rows of both (orders and line items); before it
drove the load itself and copied the line items alone. It also prints
the whole build's time (``BuildReport.total_seconds``: generating,
loading, keys, views, gate, vacuum, swap) against the raw binary COPY of
its fact rows, the ratio that issue 26's fifth target bounds.
"""

from __future__ import annotations

from ..params import parse_params
from ..warehouse.build import build
from . import baselines
from .measure import drop_family, median, quiet, row

TITLE = "P1 load speed"
SCALE, QUICK_SCALE = 20, 0.1
ROUNDS = 3
SCHEMA = "bench_load"
FACTS = ("fact_order", "fact_order_item")
#: the build's steps, as ``build`` names them in its report
LOAD_STEP = "orders and lines (overlapped)"
GENERATE_STEP = "generate orders and lines"
#: line items loaded one INSERT at a time
NAIVE_SAMPLE = 20_000


def run(url: str, quick: bool = False) -> dict:
    scale = QUICK_SCALE if quick else SCALE
    params = parse_params(dict(scale=scale, schema=SCHEMA))
    times: dict[str, list[float]] = {"build": [], "raw": [], "raw_csv": []}
    generate_s: list[float] = []
    whole_s: list[float] = []
    streams = rows = None
    try:
        for _ in range(ROUNDS):
            report = build(params, url=url, echo=quiet)
            times["build"].append(report.seconds[LOAD_STEP])
            generate_s.append(report.seconds[GENERATE_STEP])
            whole_s.append(report.total_seconds)
            if streams is None:
                rows = {table: report.rows[table] for table in FACTS}
                streams = {fmt: baselines.read_tables(url, SCHEMA, FACTS, fmt)
                           for fmt in ("binary", "csv")}
                columns, sample = baselines.sample_rows(
                    url, SCHEMA, "fact_order_item", NAIVE_SAMPLE)
                baselines.empty_tables(url, SCHEMA, FACTS)
            times["raw"].append(baselines.copy_tables(
                url, streams["binary"], "binary"))
            times["raw_csv"].append(baselines.copy_tables(
                url, streams["csv"], "csv"))
        del streams
        naive_s = baselines.insert_per_row(url, "fact_order_item", columns,
                                           sample)
    finally:
        drop_family(url, SCHEMA)
        baselines.drop(url)
    total = sum(rows.values())
    per_s = {name: total / median(seconds) for name, seconds in times.items()}
    result = {
        "scale": scale, "rows": rows, "rounds": ROUNDS,
        "build_load_rows_per_s": per_s["build"],
        "generate_only_rows_per_s": total / median(generate_s),
        "raw_copy_rows_per_s": per_s["raw"],
        "raw_copy_csv_rows_per_s": per_s["raw_csv"],
        "naive_insert_rows_per_s": len(sample) / naive_s,
        "naive_sample": len(sample),
        "seconds": {**times, "generate": generate_s, "whole": whole_s},
        "whole_build_s": median(whole_s),
        "raw_copy_s": median(times["raw"]),
    }
    result["whole_build_vs_raw_copy"] = (result["whole_build_s"]
                                         / result["raw_copy_s"])
    result["ratio_vs_raw_copy"] = (result["build_load_rows_per_s"]
                                   / result["raw_copy_rows_per_s"])
    result["ratio_vs_naive_insert"] = (result["build_load_rows_per_s"]
                                       / result["naive_insert_rows_per_s"])
    result["raw_copy_vs_naive_insert"] = (result["raw_copy_rows_per_s"]
                                          / result["naive_insert_rows_per_s"])
    return result


def lines(p1: dict) -> list[str]:
    rows = p1["rows"]

    def rate(key: str) -> str:
        return f"{p1[key]:>12,.0f} rows/s"

    return [
        f"{TITLE}, the fact tables at scale {p1['scale']:g} "
        f"({rows['fact_order']:,} orders + {rows['fact_order_item']:,} "
        "line items)",
        row("the build's load step (draw + COPY, binary)",
            rate("build_load_rows_per_s")),
        row("drawing and encoding alone (one thread)",
            rate("generate_only_rows_per_s")),
        row("raw COPY of the same rows from memory",
            rate("raw_copy_rows_per_s")),
        row("raw COPY of the same rows as CSV, unfrozen",
            rate("raw_copy_csv_rows_per_s")),
        row(f"INSERT per row ({p1['naive_sample']:,} line items)",
            rate("naive_insert_rows_per_s")),
        row("ratio vs raw COPY", f"{p1['ratio_vs_raw_copy']:>12.2f}",
            "(target >= 0.7)"),
        row("ratio vs INSERT per row",
            f"{p1['ratio_vs_naive_insert']:>12.0f}", "(target >= 200)"),
        row("(raw COPY itself vs INSERT per row",
            f"{p1['raw_copy_vs_naive_insert']:>12.0f})"),
        row("the whole build (draw, load, keys, views, gate)",
            f"{p1['whole_build_s']:>12.1f} s",
            f"{p1['whole_build_vs_raw_copy']:.1f}x the raw COPY's "
            f"{p1['raw_copy_s']:.2f} s (target <= 6x)"),
        f"  medians of {p1['rounds']} rounds, each a whole build and then "
        "each baseline, in turn"]
