"""The book: run the chapter notebooks with papermill, then jupyter-book.

Owns ``make book`` after set-up. Every notebook under ``book/`` runs in name
order with the build parameters injected into its ``parameters`` cell; the
executed copies and the site are written under the output folder
(``_build/`` by default), never into the sources. The site is built in a
staging folder and swapped into ``<out>/html`` only when complete, so a
failing chapter leaves the previous site in place.

A second run executes only the notebooks whose inputs changed. The inputs of
a notebook are its source, the parameters, the database it talks to, the
code of the ``datagen`` package and ``sql/`` (for the warehouse notebook,
without the modules only the chapters use), and for the chapters the stamp
of the warehouse they read: ``build_info`` with its ``built_at``. The warehouse notebooks (``00_*``) write that stamp; one is
reused only when the warehouse in the database is still the one it built.
Their fingerprints are kept in ``<out>/executed/manifest.json`` beside the
executed notebooks.

The warehouse notebooks run first, one by one; the chapters, which only read
the warehouse, then run several at a time (``BOOK_WORKERS``, default: the
number of cores, at most 4). A failing chapter stops the build with the
failing cell's source and error, and is kept in ``<out>/failed/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from . import db
from .params import BuildParams

BOOK_SOURCES = ("_config.yml", "_toc.yml", "book")
BUILD_DIR = db.PROJECT_ROOT / "_build"
#: notebooks that (re)build the warehouse rather than read it
WAREHOUSE_PREFIX = "00_"
#: code whose change re-runs every notebook
CODE_GLOBS = ("datagen/*.py", "sql/*.sql")
#: modules that only the chapters use: a change re-runs them, not the build
BOOK_MODULES = ("datagen/report.py", "datagen/analysis.py", "datagen/chain.py")
MANIFEST_VERSION = 1
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ChapterFailed(RuntimeError):
    """A notebook raised; the message names it and the error."""


def notebooks(root: Path = db.PROJECT_ROOT) -> list[Path]:
    return sorted((root / "book").glob("*.ipynb"))


def notebook_parameters(params: BuildParams) -> dict:
    return params.as_dict()


def _digest(*parts) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, bytes) else
                   json.dumps(part, sort_keys=True, default=str).encode())
        sha.update(b"\0")
    return sha.hexdigest()


def code_fingerprint(root: Path = db.PROJECT_ROOT,
                     warehouse_only: bool = False) -> str:
    """One digest of the package's and the SQL files' contents.

    ``warehouse_only``: without the modules that only the chapters use.
    """
    files = sorted(p for pattern in CODE_GLOBS for p in root.glob(pattern)
                   if not (warehouse_only and str(p.relative_to(root))
                           in BOOK_MODULES))
    return _digest(*[(str(p.relative_to(root)), p.read_bytes().hex())
                     for p in files])


def warehouse_stamp(url: str, schema: str) -> str | None:
    """What identifies the warehouse in ``schema``: its ``build_info`` row.

    None when there is no warehouse (no schema, no table, no row).
    """
    from psycopg import sql
    try:
        with db.connect(url) as conn:
            row = conn.execute(sql.SQL(
                "select seed, scale, start_date, end_date, generator_version, "
                "built_at from {}.build_info").format(
                    sql.Identifier(schema))).fetchall()
    except Exception:  # noqa: BLE001 - missing schema/table: no warehouse
        return None
    return json.dumps([list(r) for r in row], default=str) if row else None


def notebook_inputs(notebook: Path, parameters: dict, url: str,
                    stamp: str | None, root: Path = db.PROJECT_ROOT) -> str:
    """The fingerprint of everything a notebook's output depends on."""
    builds = notebook.name.startswith(WAREHOUSE_PREFIX)
    return _digest(MANIFEST_VERSION, notebook.read_bytes(), parameters,
                   db.redact(url), code_fingerprint(root, warehouse_only=builds),
                   None if builds else stamp)


def _failed_cell(error) -> str:
    """The failing cell's first lines and its error, without colour."""
    source = (getattr(error, "source", "") or "").strip().splitlines()
    shown = source[:6] + (["..."] if len(source) > 6 else [])
    lines = [f"  cell {error.exec_count}:"]
    lines += [f"    {line}" for line in shown]
    lines += [f"  {error.ename}: " + ANSI.sub("", str(error.evalue)).strip()
              .replace("\n", "\n    ")]
    return "\n".join(lines)


def run_notebook(source: Path, target: Path, parameters: dict) -> None:
    """Execute ``source`` into ``target``; ``ChapterFailed`` if a cell fails."""
    import papermill
    from papermill.exceptions import PapermillExecutionError
    try:
        # no cwd=: papermill would chdir the whole process, which is not
        # safe with chapters running in threads (the kernels need none)
        papermill.execute_notebook(
            str(source), str(target), parameters=parameters,
            kernel_name="python3", progress_bar=False, log_output=False,
            # the kernels' own log: errors only (not a warning per kernel
            # that it talks over local TCP)
            extra_arguments=["--log-level=ERROR"])
    except PapermillExecutionError as error:
        raise ChapterFailed(
            f"chapter {source.name} failed in cell {error.exec_count} "
            f"({error.ename}):\n{_failed_cell(error)}") from None
    _hide_parameter_cells(target)


def _hide_parameter_cells(path: Path) -> None:
    """Keep the parameter cells out of the page (they stay in the notebook).

    The page banner states the parameters; the executed notebook (download
    button of the page) keeps both cells for a reader who reruns it.
    """
    import nbformat
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, str(path))


def plotly_js() -> Path:
    import plotly
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _stage_sources(staging: Path, root: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in BOOK_SOURCES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, staging / name, ignore=shutil.ignore_patterns(
                "*.ipynb", ".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, staging / name)
    (staging / "_static").mkdir(exist_ok=True)
    shutil.copy2(plotly_js(), staging / "_static" / "plotly.min.js")


def _load_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def workers() -> int:
    """Chapters executed at once (``BOOK_WORKERS``; default: the cores, at
    most 4)."""
    value = os.environ.get("BOOK_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, min(4, os.cpu_count() or 1))


def _run_parallel(jobs, execute, done, count: int) -> None:
    """Execute ``(notebook, inputs)`` jobs, ``count`` at a time.

    ``done`` runs in this thread as each job finishes. On a failure the jobs
    not started are dropped, the running ones finish, and the failure of
    the first notebook (by name) is raised.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
    failures: dict[str, ChapterFailed] = {}
    with ThreadPoolExecutor(max_workers=count) as pool:
        pending = {pool.submit(execute, notebook): (notebook, inputs)
                   for notebook, inputs in jobs}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                notebook, inputs = pending.pop(future)
                try:
                    seconds = future.result()
                except ChapterFailed as error:
                    failures[notebook.name] = error
                    for other in pending:
                        other.cancel()
                    continue
                if not failures:
                    done(notebook, inputs, seconds)
            pending = {f: job for f, job in pending.items()
                       if not f.cancelled()}
    if failures:
        raise failures[min(failures)]


def _keep_failed(error: ChapterFailed, staging: Path, failed: Path
                 ) -> ChapterFailed:
    """Keep the failed notebook for a look; say where it is."""
    match = re.match(r"chapter (\S+\.ipynb)", str(error))
    target = staging / "book" / match[1] if match else None
    if target is None or not target.exists():
        return error
    failed.mkdir(parents=True, exist_ok=True)
    shutil.copy2(target, failed / target.name)
    return ChapterFailed(f"{error}\n  (the executed notebook is in "
                         f"{failed / target.name}; the previous site is "
                         "unchanged)")


def build_book(params: BuildParams, out: Path = BUILD_DIR,
               echo: Callable[[str], None] =
               lambda line: print(line, file=sys.stderr, flush=True),
               root: Path = db.PROJECT_ROOT) -> Path:
    """Execute the chapters that need it and build the site; returns
    ``out/html``."""
    out = Path(out)
    url = db.database_url()
    os.environ["DATABASE_URL"] = url  # one server for every notebook
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    staging = out / "staging"
    executed = out / "executed"
    failed = out / "failed"
    executed.mkdir(parents=True, exist_ok=True)
    _stage_sources(staging, root)

    manifest_path = executed / "manifest.json"
    manifest = _load_manifest(manifest_path)
    parameters = notebook_parameters(params)

    def save_manifest():
        manifest_path.write_text(json.dumps(manifest, indent=1))

    def is_fresh(notebook: Path, inputs: str, stamp: str | None) -> bool:
        entry = manifest.get(notebook.name, {})
        if entry.get("inputs") != inputs or not (executed / notebook.name
                                                 ).exists():
            return False
        return (not notebook.name.startswith(WAREHOUSE_PREFIX)
                or (stamp is not None and entry.get("stamp") == stamp))

    def keep(notebook: Path) -> None:
        shutil.copy2(executed / notebook.name, staging / "book" / notebook.name)
        echo(f"  kept {notebook.name:<36} (inputs unchanged)")

    def execute(notebook: Path) -> float:
        started = time.perf_counter()
        run_notebook(notebook, staging / "book" / notebook.name, parameters)
        return time.perf_counter() - started

    def done(notebook: Path, inputs: str, seconds: float) -> None:
        shutil.copy2(staging / "book" / notebook.name, executed / notebook.name)
        manifest[notebook.name] = {
            "inputs": inputs, "stamp": warehouse_stamp(url, params.schema)}
        save_manifest()
        echo(f"  ran  {notebook.name:<36} {seconds:6.1f} s")

    started_all = time.perf_counter()
    try:
        # the warehouse notebooks first, one by one: the chapters read it
        chapters = []
        for notebook in notebooks(root):
            if not notebook.name.startswith(WAREHOUSE_PREFIX):
                chapters.append(notebook)
                continue
            stamp = warehouse_stamp(url, params.schema)
            inputs = notebook_inputs(notebook, parameters, url, stamp, root)
            if is_fresh(notebook, inputs, stamp):
                keep(notebook)
                continue
            manifest.pop(notebook.name, None)
            save_manifest()
            done(notebook, inputs, execute(notebook))
        # then the chapters, which only read it: several at a time
        stamp = warehouse_stamp(url, params.schema)
        to_run = []
        for notebook in chapters:
            inputs = notebook_inputs(notebook, parameters, url, stamp, root)
            if is_fresh(notebook, inputs, stamp):
                keep(notebook)
            else:
                manifest.pop(notebook.name, None)
                to_run.append((notebook, inputs))
        save_manifest()
        _run_parallel(to_run, execute, done, workers())
    except ChapterFailed as error:
        raise _keep_failed(error, staging, failed) from None
    shutil.rmtree(failed, ignore_errors=True)
    echo(f"  notebooks done                        "
         f"{time.perf_counter() - started_all:6.1f} s")

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
