"""``make serve`` (issue 21): the site on 127.0.0.1 unless HOST says
otherwise, and no folder listed."""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request

import psutil
import pytest

from conftest import ROOT

pytestmark = pytest.mark.process  # make serve


@pytest.fixture
def site(tmp_path):
    html = tmp_path / "_build" / "html"
    (html / "_static").mkdir(parents=True)
    (html / "index.html").write_text("<title>the book</title>")
    (html / "_static" / "secret-looking.txt").write_text("x")
    return tmp_path


def serve(site, *variables):
    """``make serve`` of the Makefile, run in ``site`` (its _build/html);
    returns the process and the address it printed."""
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-s", "-f", str(ROOT / "Makefile"),
         "serve", "PORT=0", *variables], cwd=site, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = process.stdout.readline()
    assert line.startswith("serving _build/html on http://"), line
    return process, line.split()[-3].rstrip("/")


def stop(process):
    os.killpg(process.pid, 15)
    process.wait()


def listening(process) -> set[str]:
    """The addresses the server (make's child) listens on."""
    children = psutil.Process(process.pid).children(recursive=True)
    return {c.laddr.ip for child in children
            for c in child.net_connections("tcp") if c.status == "LISTEN"}


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_listens_on_this_machine_only_and_lists_no_folder(site):
    process, address = serve(site)
    try:
        assert address.startswith("http://127.0.0.1:")
        assert listening(process) == {"127.0.0.1"}
        assert status(address + "/") == 200
        assert status(address + "/index.html") == 200
        assert status(address + "/_static/secret-looking.txt") == 200
        assert status(address + "/_static/") == 404   # not a listing
    finally:
        stop(process)


def test_serve_listens_where_host_says(site):
    process, address = serve(site, "HOST=0.0.0.0")
    try:
        assert listening(process) == {"0.0.0.0"}
    finally:
        stop(process)


def test_a_bad_port_or_no_site_is_one_line(site, tmp_path):
    for cwd, variables, says in (
            (site, ["PORT=80;touch PWNED"], "error: port must be a whole "
             "number from 0 to 65535 (got '80;touch PWNED')"),
            (tmp_path / "_build", ["PORT=0"], "error: no site in "
             "_build/html: build it first (make book)")):
        result = subprocess.run(
            ["make", "--no-print-directory", "-s", "-f",
             str(ROOT / "Makefile"), "serve", *variables], cwd=cwd,
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode != 0
        assert says in result.stderr, result.stderr
    assert not list(site.rglob("PWNED"))
