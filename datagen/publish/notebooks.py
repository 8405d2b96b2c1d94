"""Running the chapter notebooks with papermill.

Owns executing one notebook with the build parameters injected into its
``parameters`` cell (``run_notebook``), several at a time (``run_parallel``,
``BOOK_WORKERS``), and what a failure says: the notebook, the failing
cell's first lines and its error, in ``ChapterFailed``; and whether an
executed chapter has nothing to show for its data (``left_out``), and
which chapters the executed warehouse notebook found to have nothing to
show, so that they are not run at all (``left_out_notebooks``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from .. import server
from ..errors import DatagenError
from .kernels import WarmKernels

#: notebooks that (re)build the warehouse rather than read it
WAREHOUSE_PREFIX = "00_"
#: told to the warehouse notebook's kernel (``chapters.keeps_warehouse``)
#: when the warehouse it built was refreshed to the book's date since: it
#: then describes that warehouse instead of building it again
KEEP_WAREHOUSE_VARIABLE = "BOOK_KEEP_WAREHOUSE"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ChapterFailed(DatagenError, RuntimeError):
    """A notebook raised; the message names it and the error."""


#: pages that only one kind of book has: a generated shop's check against
#: its planted truth, an imported shop's page about its data and import
ONLY_IN = {"11_truth_check": "generated", "11_data_import": "imported"}


def notebooks(root: Path = server.PROJECT_ROOT, imported: bool = False
              ) -> list[Path]:
    """The book's notebooks in name order: those of a generated book, or
    with ``imported`` those of a book on a shop's own export."""
    kind = "imported" if imported else "generated"
    return [path for path in sorted((root / "book").glob("*.ipynb"))
            if ONLY_IN.get(path.stem, kind) == kind]


#: what a chapter glues when it has nothing left to show for its data
#: (``datagen.chapters.needs.LEFT_OUT``; publish reads the executed
#: notebook, it does not import the chapters)
LEFT_OUT = "left_out"


#: what the warehouse notebook glues: the notebooks of the chapters that
#: have nothing to show for its data, comma-separated
#: (``datagen.chapters.needs.LEFT_OUT_NOTEBOOKS``)
LEFT_OUT_NOTEBOOKS = "left_out_notebooks"


def _glued(executed: Path) -> dict[str, str]:
    """The values the executed notebook glued, as text, by name."""
    import nbformat
    notebook = nbformat.read(str(executed), as_version=4)
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                found[name] = output.get("data", {}).get(
                    "application/papermill.record/text/plain", "")
    return found


def left_out(executed: Path) -> bool:
    """Whether the executed notebook glued ``LEFT_OUT``: a chapter none of
    whose sections the data supports, left out of the site's contents and
    the PDF (the introduction says why)."""
    return LEFT_OUT in _glued(executed)


def left_out_notebooks(executed: Path, chapters: list[Path]) -> list[Path]:
    """The ``chapters`` the executed warehouse notebook names as left out
    for its data (``LEFT_OUT_NOTEBOOKS``): they need not run. The glued
    text is read as a literal and only the names of ``chapters`` count."""
    import ast
    text = _glued(executed).get(LEFT_OUT_NOTEBOOKS)
    try:
        value = ast.literal_eval(text) if text else ""
    except (ValueError, SyntaxError):
        value = ""
    names = set(value.split(",")) if isinstance(value, str) else set()
    return [chapter for chapter in chapters if chapter.stem in names]


def _failed_cell(error) -> str:
    """The failing cell's first lines and its error, without colour."""
    source = (getattr(error, "source", "") or "").strip().splitlines()
    shown = source[:6] + (["..."] if len(source) > 6 else [])
    lines = [f"  cell {error.exec_count}:"]
    lines += [f"    {line}" for line in shown]
    lines += [f"  {error.ename}: " + ANSI.sub("", str(error.evalue)).strip()
              .replace("\n", "\n    ")]
    return "\n".join(lines)


def data_dir(target: Path) -> Path:
    """Where the kernel of the notebook executed into ``target`` writes its
    page's CSV files: ``<page>_data`` beside it."""
    return target.with_name(f"{target.stem}_data")


def run_notebook(source: Path, target: Path, parameters: dict,
                 environment: dict[str, str] | None = None,
                 kernels: WarmKernels | None = None) -> None:
    """Execute ``source`` into ``target``; ``ChapterFailed`` if a cell fails.

    The kernel is told where its CSV downloads go (``BOOK_DATA_DIR``, see
    ``chapters.tables``), and the variables of ``environment``, by code it
    runs before the notebook, not through this process's environment,
    which the chapters running side by side share. With ``kernels`` the
    notebook runs in this thread's kept kernel (``kernels.WarmKernels``),
    else in a kernel of its own.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError
    folder = data_dir(target)
    shutil.rmtree(folder, ignore_errors=True)
    told = {"BOOK_DATA_DIR": str(folder), **(environment or {})}
    if kernels is not None:
        kernel = {"km": kernels.kernel(told)}
    else:
        tell_kernel = f"__import__('os').environ.update({told!r})"
        # the kernels' own log: errors only (not a warning per kernel that
        # it talks over local TCP)
        kernel = {"extra_arguments": [
            "--log-level=ERROR", f"--IPKernelApp.exec_lines={tell_kernel}"]}
    try:
        # no cwd=: papermill would chdir the whole process, which is not
        # safe with chapters running in threads (the kernels need none)
        # saved once, when it ends (also when a cell failed): papermill
        # otherwise writes the whole notebook before and after every cell,
        # 0.6 s of a chapter of 20 cells whose charts make it 0.5 MB
        papermill.execute_notebook(
            str(source), str(target), parameters=parameters,
            kernel_name="python3", progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, **kernel)
    except BaseException as error:
        if kernels is not None:  # its kernel goes with it
            kernels.failed()
        if isinstance(error, PapermillExecutionError):
            raise ChapterFailed(
                f"chapter {source.name} failed in cell {error.exec_count} "
                f"({error.ename}):\n{_failed_cell(error)}") from None
        raise
    if kernels is not None:
        kernels.ran()
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


def workers() -> int:
    """Chapters executed at once (``BOOK_WORKERS``; default: the cores, at
    most 4)."""
    value = os.environ.get("BOOK_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, min(4, os.cpu_count() or 1))


def run_parallel(jobs, execute, done, count: int) -> None:
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


def keep_failed(error: ChapterFailed, staging: Path, failed: Path
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
