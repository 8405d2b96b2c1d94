"""``make bench``: the product's own speed and memory figures, in one run.

Owns the benchmark's command line (``python -m datagen bench``, which
``cli`` hands to ``main``) and its report: every figure is measured on this
machine and this server in the same run, and printed as a table on stdout
and written with its JSON under ``_build/bench/``. Each figure is a module
of its own that calls the entry points the command line calls (``build``,
``build`` with an import's ``Source``, ``refresh``, ``datagen book``,
``cluster.start``) and reads the product's own times from what they report;
what lies outside the product, the yardsticks, is in ``baselines``:

- P1 ``p1_load``: the build's load of the fact tables at scale 20 against
  a raw COPY of the same rows from memory and one INSERT per row;
- P2 ``p2_book``: the book from an empty output folder and again
  unchanged, and what printing the PDFs adds;
- P3 ``p3_queries``: each ``%%sql`` cell of the chapters at scale 20,
  and each chapter of the book at scale 20 against its time at scale 1;
- P4 ``p4_growth``: peak memory and time per order of a whole build at
  scales 1, 10 and 100, each in its own process, and beyond the fixed
  cost of a build;
- P5 ``p5_import``: a whole import of the real UCI Online Retail file
  against a raw COPY of its lines, the file repeated for memory, and a
  made-up export of four joined files at 0.5 and 2 million lines
  (``exports``) whose memory stays flat;
- P6 ``p6_cluster``: the build and the chapter queries on one node and on
  a Citus cluster of this machine;
- P7 ``p7_refresh``: a one-day refresh against a whole build as of the
  same day, and a one-month refresh;
- P8 ``p8_generator``: the generator's own steps in a build (drawing and
  the COPY bytes) against DuckDB's TPC-H dbgen, in rows per second, side
  by side.

``--quick`` runs every figure at a tiny scale (a few minutes in all), to
show that each still runs; its table goes to ``quick.txt``, not over the
last full run's ``bench.txt``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json

from .. import server
from .measure import OUT, machine

#: each figure and its module
FIGURES = {"p1": "p1_load", "p2": "p2_book", "p3": "p3_queries",
           "p4": "p4_growth", "p5": "p5_import", "p6": "p6_cluster",
           "p7": "p7_refresh", "p8": "p8_generator"}


def figure(name: str):
    """The module of figure ``name`` (``p1``): ``run``, ``lines``, ``TITLE``."""
    return importlib.import_module(f"{__name__}.{FIGURES[name]}")


def table(report: dict) -> str:
    """The report as the table ``make bench`` prints."""
    found = [f"machine: {report['machine']}"]
    for name in FIGURES:
        result = report.get(name)
        if result is None:
            continue
        module = figure(name)
        found += ([f"{module.TITLE}: skipped ({result['skipped']})"]
                  if "skipped" in result else module.lines(result))
    return "\n".join(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="datagen bench")
    parser.add_argument("--only", nargs="*", choices=list(FIGURES),
                        help="run only these parts")
    parser.add_argument("--without-100", action="store_true",
                        help="P4 at scales 1 and 10 only (scale 100 takes "
                        "about 2 minutes here)")
    parser.add_argument("--quick", action="store_true",
                        help="every figure at a tiny scale, to check that "
                        "it runs (a few minutes; written to quick.txt)")
    args = parser.parse_args(argv)
    parts = args.only or list(FIGURES)
    url = server.database_url()
    report = {"machine": machine(), "quick": args.quick,
              "measured_at": dt.datetime.now().isoformat(timespec="seconds")}
    for name in FIGURES:
        if name not in parts:
            continue
        module = figure(name)
        options = ({"scales": module.WITHOUT_100}
                   if name == "p4" and args.without_100 else {})
        report[name] = module.run(url, quick=args.quick, **options)
    OUT.mkdir(parents=True, exist_ok=True)
    stem = "quick" if args.quick else "bench"
    (OUT / f"{stem}.json").write_text(json.dumps(report, indent=2,
                                                 default=str))
    text = table(report)
    (OUT / f"{stem}.txt").write_text(text + "\n")
    print(text)
    return 0
