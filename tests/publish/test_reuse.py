"""The reuse fingerprint: what a notebook's output depends on, and only
that (the command line and the benchmark never run in a kernel)."""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT
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
    "datagen/generate/planted.py", "datagen/warehouse/views.py",
    "datagen/params.py", "datagen/ingest/mappings/online-retail.toml"])
def test_what_a_kernel_runs_reruns_every_notebook(project, path):
    assert changed(project, path)
    assert changed(project, path, warehouse_only=True)


@pytest.mark.parametrize("path", ["datagen/bench.py", "datagen/cli.py",
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
