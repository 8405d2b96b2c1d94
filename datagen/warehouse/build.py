"""The build: generate, load into a fresh schema, check, swap in.

Owns the order of the steps. The warehouse is written into
``<schema>__new`` (and ``<schema>_truth__new``) and only at the end, in one
transaction, replaces the live schemas, so an interrupted or failed build
leaves the previous warehouse as it was. Advisory locks on every name a
build of a schema writes (``schemas.try_lock``) keep two builds of it from
mixing. A build that fails (an error, Ctrl-C) drops its staging schemas
before it lets its locks go, a server that fails under it (a full disk, a
crash) is one line (``BuildStopped``), and every build first drops the
staging schemas that killed builds of any schema left
(``schemas.drop_stale``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import sys
import threading
import time
from collections.abc import Callable

import psycopg

from .. import __version__, generate, server
from ..errors import DatagenError
from ..generate import planted
from ..ingest.mapping import CAPABILITIES
from ..params import BuildParams, check_size, period_size
from ..server import connect, scrub
from . import (
    copy_text,
    distribute,
    fact_load,
    import_build,
    keys,
    quality,
    schemas,
    sql_files,
    views,
)
from .parallel import SessionPool

#: the lifetime value tables' module, imported beside the build's keys
CLV_MODULE = f"{__package__}.clv_tables"

#: memory per sort or hash for the views and checks: the server's default,
#: 4MB, sends their million-row sorts to temporary files, and much more lets
#: the planner hash a million orders where streaming them in order is faster
#: (README, performance)
SQL_WORK_MEM = "64MB"
#: cost of a random page read against a sequential one for the build's
#: sessions (the server's default, 4, is for spinning disks): the warehouse
#: is read from memory, and with 4 the planner hashes the lines of a small
#: warehouse where streaming both fact tables through their primary keys is
#: faster
SQL_RANDOM_PAGE_COST = "1.1"
TABLES = ("dim_date", "dim_channel", "dim_customer", "dim_customer_history",
          "dim_product",
          *fact_load.FACT_TABLES)


class BuildStopped(DatagenError, RuntimeError):
    """The server failed under a build or a refresh (its disk full, its
    connection lost); the message is one line and holds no password."""

    def __init__(self, schema: str, error: psycopg.Error, url: str | None,
                 dropped: bool | None, doing: str = "building"):
        reason = scrub(str(error).split("\n", 1)[0], url or "")
        what = ("the database server's disk is full" if isinstance(
            error, psycopg.errors.DiskFull) else "the database server failed")
        left = ("" if dropped is None else
                "its staging schemas were dropped, " if dropped else
                "its staging schemas are left for the next build to drop, ")
        super().__init__(
            f"{what} while {doing} schema {schema!r} ({reason}): it "
            f"stopped, {left}and schema {schema!r} is as it was")


@dataclasses.dataclass
class BuildReport:
    params: BuildParams
    rows: dict[str, int]
    seconds: dict[str, float]   # per step; overlapped steps also in parts
    total_seconds: float        # wall-clock time of the whole build
    clv_customers: int = 0      # customers the lifetime value models fit


class Steps:
    """Times named steps and reports them on stderr."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, name: str, quiet: bool = False):
        """Time a step; ``quiet`` steps repeat and are reported by ``total``."""
        started = time.perf_counter()
        yield
        took = time.perf_counter() - started
        self.seconds[name] = self.seconds.get(name, 0.0) + took
        if not quiet:
            self.report(name)

    def report(self, name: str, depth: int = 0) -> None:
        """One aligned line; ``depth`` 1 for a part of the step above."""
        label = "  " * (depth + 1) + name
        self.echo(f"{label:<32} {self.seconds.get(name, 0.0):7.2f} s")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def build_size(params: BuildParams, since=None) -> float:
    """How large the generated build of ``params`` is, as the scale of a
    build of the three default years (its sign-ups grow by the planted
    rate: ``params.period_size``); with ``since``, only the days after it
    (what a refresh from ``since`` adds)."""
    growth = planted.ANNUAL_SIGNUP_GROWTH
    size = params.scale * period_size(params.start_date, params.end_date,
                                      growth)
    if since is not None:
        size -= params.scale * period_size(params.start_date, since, growth)
    return size


def check_room(params: BuildParams, since=None, name: str | None = None
               ) -> None:
    """Before anything is touched: the generated build of ``params`` (or,
    with ``since``, a refresh from that day to its end date) is a size the
    generator holds (``params.check_size``) and fits the embedded server's
    disk (``server.check_disk_room``); a ``ParamError`` naming ``name``
    (default: ``end_date``, or ``scale`` for the disk of a build of three
    years or less) otherwise."""
    check_size(params.start_date, params.end_date, params.scale,
               planted.ANNUAL_SIGNUP_GROWTH, name or "end_date")
    size = build_size(params, since)
    if name is None:
        name = "scale" if size <= params.scale * (1 + 1e-9) else "end_date"
    server.check_disk_room(params.scale, size, name,
                           params.end_date.isoformat())


def build(params: BuildParams, url: str | None = None,
          chunk_orders: int | None = None,
          echo: Callable[[str], None] = _stderr,
          source: import_build.Source | None = None,
          shard_count: int | None = None) -> BuildReport:
    """Build the warehouse described by ``params``; returns what it did.

    With a ``source`` (a shop's export and its mapping) the warehouse is
    imported from it instead of generated: no truth schema, an import
    schema ``<schema>_import`` beside it, the data period the source's.
    Into a server with the ``citus`` extension the build is distributed
    (``distribute``), in ``shard_count`` shards (default: ``SHARD_COUNT``,
    else 32).
    """
    if source is None and params.imported:
        source = import_build.Source.open(params.source, params.mapping)
    if source is None:
        check_room(params)  # a size the generator and the disk hold
    shard_count = distribute.parse_shard_count(shard_count)
    steps = Steps(echo)
    staging = params.schema + schemas.STAGING_SUFFIX
    side = params.import_schema if source else params.truth_schema
    side_staging = side + schemas.STAGING_SUFFIX
    stale = params.truth_schema if source else params.import_schema
    rows: dict[str, int] = {}
    started = time.perf_counter()
    with connect(url, autocommit=True) as lock_conn:
        locked = False
        try:
            with connect(url, autocommit=True) as conn, \
                    SessionPool(url, setup=tune_session) as sessions:
                # a cluster's workers are reached before anything is touched
                distributed = distribute.is_distributed(conn)
                workers = distribute.check_cluster(conn) if distributed else 0
                echo(f"building schema {params.schema!r}: " + (
                    f"imported from {source.label}" if source else
                    f"seed={params.seed} scale={params.scale:g} "
                    f"{params.start_date}..{params.end_date}"))
                if distributed:
                    echo(distribute.describe(conn, workers, shard_count))
                if not schemas.try_lock(lock_conn, params.schema):
                    echo(f"  another build of schema {params.schema!r} is "
                         "running; waiting for it to finish")
                    schemas.lock(lock_conn, params.schema)
                locked = True
                schemas.drop_stale(lock_conn, params.schema, echo)
                tune_session(conn)

                with steps.step("prepare schemas"):
                    for schema in (staging, side_staging):
                        schemas.drop_schema(conn, schema)  # leftovers of a killed build
                        schemas.create_schema(conn, schema)
                    sql_files.run_sql(conn, staging, "001_tables.sql")
                    if distributed:
                        distribute.distribute_tables(conn, staging, shard_count)
                    if source:
                        import_build.prepare(conn, staging, side_staging, source)
                    else:
                        sql_files.run_sql(conn, side_staging, "002_truth_tables.sql")
                    keys.pause_autovacuum(conn, staging)

                if source:
                    start_date, end_date = _import(conn, staging, side_staging,
                                                   source, sessions, steps, rows)
                else:
                    start_date, end_date = params.start_date, params.end_date
                    _generate(conn, staging, side_staging, params, chunk_orders,
                              sessions, steps, rows)

                # the lifetime value models' imports (scipy: 0.18 s) are made
                # in a thread while the server adds the keys and makes the
                # views, not after them (the step's own import then waits
                # for this one, or finds it done)
                threading.Thread(target=importlib.import_module,
                                 args=(CLV_MODULE,), daemon=True).start()
                with steps.step("analyze, keys and indexes"):
                    keys.add_keys(conn, staging, TABLES, sessions,
                                  distribute.KEY_FILES if distributed
                                  else keys.KEY_FILES)

                with steps.step("build info"):
                    sql_files.set_search_path(conn, staging)
                    conn.execute(
                        "insert into build_info (seed, scale, start_date, end_date, "
                        "generator_version) values (%s, %s, %s, %s, %s)",
                        [None if source else params.seed,
                         None if source else params.scale, start_date, end_date,
                         __version__])
                    if source:
                        conn.execute(
                            "update build_info set source_file = %s, mapping = %s, "
                            "currency = %s",
                            [source.path.name, params.mapping or source.mapping.name,
                             source.mapping.currency])
                    write_known(conn, source.known() if source
                                else GENERATED_KNOWS)
                with steps.step("views"):
                    # the quality checks' one pass over the fact tables is made
                    # beside the views (both only read the tables)
                    quality.create_inputs(conn, staging)
                    views.create_views(conn, staging, params.min_pair_orders, sessions,
                                       alongside=quality.refresh_tasks(staging),
                                       every_pair=not source, distributed=distributed,
                                       clv=(params.clv_holdout_weeks,
                                            params.clv_horizon_days))
                with steps.step("customer lifetime value"):
                    # imported here (or by the thread above): the models
                    # load scipy, which a caller that only checks a build's
                    # size (check_room, before a book) does not need
                    clv_tables = importlib.import_module(CLV_MODULE)
                    fitted = clv_tables.write(conn, staging)
                for part, seconds in fitted.seconds.items():
                    steps.seconds[part] = seconds
                    steps.report(part, depth=1)
                with steps.step("quality checks"):
                    # raises QualityGateFailed before the swap: the live schemas stay
                    quality.create_checks(conn, staging,
                                          side_staging if source else None)
                    try:
                        quality.run_checks(conn, staging, sessions, refresh=False)
                    except quality.QualityGateFailed:
                        echo(f"  quality gate failed: schema {params.schema!r} was "
                             "not replaced")
                        raise

                with steps.step("vacuum"):
                    # the keys step kept autovacuum off the tables while they were
                    # indexed and read; one vacuum of every table and view now marks
                    # their pages all-visible (index-only scans) and leaves
                    # autovacuum nothing to do while the chapters read them
                    sessions.run({relation: (functools.partial(
                        schemas.vacuum, schema=staging, relation=relation), ())
                        for relation in TABLES + views.STORED + quality.CHECK_INPUTS})
                    keys.resume_autovacuum(conn, staging)

                with steps.step("swap in"):
                    sql_files.set_search_path(conn, staging)
                    conn.execute("update build_info set build_seconds = %s",
                                 [round(time.perf_counter() - started, 2)])
                    # the other kind's side schema (a generated warehouse's truth,
                    # an imported one's lines) would describe another warehouse
                    schemas.swap_in(conn, [(params.schema, staging),
                                           (side, side_staging)], drop=[stale])
        except BaseException as error:
            # a failed or interrupted build (Ctrl-C) drops what it wrote,
            # while it still holds the family's locks; a quality gate's
            # staging schema is kept for a look (its message names it) and
            # dropped by the next build of any schema
            if not locked or isinstance(error, quality.QualityGateFailed):
                raise
            dropped = _drop_staging(lock_conn, url, params.schema,
                                    (staging, side_staging))
            if isinstance(error, psycopg.OperationalError):
                raise BuildStopped(params.schema, error, url,
                                   dropped) from None
            raise
    report = BuildReport(params, rows, steps.seconds,
                         time.perf_counter() - started,
                         clv_customers=fitted.customers)
    echo(f"built schema {params.schema!r} in {report.total_seconds:.1f} s: "
         + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    return report


def _drop_staging(lock_conn: psycopg.Connection, url: str | None,
                  schema: str, names: tuple[str, ...]) -> bool:
    """Drop a failed build's staging schemas ``names`` while its session
    ``lock_conn`` holds the family's locks, or, that session lost (the
    server restarted), from a new one that takes them; False when neither
    can."""
    try:
        for name in names:
            schemas.drop_schema(lock_conn, name)
        return True
    except psycopg.Error:
        pass
    try:
        with connect(url, autocommit=True) as conn:
            if not schemas.try_lock(conn, schema):
                return False  # another build of it began: its own now
            for name in names:
                schemas.drop_schema(conn, name)
            return True
    except (psycopg.Error, DatagenError):
        return False


def _generate(conn, staging: str, truth_staging: str, params: BuildParams,
              chunk_orders: int | None, sessions: SessionPool, steps: Steps,
              rows: dict[str, int]) -> None:
    """The generated shop: the plan's dimensions, facts and truth."""
    with steps.step("generate dimensions"):
        plan = generate.plan(params)
        dims = plan.dimensions
    with steps.step("copy dimensions"):
        for table, frame in dims.items():
            rows[table] = copy_text.copy_frame(conn, staging, table, frame)

    with steps.step("generate order timing"):
        block_orders = chunk_orders or plan.block_orders()
    with steps.step("orders and lines (overlapped)"):
        rows.update(fact_load.load_facts(
            conn, staging, plan, sessions, block_orders,
            seconds=steps.seconds))
    steps.report("generate orders and lines", depth=1)
    steps.report("copy orders and lines", depth=1)

    with steps.step("copy truth"):
        for table, frame in plan.truth_tables().items():
            copy_text.copy_frame(conn, truth_staging, table, frame)


def _import(conn, staging: str, import_staging: str,
            source: import_build.Source, sessions: SessionPool,
            steps: Steps, rows: dict[str, int]):
    """The imported shop: its lines read, judged and made a star; returns
    the data period."""
    with steps.step("read and copy source lines"):
        lines = import_build.copy_lines(conn, import_staging, source,
                                        sessions)
    with steps.step("judge each line"):
        import_build.judge_lines(conn, import_staging, sessions)
    with steps.step("orders, lines and dimensions"):
        rows.update(import_build.build_star(conn, staging, import_staging,
                                            source, lines, sessions))
    return import_build.data_period(conn, staging)


#: a generated shop knows every capability
GENERATED_KNOWS = {name: (True, "generated") for name in CAPABILITIES}


def write_known(conn, known: dict[str, tuple[bool, str]]) -> None:
    """``data_known``: what the data knows, per capability (the search path
    on the warehouse being built)."""
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into data_known (capability, known, how) "
            "values (%s, %s, %s)",
            [(name, known[name][0], known[name][1])
             for name in CAPABILITIES])


def tune_session(conn) -> None:
    """The build's memory and planner settings, for one of its sessions."""
    conn.execute("select set_config('work_mem', %s, false), "
                 "set_config('random_page_cost', %s, false)",
                 [SQL_WORK_MEM, SQL_RANDOM_PAGE_COST])
