"""The tiers (tests/conftest.py): a test that needs a marker and lacks it
stops the run, an unmarked test that starts a process fails, and with
``--fast-tier`` (make check) an unmarked test that takes too long fails,
naming itself, its time and the markers; without it (make test) never.

Each case runs a tiny suite in this process (pytester) with the conftest's
hooks as a plugin and its limits lowered to fractions of a second; a
process is an audit event raised by hand, so none is started."""

from __future__ import annotations

import pytest

import conftest

SUITE = """
import sys
import time

import pytest


@pytest.fixture(scope="module")
def shared():
    time.sleep(0.2)   # paid once for the module: over TEST, under SHARED


def test_quick():
    pass


def test_sleeps():
    time.sleep(0.3)


@pytest.mark.process
def test_marked_sleeps():
    time.sleep(0.3)


def test_pays_for_the_module(shared):
    pass
"""


@pytest.fixture
def run(pytester, monkeypatch, request):
    """Run ``pytester``'s suite with the conftest's hooks and the markers
    of pyproject.toml, the limits at 0.15 s (a test) and 1 s (shared)."""
    monkeypatch.setattr(conftest, "TEST_SECONDS", 0.15)
    monkeypatch.setattr(conftest, "SHARED_SECONDS", 1.0)
    pytester.makeini("[pytest]\naddopts = --strict-markers\nmarkers =\n"
                     + "".join(f"    {line}\n" for line
                               in request.config.getini("markers")))

    def run(*args):
        return pytester.runpytest("-p", "no:cacheprovider", *args,
                                  plugins=[conftest])
    return run


def test_the_fast_tier_fails_an_unmarked_slow_test_and_names_it(
        pytester, run):
    pytester.makepyfile(test_suite=SUITE)
    result = run("--fast-tier")
    result.assert_outcomes(passed=3, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*_ test_sleeps _*",
        "too slow for the fast tier (make check): took 0.* s of its own, over"
        " the 0.15 s a fast test may take. Make it smaller (a smaller"
        " warehouse scale), or mark it with what it is (book, browser,"
        " cluster, process, real_data: pyproject.toml says which is which)"
        " and make check leaves it out",
        "fast tier: 3 unmarked tests; the slowest took 0.* s of its own"
        " (test_suite.py::test_sleeps; limit 0.15 s)*",
        "FAILED test_suite.py::test_sleeps - too slow for the fast tier*"])


def test_make_test_never_fires_the_guard(pytester, run):
    pytester.makepyfile(test_suite=SUITE)
    result = run()
    result.assert_outcomes(passed=4)
    assert "fast tier" not in result.stdout.str()


def test_shared_work_has_its_own_limit(pytester, run, monkeypatch):
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setattr(conftest, "SHARED_SECONDS", 0.1)
    result = run("--fast-tier", "-k", "pays")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "too slow for the fast tier (make check): paid 0.* s for fixture"
        " shared (module), over the 0.1 s a shared fixture or build may"
        " take. *",
        "FAILED test_suite.py::test_pays_for_the_module - *"])


def test_an_unmarked_test_that_starts_a_process_fails(pytester, run):
    pytester.makepyfile(test_suite="""
        import sys

        import pytest


        def started():
            sys.audit("subprocess.Popen", "make", ["make", "check"], None,
                      None)


        def test_unmarked():
            started()


        @pytest.mark.process
        def test_marked():
            started()
        """)
    result = run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*an unmarked test started a process: mark it @pytest.mark.process"
        " (make check leaves it out)",
        "*subprocess.Popen: make check",
        "FAILED test_suite.py::test_unmarked*"])


@pytest.mark.parametrize("fixture, calls, marker, says", [
    ("citus_url", "None", "cluster",
     "needs the Citus cluster (fixture citus_url)"),
    ("book", "get_book()", "book",
     "builds a book (fixture book calls get_book)"),
    ("export", "[real_file() for _ in range(1)]", "real_data",
     "reads the real export in ../shared/data (fixture export calls "
     "real_file)"),
])
def test_a_fixture_that_needs_a_marker_stops_the_run_without_it(
        pytester, run, fixture, calls, marker, says):
    """Found at collection, before any test runs, whatever ``-m`` leaves
    out; a call inside a comprehension of the fixture counts too."""
    suite = f"""
        import pytest


        def get_book():
            return "a book"


        def real_file():
            return "a file"


        @pytest.fixture(scope="module")
        def {fixture}():
            return {calls}


        def test_unmarked({fixture}):
            pass
        """
    pytester.makepyfile(test_suite=suite)
    result = run("-m", f"not {marker}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: tests without the marker they need (see tests/conftest.py):",
        f"test_suite.py::test_unmarked {says}: mark it @pytest.mark.{marker}"])
    pytester.makepyfile(test_suite=suite.replace(
        "def test_unmarked", f"@pytest.mark.{marker}\n        def test_marked"))
    run().assert_outcomes(passed=1)
