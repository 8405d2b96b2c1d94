"""Hostile input at the command line (issue 21): each case one command and
the one line it must stop with (exit status 2, no traceback), and the
warehouse it names exactly as it was, no schema made or dropped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import assert_refused, data_checksums, run_cli

pytestmark = pytest.mark.process  # the CLI

VICTIM = "hostile_victim"
FEED = ["--from", "2024-04-01", "--to", "2024-04-20"]
SCHEMA_LINE = "not ending in _truth, _import, __new (the names a build derives)"

#: case: (arguments, environment, the one line's substring); ``{tmp}`` is
#: a fresh folder, ``{wrong}`` the URL of the test server with a wrong
#: password
CASES = {
    "end_date in 2045": (
        ["build", "--schema", VICTIM, "--end-date", "2045-06-01"], {},
        "error: end_date must be before 2043-01-01, less than 20 years "
        "after start_date 2023-01-01"),
    "end_date in 2999": (
        ["build", "--schema", VICTIM, "--end-date", "2999-12-31"], {},
        "error: end_date must be a date from 1900-01-01 to 2199-12-31 "
        "(got '2999-12-31')"),
    "a long period at a large scale": (
        ["build", "--schema", VICTIM, "--scale", "50", "--end-date",
         "2035-12-31"], {},
        "error: end_date must be at most 2034-05-10 at scale 50 (from "
        "2023-01-01 to 2035-12-31 the shop is as large as a scale-1,659 "
        "build of three years; at most 1000)"),
    "refresh to 2045": (
        ["refresh", "--schema", VICTIM, "--to", "2045-06-01"], {},
        "error: to must be before 2043-01-01"),
    "refresh to 2999": (
        ["refresh", "--schema", VICTIM, "--to", "2999-01-01"], {},
        "error: to must be a date from 1900-01-01 to 2199-12-31"),
    "refresh --seed": (
        ["refresh", "--seed", "3"], {},
        "error: unknown parameter --seed: the parameters of refresh are "
        "--to, --feed, --schema"),
    "export --bogus": (
        ["export", *FEED, "--out", "{tmp}", "--bogus", "1"], {},
        "error: unknown parameter --bogus: the parameters of export are "
        "--schema, --from, --to, --format, --out"),
    "export --out a file": (
        ["export", "--schema", VICTIM, *FEED, "--out", "/etc/passwd"], {},
        "error: --out /etc/passwd: not a folder"),
    "export --out under a file": (
        ["export", "--schema", VICTIM, *FEED, "--out", "/etc/passwd/feed"],
        {}, "error: --out /etc/passwd/feed: no folder can be made there"),
    "export --out a folder of other files": (
        ["export", "--schema", VICTIM, *FEED, "--out", "{tmp}"], {},
        "holds what is not a feed written by datagen export (such as "
        "'notes.txt')"),
    "a build's staging name": (
        ["build", "--schema", f"{VICTIM}__new"], {}, SCHEMA_LINE),
    "a truth schema refreshed": (
        ["refresh", "--schema", f"{VICTIM}_truth", "--to", "2024-05-02"],
        {}, SCHEMA_LINE),
    "an import schema exported": (
        ["export", "--schema", f"{VICTIM}_import", *FEED, "--out", "{tmp}"],
        {}, SCHEMA_LINE),
    "a schema that is SQL": (
        ["build", "--schema", f"{VICTIM}; drop schema {VICTIM} cascade"],
        {}, "error: schema must be a plain lowercase identifier"),
    "a password with a space": (
        ["build", "--schema", VICTIM],
        {"DATABASE_URL": "postgresql://me:hun ter2@127.0.0.1:9/shop"},
        "must be percent-encoded there"),
    "a password with an @": (
        ["refresh", "--schema", VICTIM, "--to", "2024-05-02"],
        {"DATABASE_URL": "postgresql://me:hun@ter2@127.0.0.1:9/shop"},
        "error: cannot connect to PostgreSQL at "
        "postgresql://me:***@127.0.0.1:9/shop"),
    "make book with a wrong password": (
        ["book", "--schema", VICTIM, "--out", "{tmp}/book"],
        {"DATABASE_URL": "{wrong}"},
        "password authentication failed for user \"hostile_user\""),
}


@pytest.fixture(scope="module")
def victim(warehouse):
    return warehouse(seed=7, scale=0.1, end_date="2024-05-01",
                     schema=VICTIM)


@pytest.fixture(scope="module")
def wrong_password_url(pg_url):
    """The test server's URL as a user whose password is not the one
    given (the server asks this user for one)."""
    import psycopg
    with psycopg.connect(pg_url, autocommit=True) as conn:
        hba = Path(conn.execute("show hba_file").fetchone()[0])
        original = hba.read_text()
        conn.execute("drop role if exists hostile_user")
        conn.execute("create role hostile_user login password 'right'")
        hba.write_text("local all hostile_user scram-sha-256\n" + original)
        conn.execute("select pg_reload_conf()")
        time.sleep(0.3)
        try:
            yield pg_url.replace("postgres:@", "hostile_user:wr0ng@")
        finally:
            hba.write_text(original)
            conn.execute("select pg_reload_conf()")
            conn.execute("drop role if exists hostile_user")


def namespaces(conn) -> set[str]:
    return {r[0] for r in conn.execute("select nspname from pg_namespace")}


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_one_line_and_changes_nothing(
        case, conn, victim, wrong_password_url, tmp_path):
    args, env, expected = CASES[case]
    (tmp_path / "notes.txt").write_text("mine\n")
    fill = {"tmp": str(tmp_path), "wrong": wrong_password_url}
    args = [a.format(**fill) for a in args]
    env = {k: v.format(**fill) for k, v in env.items()}
    before, schemas = data_checksums(conn, victim), namespaces(conn)
    result = run_cli(*args, env=env)
    line = assert_refused(result.returncode, result.stderr, expected)
    for secret in ("hun ter2", "ter2", "wr0ng"):
        assert secret not in result.stderr, line
    assert data_checksums(conn, victim) == before
    assert namespaces(conn) == schemas
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
