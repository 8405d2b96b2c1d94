"""The package installed: ``pip install`` of a wheel built from this tree
into a fresh virtual environment outside the repository, then the
``datagen`` command run from another folder: a build, a refresh and an
export on the suite's server, the embedded server started in a folder of
its own and an import into it.

The wheel goes in with ``--no-deps``, and the new environment reaches its
dependencies through one ``.pth`` line naming the project's ``.venv``
site-packages: the pinned versions ``make`` installs, read-only, after the
environment's own site-packages (so its ``datagen`` is the wheel's), with
no download. ``pip check`` then holds the wheel's declared ranges against
those pins. That the runtime rooms import only what ``[project]`` declares
is ``tests/test_environment.py``'s check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT
from datagen import server

FIXTURE = ROOT / "tests" / "ingest" / "fixtures" / "quirks.csv"
BUILT, IMPORTED = "installed_build", "installed_shop"


def _run(*args, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; its folder."""
    root = tmp_path_factory.mktemp("installed")
    wheels, venv = root / "wheels", root / "venv"
    _ok(_run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
             "--no-build-isolation", "--no-index", "--wheel-dir", wheels,
             ROOT))
    _ok(_run(sys.executable, "-m", "venv", "--without-pip", venv))
    python = venv / "bin" / "python"
    site = _ok(_run(python, "-c", "import sysconfig; "
                    "print(sysconfig.get_paths()['purelib'])")).strip()
    Path(site, "_project_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    _ok(_run(sys.executable, "-m", "pip", "--python", python, "install",
             "--quiet", "--no-deps", "--no-index", *wheels.glob("*.whl")))
    return venv


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A folder outside the repository to run from, holding the fixture."""
    shutil.copy(FIXTURE, tmp_path / FIXTURE.name)
    return tmp_path


def _env(venv: Path, **extra: str) -> dict[str, str]:
    """The environment without the repository's path or any server's
    settings, the installed command first on PATH, and ``extra``."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL")
           and not name.startswith(("PG", "DATAGEN_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


@pytest.mark.process
def test_the_installed_package_reads_nothing_of_the_repository(
        installed, elsewhere):
    data = elsewhere / "data"
    found = _ok(_run(
        installed / "bin" / "python", "-c",
        "import datagen; from datagen import server; "
        "from datagen.warehouse import sql_files; "
        "print(datagen.__file__, sql_files.SQL_DIR, server.source_tree(), "
        "server.pgdata_dir(), sep='\\n')",
        cwd=elsewhere, env=_env(installed, XDG_DATA_HOME=str(data)))).split()
    package = Path(found[0]).parent
    assert package.is_relative_to(installed), found
    assert Path(found[1]) == package / "sql"
    assert (package / "sql" / "citus" / "011_keys_fact_order.sql").is_file()
    assert found[2] == "None"
    assert Path(found[3]) == data / server.APP_NAME / "pgdata"
    # the wheel's declared ranges admit the pins it runs with
    _ok(_run(installed / "bin" / "python", "-m", "pip", "check",
             cwd=elsewhere, env=_env(installed)))
    version = _ok(_run(installed / "bin" / "python", "-c",
                       "from importlib.metadata import version; "
                       "print(version('ecommerce-warehouse-book'))",
                       cwd=elsewhere, env=_env(installed)))
    from datagen import __version__
    assert version.strip() == __version__


@pytest.mark.process
def test_the_installed_command_builds_refreshes_and_exports(
        installed, elsewhere, pg_url, conn):
    datagen, env = installed / "bin" / "datagen", _env(
        installed, DATABASE_URL=pg_url)
    try:
        _ok(_run(datagen, "build", "--scale", "0.01", "--schema", BUILT,
                 "--end-date", "2025-12-30", cwd=elsewhere, env=env))
        _ok(_run(datagen, "refresh", "--schema", BUILT, "--to",
                 "2025-12-31", cwd=elsewhere, env=env))
        passed = conn.execute(
            f"select count(*) filter (where not passed), count(*) "
            f"from {BUILT}.quality_check").fetchone()
        assert passed[0] == 0 and passed[1] > 0
        assert conn.execute(
            f"select max(order_date) from {BUILT}.vw_daily_revenue"
        ).fetchone()[0].isoformat() == "2025-12-31"
        _ok(_run(datagen, "export", "--schema", BUILT, "--from",
                 "2025-12-30", "--to", "2025-12-31", "--out", "feed",
                 cwd=elsewhere, env=env))
        assert (elsewhere / "feed" / "feed.json").is_file()
    finally:
        for schema in (BUILT, f"{BUILT}_truth"):
            conn.execute(f"drop schema if exists {schema} cascade")


@pytest.mark.process
def test_the_installed_command_imports_into_its_embedded_server(
        installed, elsewhere):
    # short: the server's socket is <folder>/.s.PGSQL.5432
    folder = Path(tempfile.mkdtemp(prefix="ewbi")) / "pg"
    env = _env(installed, WAREHOUSE_PGDATA=str(folder))
    datagen = installed / "bin" / "datagen"
    try:
        url = _ok(_run(datagen, "server", "start", cwd=elsewhere,
                       env=env)).strip()
        assert f"host={folder}" in url
        assert _ok(_run(datagen, "dsn", cwd=elsewhere, env=env)).strip() \
            == url
        _ok(_run(datagen, "import", FIXTURE.name, "--mapping",
                 "online-retail", "--schema", IMPORTED, cwd=elsewhere,
                 env=env))
        with server.connect(url) as conn:
            info = conn.execute(
                f"select source_file, source_lines from {IMPORTED}.import_info"
            ).fetchall()
            revenue = conn.execute(
                f"select sum(net_revenue) from {IMPORTED}.vw_daily_revenue"
            ).fetchone()[0]
        assert info == [(FIXTURE.name, 13)]
        assert str(revenue) == "76.41"
        assert _ok(_run(datagen, "server", "stop", cwd=elsewhere,
                        env=env)).strip() == "stopped"
    finally:
        _run(datagen, "server", "stop", cwd=elsewhere, env=env)
        shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.mark.process
def test_the_installed_command_says_the_book_needs_a_clone(installed,
                                                           elsewhere):
    for command in ("book", "bench"):
        result = _run(installed / "bin" / "datagen", command, cwd=elsewhere,
                      env=_env(installed))
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: datagen {command} runs from a clone of the repository "
            "(its book/, _config.yml and _toc.yml): clone it and run make "
            f"{command} there"]
        assert not (elsewhere / "_build").exists()
