"""Warm kernels: a kept kernel runs each chapter as a new kernel would.

``datagen.publish.kernels.WarmKernels`` keeps one kernel per worker from
chapter to chapter. Three small notebooks run one after another in it
(``notebooks.run_notebook``, as ``make book`` runs the chapters): what the
first defines, the input history it leaves and the variables it was told
are gone for the second, whose execution count starts at 1, and a notebook
that fails takes its kernel with it (the next one starts a new kernel). A
kept kernel that died between two chapters is replaced, and the clients
each chapter talked to its kernel with are closed (no thread left behind
per chapter).
"""

from __future__ import annotations

import os
import signal
import threading

import nbformat
import pytest

from datagen.publish.kernels import WarmKernels
from datagen.publish.notebooks import ChapterFailed, data_dir, run_notebook

# starts Jupyter kernels
pytestmark = [pytest.mark.process]


def write(path, *sources: str):
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3",
                                       "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, str(path))
    return path


def outputs(path) -> list[str]:
    notebook = nbformat.read(str(path), as_version=4)
    return [output.get("text", "") for cell in notebook.cells
            for output in cell.get("outputs", [])]


def test_a_kept_kernel_runs_each_notebook_as_a_new_one(tmp_path):
    first = write(tmp_path / "first.ipynb",
                  "import os\nleaked = 'from the first notebook'",
                  "print(os.environ['BOOK_DATA_DIR'], "
                  "os.environ.get('BOOK_KEEP_WAREHOUSE'), os.getpid())")
    second = write(tmp_path / "second.ipynb",
                   "import os\nprint('leaked' in globals(), len(In), "
                   "os.environ['BOOK_DATA_DIR'], "
                   "os.environ.get('BOOK_KEEP_WAREHOUSE'), os.getpid())")
    failing = write(tmp_path / "failing.ipynb", "raise ValueError('no')")
    with WarmKernels() as kernels:
        run_notebook(first, tmp_path / "out1.ipynb", {},
                     {"BOOK_KEEP_WAREHOUSE": "1"}, kernels)
        run_notebook(second, tmp_path / "out2.ipynb", {}, None, kernels)
        assert kernels.started == 1
        with pytest.raises(ChapterFailed, match="ValueError"):
            run_notebook(failing, tmp_path / "out3.ipynb", {}, None,
                         kernels)
        run_notebook(second, tmp_path / "out4.ipynb", {}, None, kernels)
        assert kernels.started == 2
    folder, keep, pid = outputs(tmp_path / "out1.ipynb")[0].split()
    assert folder == str(data_dir(tmp_path / "out1.ipynb")) and keep == "1"
    leaked, history, folder, keep, same_pid = outputs(
        tmp_path / "out2.ipynb")[0].split()
    # nothing of the first notebook: its names, its input history, what it
    # was told; its own folder; the same kernel process
    assert leaked == "False" and keep == "None" and same_pid == pid
    assert int(history) <= 2  # In[0] is '', In[1] this cell
    assert folder == str(data_dir(tmp_path / "out2.ipynb"))
    counts = [cell.execution_count for cell in nbformat.read(
        str(tmp_path / "out2.ipynb"), as_version=4).cells]
    assert counts == [1]
    # after the failure: a new kernel
    assert outputs(tmp_path / "out4.ipynb")[0].split()[-1] != pid


def test_a_dead_kernel_is_replaced_and_no_client_is_left_open(tmp_path):
    pid_of = write(tmp_path / "pid.ipynb", "import os\nprint(os.getpid())")
    with WarmKernels() as kernels:
        run_notebook(pid_of, tmp_path / "a.ipynb", {}, None, kernels)
        threads = threading.active_count()
        for n in range(3):
            run_notebook(pid_of, tmp_path / f"b{n}.ipynb", {}, None, kernels)
        assert threading.active_count() <= threads
        first = int(outputs(tmp_path / "a.ipynb")[0])
        assert int(outputs(tmp_path / "b2.ipynb")[0]) == first
        os.kill(first, signal.SIGKILL)
        run_notebook(pid_of, tmp_path / "c.ipynb", {}, None, kernels)
        assert int(outputs(tmp_path / "c.ipynb")[0]) != first
        assert kernels.started == 2


def test_kernels_started_ahead_are_taken_with_their_imports(tmp_path):
    """``prepare`` starts the workers' kernels while the warehouse is
    built: each worker's first chapter runs in one of them, with the
    modules the warm-up imported and none of its names."""
    probe = write(tmp_path / "probe.ipynb",
                  "import os, sys\nprint('wave' in sys.modules, "
                  "'warmed' in globals(), os.getpid())")
    printed = {}

    def worker(name):
        run_notebook(probe, tmp_path / f"{name}.ipynb", {}, None, kernels)
        printed[name] = outputs(tmp_path / f"{name}.ipynb")[0].split()

    with WarmKernels() as kernels:
        kernels.prepare(2, "import wave\nwarmed = 1")
        kernels.prepare(2, "raise SystemExit")  # called again: nothing
        threads = [threading.Thread(target=worker, args=(name,))
                   for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert kernels.started == 2
    assert [printed[name][:2] for name in "ab"] == [["True", "False"]] * 2
    assert printed["a"][2] != printed["b"][2]


def test_a_failed_notebook_is_saved_with_its_error(tmp_path):
    """papermill writes the notebook once, at its end: also when a cell
    failed (``keep_failed`` keeps it for the reader)."""
    failing = write(tmp_path / "failing.ipynb", "print('before')",
                    "raise ValueError('the cause')", "print('never')")
    with WarmKernels() as kernels, pytest.raises(ChapterFailed):
        run_notebook(failing, tmp_path / "out.ipynb", {}, None, kernels)
    cells = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4).cells
    assert outputs(tmp_path / "out.ipynb")[0].strip() == "before"
    assert any(output.get("ename") == "ValueError"
               for cell in cells for output in cell.get("outputs", []))


def test_a_kernel_that_failed_to_get_ready_ahead_is_replaced(tmp_path):
    """A warm-up that fails leaves no kernel behind: the worker starts its
    own, and the chapter runs."""
    probe = write(tmp_path / "probe.ipynb", "print('ran')")
    with WarmKernels() as kernels:
        kernels.prepare(1, "raise RuntimeError('the warm-up failed')")
        run_notebook(probe, tmp_path / "out.ipynb", {}, None, kernels)
        assert kernels.started == 2
    assert outputs(tmp_path / "out.ipynb")[0].strip() == "ran"
