"""Which server: DATABASE_URL when set (nothing started), otherwise the
embedded server in a git-ignored folder, reused on later runs."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from datagen import db


def test_database_url_is_used_as_given(pg_url):
    result = run_cli("dsn", env={"DATABASE_URL": pg_url})
    assert result.returncode == 0
    assert result.stdout.strip() == pg_url


def test_postgres_scheme_is_normalised(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:secret@db.example/shop")
    assert db.database_url() == "postgresql://u:secret@db.example/shop"
    assert db.redact(db.database_url()) == "postgresql://u:***@db.example/shop"
    assert db.sqlalchemy_url().startswith("postgresql+psycopg://")


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


def test_embedded_folder_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".pgdata/" in ignored


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
