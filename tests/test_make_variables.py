"""Make variables reach the program as written (issue 21): quotes, ``$``,
spaces, semicolons, backquotes and ``$(shell ...)`` are text, never shell
or make; a bad one is the program's one-line refusal."""

from __future__ import annotations

import os
import shutil
import subprocess

import psycopg
import pytest

from conftest import ROOT, assert_refused

pytestmark = pytest.mark.process  # make

FIXTURE = ROOT / "tests" / "ingest" / "fixtures" / "quirks.csv"
MAPPING = ROOT / "datagen" / "ingest" / "mappings" / "online-retail.toml"


#: what a make around this test run (make test) hands its children: a
#: make inside it would be a sub-make (make[1]) with the outer options
OUTER_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
              "PYTEST_ADDOPTS")


def make(*arguments, env=None, timeout=300):
    outer = {name: value for name, value in os.environ.items()
             if name not in OUTER_MAKE and not name.startswith("DATAGEN_")}
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *arguments],
        capture_output=True, text=True, timeout=timeout,
        env={**outer, **(env or {})})


def refused(result, expected: str) -> str:
    """The program's one line; make's own ``*** ... Error 2`` after it
    left out."""
    stderr = "\n".join(line for line in result.stderr.splitlines()
                       if not line.startswith(("make: ***", "make[")))
    assert result.returncode != 0
    return assert_refused(2, stderr, expected)


@pytest.fixture
def payload(tmp_path):
    """A command that would leave a file if a shell (or make) ran it."""
    pwned = tmp_path / "PWNED"
    yield f"touch {pwned}"
    assert not pwned.exists(), "a variable ran as a command"


def test_an_odd_file_name_and_mapping_are_imported_as_written(
        pg_url, tmp_path, payload):
    source = tmp_path / "O'Brien $HOME; orders.csv"
    mapping = tmp_path / f"map $x 'q'; {payload.replace('/', '_')}.toml"
    shutil.copy(FIXTURE, source)
    shutil.copy(MAPPING, mapping)
    result = make("import", f"SOURCE={source}", f"MAPPING={mapping}",
                  "SCHEMA=mk_obrien", env={"DATABASE_URL": pg_url})
    assert result.returncode == 0, result.stderr
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("select source_file, mapping "
                           "from mk_obrien.build_info").fetchone()
        assert row == ("O'Brien $HOME; orders.csv", str(mapping))
        for schema in ("mk_obrien", "mk_obrien_import"):
            conn.execute(f"drop schema {schema} cascade")
        conn.commit()


def test_the_lifetime_value_variables_reach_the_import(pg_url):
    cdnow = ROOT / "tests" / "fixtures" / "cdnow"
    result = make("import", f"SOURCE={cdnow / 'CDNOW_sample.txt'}",
                  f"MAPPING={cdnow / 'cdnow.toml'}", "SCHEMA=mk_clv",
                  "CLV_HOLDOUT_WEEKS=39", "CLV_HORIZON_DAYS=30",
                  env={"DATABASE_URL": pg_url})
    assert result.returncode == 0, result.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "select distinct calibration_end::text, holdout_end::text "
            "from mk_clv.clv_model_parameters").fetchall() == [
            ("1997-09-30", "1998-06-30")]
        assert conn.execute(
            "select clv_holdout_weeks, clv_horizon_days "
            "from mk_clv.analysis_setting").fetchone() == (39, 30)
        for schema in ("mk_clv", "mk_clv_import"):
            conn.execute(f"drop schema {schema} cascade")
        conn.commit()


@pytest.mark.parametrize("variable, expected", [
    ("SCHEMA=x'; {payload}; '", "error: schema must be a plain lowercase "
     "identifier"),
    ("SCHEMA=$(shell {payload})", "(got '$(shell touch "),
    ("SCALE=1`{payload}`", "error: scale must be a number greater than 0"),
    ("END_DATE=2025-12-31\"; {payload}; \"", "error: end_date must be a "
     "date written YYYY-MM-DD (got '2025-12-31\"; touch "),
    ("SOURCE=evil';{payload};'.csv", "error: source must be a readable "
     "file (a CSV or Parquet export) (got \"evil';touch "),
    ("CLV_HOLDOUT_WEEKS=$(shell {payload})", "error: clv_holdout_weeks must "
     "be a whole number from 1 to 1044 (got '$(shell touch "),
])
def test_a_hostile_variable_is_refused_in_one_line(pg_url, payload, variable,
                                                   expected):
    result = make("warehouse", variable.format(payload=payload),
                  env={"DATABASE_URL": pg_url})
    refused(result, expected)


def test_a_hostile_variable_from_the_environment_is_text(pg_url, payload):
    result = make("refresh", env={"DATABASE_URL": pg_url,
                                  "TO": f"$(shell {payload})`{payload}`"})
    refused(result, "error: to must be a date written YYYY-MM-DD (got "
            "'$(shell touch ")


def test_pytest_args_keep_their_quotes():
    result = make("check", "PYTEST_ARGS=tests/test_params.py -q -p "
                  "no:cacheprovider -k 'test_defaults or "
                  "test_strings_from_a_command_line_are_parsed'")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
