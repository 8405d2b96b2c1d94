"""The book: run the chapter notebooks with papermill, then jupyter-book.

Owns ``make book`` after set-up. Every notebook under ``book/`` runs in name
order with the build parameters injected into its ``parameters`` cell; the
executed copies and the site are written under ``_build/``, never into the
sources. The site is built in a staging folder and swapped into
``_build/html`` only when complete, so a failing chapter leaves the previous
site in place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import db
from .params import BuildParams

BOOK_SOURCES = ("_config.yml", "_toc.yml", "book")
BUILD_DIR = db.PROJECT_ROOT / "_build"


class ChapterFailed(RuntimeError):
    """A notebook raised; the message names it and the error."""


def notebooks(root: Path = db.PROJECT_ROOT) -> list[Path]:
    return sorted((root / "book").glob("*.ipynb"))


def notebook_parameters(params: BuildParams) -> dict:
    return params.as_dict()


def run_notebook(source: Path, target: Path, parameters: dict) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError
    try:
        papermill.execute_notebook(
            str(source), str(target), parameters=parameters,
            kernel_name="python3", progress_bar=False,
            cwd=str(target.parent))
    except PapermillExecutionError as error:
        raise ChapterFailed(
            f"chapter {source.name} failed in cell {error.exec_count}: "
            f"{error.ename}: {error.evalue}") from None


def plotly_js() -> Path:
    import plotly
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def build_book(params: BuildParams, out: Path = BUILD_DIR,
               echo=lambda line: print(line, file=sys.stderr, flush=True)
               ) -> Path:
    """Execute every chapter and build the site; returns ``out/html``."""
    os.environ["DATABASE_URL"] = db.database_url()  # one server for all
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(db.PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    staging = out / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in BOOK_SOURCES:
        source = db.PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, staging / name, ignore=shutil.ignore_patterns(
                "*.ipynb", ".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, staging / name)
    (staging / "_static").mkdir(exist_ok=True)
    shutil.copy2(plotly_js(), staging / "_static" / "plotly.min.js")

    parameters = notebook_parameters(params)
    for notebook in notebooks():
        started = time.perf_counter()
        run_notebook(notebook, staging / "book" / notebook.name, parameters)
        echo(f"  ran {notebook.name:<36} {time.perf_counter() - started:6.1f} s")

    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build",
         str(staging), "--quiet"], capture_output=True, text=True)
    if result.returncode != 0:
        raise ChapterFailed("jupyter-book build failed: "
                            + (result.stderr or result.stdout).strip()[-2000:])
    echo(f"  built the site                       "
         f"{time.perf_counter() - started:6.1f} s")

    html = out / "html"
    previous = out / "html.previous"
    shutil.rmtree(previous, ignore_errors=True)
    if html.exists():
        html.rename(previous)
    (staging / "_build" / "html").rename(html)
    shutil.rmtree(previous, ignore_errors=True)
    return html
