"""Reliability: bad input, killed builds, concurrent builds and a server that
is down never cost the warehouse a user already has."""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from datagen.warehouse.build import TABLES
from datagen.warehouse.schemas import table_checksum


def checksums(conn, schema):
    return {t: table_checksum(conn, schema, t) for t in TABLES}


def schemas(conn):
    return {r[0] for r in conn.execute("select nspname from pg_namespace")}


def one_error_line(result):
    lines = [line for line in result.stderr.strip().splitlines()
             if line.strip()]
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- bad parameters through the command line --------------------------------

CLI_CASES = {
    "zero scale": (["--scale", "0"], "scale"),
    "negative scale": (["--scale", "-5"], "scale"),
    "end before start": (["--start-date", "2024-05-01", "--end-date",
                          "2024-01-01"], "end_date"),
    "unparseable date": (["--start-date", "01/02/2024"], "start_date"),
    "impossible date": (["--end-date", "2025-02-29"], "end_date"),
    "non-integer seed": (["--seed", "seven"], "seed"),
    "unknown parameter": (["--sede", "4"], "unknown parameter --sede"),
    "schema with a quote": (["--schema", "shop'; drop schema public;--"],
                            "schema"),
    "schema with a space": (["--schema", "my shop"], "schema"),
    "schema with double quotes": (["--schema", 'a"b'], "schema"),
}


@pytest.mark.parametrize("case", CLI_CASES)
@pytest.mark.process
def test_bad_parameter_is_one_line_and_changes_nothing(case, conn):
    args, name = CLI_CASES[case]
    before = schemas(conn)
    line = one_error_line(run_cli("build", *args))
    assert line.startswith(f"error: {name}")
    assert schemas(conn) == before


@pytest.mark.process
def test_scale_beyond_the_disk_is_refused_before_starting_anything():
    if not Path("/dev/shm").is_dir():
        pytest.skip("needs a small filesystem (/dev/shm) to point at")
    folder = Path("/dev/shm") / f"ewbt-nospace-{os.getpid()}" / "pg"
    result = run_cli("build", "--scale", "1000", env={
        "DATABASE_URL": "", "WAREHOUSE_PGDATA": str(folder)})
    line = one_error_line(result)
    assert line.startswith("error: scale must be at most")
    assert "GiB" in line
    assert not folder.parent.exists()  # no server was started


@pytest.mark.process
def test_unreachable_url_names_the_server_and_fails_fast():
    started = time.monotonic()
    result = run_cli("build", env={
        "DATABASE_URL": "postgresql://me:pw@127.0.0.1:9/shop"})
    assert time.monotonic() - started < 5 + 5  # 5 s timeout + start-up
    line = one_error_line(result)
    assert "127.0.0.1:9" in line and "embedded" in line
    assert ":pw@" not in line


@pytest.mark.process
def test_wrong_password_is_one_line(conn, pg_url):
    hba = Path(conn.execute("show hba_file").fetchone()[0])
    original = hba.read_text()
    conn.execute("drop role if exists pw_user")
    conn.execute("create role pw_user login password 'right'")
    try:
        hba.write_text("local all pw_user scram-sha-256\n" + original)
        conn.execute("select pg_reload_conf()")
        time.sleep(0.3)
        url = pg_url.replace("postgres:@", "pw_user:wrong@")
        line = one_error_line(run_cli("build", env={"DATABASE_URL": url}))
        assert "password authentication failed" in line
        assert "wrong" not in line
    finally:
        hba.write_text(original)
        conn.execute("select pg_reload_conf()")
        conn.execute("drop role if exists pw_user")


@pytest.mark.process
def test_make_book_rejects_a_bad_variable_before_running_anything():
    result = subprocess.run(["make", "--no-print-directory", "book",
                             "SCALE=-1"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode != 0
    assert "error: scale must be a number greater than 0" in result.stderr
    assert "ran " not in result.stderr  # no chapter ran


# --- killed builds -------------------------------------------------------------

KILL_MOMENTS = [
    ("prepare schemas", 0.0),
    ("copy dimensions", 0.0),
    ("generate order timing", 0.3),  # in the middle of the block loop
    ("copy orders and lines", 0.0),  # while copying the truth, indexing
    ("analyze, keys and indexes", 0.0),
]


def _interruptible() -> None:
    """In the child: Ctrl-C as at a terminal. A suite started in the
    background of a shell without job control (``.ci/run &``) passes
    SIGINT on ignored, and Python then installs no handler for it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_build(schema, seed, scale, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "datagen", "build", "--schema", schema,
         "--seed", str(seed), "--scale", str(scale), *extra],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True, preexec_fn=_interruptible)


def kill_after_line(process, marker, delay):
    for line in process.stderr:
        if marker in line:
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
    process.wait()
    return False


@pytest.mark.parametrize("marker,delay", KILL_MOMENTS,
                         ids=[m for m, _ in KILL_MOMENTS])
@pytest.mark.process
def test_sigkill_leaves_the_previous_warehouse_intact(conn, warehouse,
                                                      marker, delay):
    schema = warehouse(seed=3, scale=0.3, schema="rel_kill")
    before = checksums(conn, schema)
    process = start_build(schema, 4, 0.3, "--chunk-orders", "500")
    assert kill_after_line(process, marker, delay), "build ended before kill"
    assert process.returncode == -signal.SIGKILL
    assert checksums(conn, schema) == before
    assert conn.execute(
        f'select count(*) from "{schema}".fact_order').fetchone()[0] > 0


@pytest.mark.process
def test_next_build_cleans_up_and_succeeds(conn, warehouse):
    schema = warehouse(seed=3, scale=0.3, schema="rel_kill2")
    process = start_build(schema, 4, 0.3, "--chunk-orders", "500")
    kill_after_line(process, "generate order timing", 0.2)
    assert f"{schema}__new" in schemas(conn)
    result = run_cli("build", "--schema", schema, "--seed", "4",
                     "--scale", "0.3")
    assert result.returncode == 0, result.stderr
    assert f"{schema}__new" not in schemas(conn)
    assert f"{schema}_truth__new" not in schemas(conn)
    assert conn.execute(
        f'select seed from "{schema}".build_info').fetchone()[0] == 4


def staging_of(conn, schema):
    from datagen.params import schema_family
    return set(schema_family(schema)) & schemas(conn) - {
        schema, f"{schema}_truth", f"{schema}_import"}


def test_a_failed_build_drops_its_staging_schemas(conn, warehouse, pg_url,
                                                  monkeypatch):
    from datagen.params import parse_params
    from datagen.warehouse import build as build_module
    schema = warehouse(seed=3, scale=0.1, schema="rel_fail")
    before = checksums(conn, schema)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the middle of the build")
    monkeypatch.setattr(build_module.fact_load, "load_facts", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        build_module.build(parse_params(seed=4, scale=0.1, schema=schema),
                           url=pg_url, echo=lambda line: None)
    assert staging_of(conn, schema) == set()
    assert checksums(conn, schema) == before


@pytest.mark.process
def test_ctrl_c_is_one_line_and_drops_the_staging_schemas(conn, warehouse):
    schema = warehouse(seed=3, scale=0.3, schema="rel_int")
    before = checksums(conn, schema)
    process = start_build(schema, 4, 0.3, "--chunk-orders", "500")
    for line in process.stderr:
        if "generate order timing" in line:
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    assert process.wait() == 130, rest
    assert rest.strip().splitlines()[-1] == (
        "error: build interrupted: the warehouse is as it was")
    assert "Traceback" not in rest
    assert staging_of(conn, schema) == set()
    assert checksums(conn, schema) == before


@pytest.mark.process
def test_a_killed_builds_staging_goes_with_the_next_build_of_any_schema(
        conn, pg_url):
    """kill -9 leaves <schema>__new (a build cannot clean up after its own
    death); the next build of another schema drops it, but never the
    staging schema of a build that runs (its family locked)."""
    import psycopg

    from datagen.warehouse import schemas as warehouse_schemas
    process = start_build("rel_stale", 4, 0.3, "--chunk-orders", "500")
    assert kill_after_line(process, "generate order timing", 0.2)
    assert {"rel_stale__new", "rel_stale_truth__new"} <= schemas(conn)
    with psycopg.connect(pg_url, autocommit=True) as running:
        assert warehouse_schemas.try_lock(running, "rel_held")
        warehouse_schemas.create_schema(running, "rel_held__new")
        result = run_cli("build", "--schema", "rel_other", "--scale", "0.05")
        assert result.returncode == 0, result.stderr
        assert "rel_stale__new" in result.stderr  # it says what it dropped
        left = schemas(conn)
        assert "rel_stale__new" not in left
        assert "rel_stale_truth__new" not in left
        assert "rel_held__new" in left
    warehouse_schemas.drop_schema(conn, "rel_held__new")


def test_a_build_locks_every_name_it_writes(pg_url):
    import psycopg

    from datagen.warehouse import schemas as warehouse_schemas
    with psycopg.connect(pg_url, autocommit=True) as first, \
            psycopg.connect(pg_url, autocommit=True) as second:
        assert warehouse_schemas.try_lock(first, "rel_family")
        for name in ("rel_family", "rel_family_truth__new",
                     "rel_family_import"):
            assert not second.execute(
                "select pg_try_advisory_lock(hashtextextended(%s, 0))",
                [warehouse_schemas.lock_key(name)]).fetchone()[0]
        assert not warehouse_schemas.try_lock(second, "rel_family")
        warehouse_schemas.unlock(first, "rel_family")
        assert warehouse_schemas.try_lock(second, "rel_family")


# --- a disk that fills ------------------------------------------------------------

@pytest.fixture
def small_disk_url(pg_url, conn):
    """A database of the test server whose default tablespace is a 12 MiB
    tmpfs mounted here (a scale-0.01 warehouse fits, a scale-0.3 one does
    not); its URL."""
    reason = None
    if os.geteuid() != 0:
        reason = "mounting a small tmpfs needs root"
    folder = Path(tempfile.mkdtemp(prefix="ewbf"))
    if reason is None:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m",
                                  "tmpfs", str(folder)], capture_output=True,
                                 text=True)
        if mounted.returncode != 0:
            reason = f"mount -t tmpfs failed: {mounted.stderr.strip()}"
            if os.environ.get("CI"):  # root in CI: it must work there
                pytest.fail(f"CI must run the disk-full test: {reason}")
    if reason is not None:
        folder.rmdir()
        pytest.skip(reason)
    data = Path(conn.execute("show data_directory").fetchone()[0])
    space = folder / "space"
    space.mkdir()
    os.chown(space, data.stat().st_uid, data.stat().st_gid)
    try:
        conn.execute(f"create tablespace rel_small location '{space}'")
        conn.execute("create database rel_small tablespace rel_small")
        yield pg_url.replace("/postgres?", "/rel_small?")
    finally:
        conn.execute("drop database if exists rel_small with (force)")
        conn.execute("drop tablespace if exists rel_small")
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()


@pytest.mark.process
def test_a_disk_that_fills_during_a_build_is_one_line(small_disk_url):
    import psycopg

    from conftest import assert_refused, data_checksums
    env = {"DATABASE_URL": small_disk_url}
    first = run_cli("build", "--schema", "small", "--scale", "0.01", env=env)
    assert first.returncode == 0, first.stderr
    with psycopg.connect(small_disk_url, autocommit=True) as small:
        before = data_checksums(small, "small")
        result = run_cli("build", "--schema", "small", "--scale", "0.3",
                         "--seed", "8", env=env)
        assert_refused(
            result.returncode, result.stderr,
            "error: the database server's disk is full while building "
            "schema 'small' (could not extend file")
        assert result.stderr.strip().endswith(
            "it stopped, its staging schemas were dropped, and schema "
            "'small' is as it was")
        assert data_checksums(small, "small") == before
        assert {r[0] for r in small.execute(
            "select nspname from pg_namespace where nspname like 'small%'")
        } == {"small", "small_truth"}


# --- concurrent builds ---------------------------------------------------------

@pytest.mark.process
def test_two_seeds_into_two_schemas_at_once(conn, warehouse):
    a = start_build("rel_conc_a", 21, 0.3)
    b = start_build("rel_conc_b", 22, 0.3)
    assert a.wait() == 0 and b.wait() == 0
    assert checksums(conn, "rel_conc_a") == checksums(
        conn, warehouse(seed=21, scale=0.3, schema="rel_alone_a"))
    assert checksums(conn, "rel_conc_b") == checksums(
        conn, warehouse(seed=22, scale=0.3, schema="rel_alone_b"))


@pytest.mark.process
def test_two_builds_of_one_schema_never_mix(conn, warehouse):
    first = start_build("rel_same", 31, 0.3)
    time.sleep(0.3)
    second = start_build("rel_same", 32, 0.3)
    first_err = first.stderr.read()
    second_err = second.stderr.read()
    assert first.wait() == 0 and second.wait() == 0
    waited = "another build" in first_err + second_err
    assert waited, "the second build did not wait for the first"
    final = checksums(conn, "rel_same")
    alone = {seed: checksums(conn, warehouse(seed=seed, scale=0.3,
                                             schema=f"rel_alone_{seed}"))
             for seed in (31, 32)}
    assert final in alone.values()
    seed = conn.execute("select seed from rel_same.build_info").fetchone()[0]
    truth = conn.execute(
        "select value from rel_same_truth.parameter where name = 'seed'"
    ).fetchone()[0]
    assert final == alone[seed] and truth == str(seed)


# --- a server that is down -----------------------------------------------------

@pytest.fixture
def own_embedded():
    """A separate embedded server folder for start/stop tests."""
    folder = Path(tempfile.mkdtemp(prefix="ewbd")) / "pg"
    env = {"DATABASE_URL": "", "WAREHOUSE_PGDATA": str(folder)}
    yield env
    run_cli("server", "stop", env=env)
    shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.mark.process
def test_stopped_server_fails_within_5_s_saying_which_and_how(own_embedded):
    url = run_cli("dsn", env=own_embedded).stdout.strip()
    assert run_cli("server", "stop", env=own_embedded).stdout.strip() \
        == "stopped"
    for args in (["build", "--scale", "0.05"], ["server", "status"]):
        started = time.monotonic()
        result = run_cli(*args, env={"DATABASE_URL": url})
        assert time.monotonic() - started < 5 + 5  # + Python start-up
        line = one_error_line(result)
        assert "cannot connect to PostgreSQL at" in line
        assert str(own_embedded["WAREHOUSE_PGDATA"]) in line
        assert "embedded" in line


@pytest.mark.process
def test_stopped_embedded_server_is_started_again(own_embedded):
    assert run_cli("dsn", env=own_embedded).returncode == 0
    run_cli("server", "stop", env=own_embedded)
    result = run_cli("build", "--scale", "0.05", "--schema", "again",
                     env=own_embedded)
    assert result.returncode == 0, result.stderr


# --- no injection ----------------------------------------------------------------

def test_sql_is_never_formatted_with_values():
    """No f-string, %-format or .format() builds a string passed to
    execute(): identifiers go through psycopg.sql, values are bound."""
    offenders = []
    for path in (ROOT / "datagen").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(
                    node.func, "attr", None) in ("execute", "copy"):
                if node.args and _is_formatted(node.args[0]):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def _is_formatted(arg) -> bool:
    if isinstance(arg, ast.JoinedStr):
        return True
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Mod, ast.Add)):
        return True
    return (isinstance(arg, ast.Call) and getattr(arg.func, "attr", None)
            == "format" and isinstance(arg.func.value, ast.Constant))


# --- bad parameters through papermill -p ------------------------------------------

PAPERMILL_CASES = {
    "zero scale": (["-p", "scale", "0"], "ParamError: scale must be"),
    "unknown parameter": (["-p", "sede", "4"],
                          "ParamError: unknown parameter 'sede'"),
    "schema with SQL": (["-p", "schema", "x; drop schema public"],
                        "ParamError: schema must be"),
}


@pytest.mark.parametrize("case", PAPERMILL_CASES)
@pytest.mark.process
def test_papermill_rejects_bad_parameters_before_the_database(
        case, conn, tmp_path):
    args, message = PAPERMILL_CASES[case]
    before = schemas(conn)
    papermill = Path(sys.executable).parent / "papermill"
    result = subprocess.run(
        [str(papermill), str(ROOT / "book" / "02_kpi_dashboard.ipynb"),
         str(tmp_path / "out.ipynb"), "-k", "python3", "--cwd", str(ROOT),
         *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert schemas(conn) == before
