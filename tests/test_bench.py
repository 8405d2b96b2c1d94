"""The benchmark (``datagen/bench/``): each figure a module that runs, prints
its part of the table and drops what it built.

The figures' numbers are not checked (speed is shown by ``make bench``,
not by timed tests); that they run is, at the tiny scale of ``--quick``.
"""

from __future__ import annotations

import json

import psycopg
import pytest

from datagen import bench


def test_every_figure_is_a_module_with_a_run_and_its_lines():
    for name in bench.FIGURES:
        module = bench.figure(name)
        assert module.TITLE.startswith(name.upper() + " ")
        assert callable(module.run) and callable(module.lines)


@pytest.mark.process  # P4 builds in processes of their own
def test_quick_figures_run_print_and_leave_no_schema(pg_url, tmp_path,
                                                     monkeypatch):
    """P1, P3, P4, P7 and P8 at ``--quick`` scale on the suite's server (P2
    builds a book, P5 reads the real export, P6 starts a cluster: their
    own tiers' work, left to ``make bench --quick``)."""
    monkeypatch.setattr(bench, "OUT", tmp_path)
    assert bench.main(["--quick", "--only", "p1", "p3", "p4", "p7",
                       "p8"]) == 0
    text = (tmp_path / "quick.txt").read_text()
    for title in ("P1 load speed", "P3 chapter queries",
                  "P4 memory and growth", "P7 refresh", "P8 generator"):
        assert title in text
    report = json.loads((tmp_path / "quick.json").read_text())
    assert report["quick"] is True
    assert bench.table(report) + "\n" == text  # the table is its JSON's
    assert report["p1"]["rows"]["fact_order_item"] > 0
    # the whole build holds its load step, and more than a raw COPY
    seconds = report["p1"]["seconds"]
    assert all(whole > load for whole, load
               in zip(seconds["whole"], seconds["build"], strict=True))
    assert report["p1"]["whole_build_vs_raw_copy"] > 1
    assert report["p7"]["one_day_rows"]["orders"] > 0
    # both generators made rows, in about the same number
    p8 = report["p8"]
    assert p8["rows"] > 0 and p8["dbgen_rows"] > 0 and p8["ratio"] > 0
    assert set(p8["steps"]) == {"generate dimensions",
                                "generate order timing",
                                "generate orders and lines"}
    with psycopg.connect(pg_url) as conn:
        left = conn.execute("select nspname from pg_namespace where "
                            "nspname like 'bench%' order by 1").fetchall()
    assert left == []


def test_p8_without_duckdb_is_skipped_with_the_reason(monkeypatch):
    """Installed without the bench extra, P8 says what is missing in one
    line instead of failing in a child process."""
    p8 = bench.figure("p8")
    monkeypatch.setattr(p8, "DBGEN_PACKAGES",
                        ("duckdb", "duckdb_no_such_extension"))
    result = p8.run("postgresql://unused")
    assert result == {"skipped": "duckdb_no_such_extension not installed "
                                 "(pip install '.[bench]')"}
    assert bench.table({"machine": "m", "p8": result}).splitlines()[-1] == (
        "P8 generator: skipped (duckdb_no_such_extension not installed "
        "(pip install '.[bench]'))")

