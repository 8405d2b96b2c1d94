"""The reuse fingerprint: what a notebook's output depends on, and only
that (the command line and the benchmark never run in a kernel)."""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT
from datagen import server
from datagen.publish.reuse import code_fingerprint, notebook_inputs


@pytest.fixture
def project(tmp_path):
    """A copy of the code the fingerprint reads."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "datagen", root / "datagen",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "sql", root / "sql")
    shutil.copy2(ROOT / "requirements.txt", root / "requirements.txt")
    return root


def changed(project, path: str, warehouse_only: bool = False) -> bool:
    before = code_fingerprint(project, warehouse_only=warehouse_only)
    target = project / path
    target.write_text(target.read_text() + "\n# changed\n")
    return code_fingerprint(project, warehouse_only=warehouse_only) != before


@pytest.mark.parametrize("path", [
    "requirements.txt", "sql/022_vw_daily_revenue.sql",
    "sql/citus/039_int_product_pairs.sql",
    "datagen/generate/planted.py", "datagen/warehouse/views.py",
    "datagen/params.py", "datagen/ingest/mappings/online-retail.toml"])
def test_what_a_kernel_runs_reruns_every_notebook(project, path):
    assert changed(project, path)
    assert changed(project, path, warehouse_only=True)


@pytest.mark.parametrize("path", ["datagen/bench/__init__.py",
                                  "datagen/bench/p1_load.py", "datagen/cli.py",
                                  "datagen/__main__.py"])
def test_the_command_line_and_the_benchmark_rerun_nothing(project, path):
    assert not changed(project, path)


@pytest.mark.parametrize("path", ["datagen/chapters/formats.py",
                                  "datagen/publish/notebooks.py"])
def test_chapter_code_reruns_the_chapters_not_the_build(project, path):
    assert not changed(project, path, warehouse_only=True)
    assert changed(project, path)


def test_an_import_reruns_when_its_files_change_in_place(tmp_path):
    """The same source and mapping names with new contents are new inputs
    of the warehouse notebook (its parameters alone would not tell)."""
    notebook = ROOT / "book" / "00_build_warehouse.ipynb"
    source, mapping = tmp_path / "orders.csv", tmp_path / "shop.toml"
    source.write_text("order,sku\n1,A\n")
    mapping.write_text((ROOT / "datagen/ingest/mappings/online-retail.toml"
                        ).read_text())
    parameters = {"source": str(source), "mapping": str(mapping)}

    def inputs():
        return notebook_inputs(notebook, parameters, "postgresql://x/y",
                               None, ROOT)
    first = inputs()
    assert inputs() == first
    source.write_text("order,sku\n1,B\n")
    second = inputs()
    assert second != first
    mapping.write_text(mapping.read_text() + "\n# changed\n")
    assert inputs() != second


def test_a_refresh_changes_the_stamp_and_is_told_from_a_rebuild(pg_url):
    """The chapters' warehouse stamp changes with a refresh (end date,
    refreshed_from, refreshed_at), and ``refreshed_since`` tells the
    warehouse the notebook built, brought forward, from a new build."""
    import datetime as dt

    from datagen.params import parse_params
    from datagen.publish.reuse import refreshed_since, warehouse_stamp
    from datagen.warehouse.build import build
    from datagen.warehouse.refresh import refresh

    def params(end):
        return parse_params(dict(seed=5, scale=0.3, start_date="2025-06-01",
                                 end_date=end, schema="reuse_refresh"))
    quiet = lambda line: None  # noqa: E731
    assert warehouse_stamp(pg_url, "reuse_refresh") is None
    build(params("2025-06-29"), url=pg_url, echo=quiet)
    built = warehouse_stamp(pg_url, "reuse_refresh")
    later = dt.date(2025, 7, 2)
    assert not refreshed_since(built, built, later)
    refresh("reuse_refresh", later, url=pg_url, echo=quiet)
    refreshed = warehouse_stamp(pg_url, "reuse_refresh")
    assert refreshed != built
    assert refreshed_since(built, refreshed, later)
    assert not refreshed_since(built, refreshed, dt.date(2025, 7, 3))
    assert not refreshed_since(refreshed, built, dt.date(2025, 6, 29))
    build(params("2025-07-02"), url=pg_url, echo=quiet)  # a new build
    rebuilt = warehouse_stamp(pg_url, "reuse_refresh")
    assert rebuilt not in (built, refreshed)
    assert not refreshed_since(built, rebuilt, later)
    with server.connect(pg_url) as conn:
        conn.execute("drop schema reuse_refresh cascade")
        conn.execute("drop schema if exists reuse_refresh_truth cascade")
