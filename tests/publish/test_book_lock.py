"""One book build at a time per output folder (issue 21): a second one
stops at once in one line naming the process that holds the folder, and a
killed build leaves no lock behind (an OS file lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, assert_refused, run_cli
from datagen.publish.book import BookBusy, one_build_at_a_time


@pytest.mark.process
def test_a_second_book_build_stops_in_one_line(pg_url, tmp_path):
    out = tmp_path / "_build"
    with one_build_at_a_time(out):   # a first build, running
        result = run_cli("book", "--scale", "0.1", "--out", str(out))
        assert_refused(result.returncode, result.stderr,
                       f"error: another book build is writing {out} (pid "
                       f"{os.getpid()}): wait for it to finish, or stop it")
        assert [p.name for p in out.iterdir()] == [".book.lock"]
    with one_build_at_a_time(out):   # and the folder is free again
        pass


def test_the_same_process_cannot_hold_it_twice(tmp_path):
    with one_build_at_a_time(tmp_path):
        with pytest.raises(BookBusy, match=f"pid {os.getpid()}"):
            with one_build_at_a_time(tmp_path):
                pass


@pytest.mark.process
def test_a_killed_build_leaves_no_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from pathlib import Path\n"
         "from datagen.publish.book import one_build_at_a_time\n"
         "with one_build_at_a_time(Path(sys.argv[1])):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(60)\n", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BookBusy, match=f"pid {holder.pid}"):
            with one_build_at_a_time(tmp_path):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with one_build_at_a_time(tmp_path):
        pass
