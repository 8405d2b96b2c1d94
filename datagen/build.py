"""The build: generate, load into a fresh schema, check, swap in.

Owns the order of the steps. The warehouse is written into
``<schema>__new`` (and ``<schema>_truth__new``) and only at the end, in one
transaction, replaces the live schemas, so an interrupted or failed build
leaves the previous warehouse as it was. An advisory lock per schema keeps
two builds of the same schema from mixing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
import time
from typing import Callable

import pandas as pd
from psycopg import sql

from . import __version__, calendar, catalog, customers, facts, items
from . import keys, load, orders, quality, spec, views
from .db import connect
from .lanes import Lanes
from .params import BuildParams

#: orders generated and copied per block (does not change the data): an
#: eighth of the orders, so that generating the next block overlaps with
#: copying this one at any scale, within these bounds (memory, per-block
#: overhead)
CHUNK_ORDERS_BOUNDS = (10_000, 100_000)
BLOCKS_AT_LEAST = 8
#: memory per sort or hash for the views and checks: the server's default,
#: 4MB, sends their million-row sorts to temporary files; 256MB let the
#: planner pick hash aggregates of a million orders at scale 10, slower
#: than streaming them in order (views and checks 15 s -> 11 s with 64MB)
SQL_WORK_MEM = "64MB"
#: cost of a random page read against a sequential one for the build's
#: session (the server's default, 4, is for spinning disks): the warehouse
#: is read from memory, and with 4 the planner hashed the lines of a small
#: warehouse (scale 1: 190 ms) where streaming both fact tables through
#: their primary keys takes 84 ms; the keys' foreign key checks and the
#: views gain alike (scale 1: server time 1.45 s -> 1.29 s, scale 10:
#: 13.3 s -> 10.8 s)
SQL_RANDOM_PAGE_COST = "1.1"
TABLES = ("dim_date", "dim_channel", "dim_customer", "dim_product",
          *facts.FACT_TABLES)
#: tables whose autovacuum the keys step turns off until the build vacuums
#: them
AUTOVACUUM_PAUSED = ("dim_customer", "fact_order", "fact_order_item")


@dataclasses.dataclass
class BuildReport:
    params: BuildParams
    rows: dict[str, int]
    seconds: dict[str, float]   # per step; overlapped steps also in parts
    total_seconds: float        # wall-clock time of the whole build


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


def build(params: BuildParams, url: str | None = None,
          chunk_orders: int | None = None,
          echo: Callable[[str], None] = _stderr) -> BuildReport:
    """Build the warehouse described by ``params``; returns what it did."""
    steps = Steps(echo)
    staging = params.schema + load.STAGING_SUFFIX
    truth_staging = params.truth_schema + load.STAGING_SUFFIX
    rows: dict[str, int] = {}
    started = time.perf_counter()
    with connect(url, autocommit=True) as lock_conn, \
            connect(url, autocommit=True) as conn, \
            Lanes(url, setup=tune_session) as lanes:
        echo(f"building schema {params.schema!r}: seed={params.seed} "
             f"scale={params.scale:g} {params.start_date}..{params.end_date}")
        if not load.try_lock(lock_conn, params.schema):
            echo(f"  another build of schema {params.schema!r} is running; "
                 "waiting for it to finish")
            load.lock(lock_conn, params.schema)
        tune_session(conn)

        with steps.step("prepare schemas"):
            for schema in (staging, truth_staging):
                load.drop_schema(conn, schema)  # leftovers of a killed build
                load.create_schema(conn, schema)
            load.run_sql(conn, staging, "001_tables.sql")
            load.run_sql(conn, truth_staging, "002_truth_tables.sql")

        with steps.step("generate dimensions"):
            pool = customers.pools(params.seed)
            cat = catalog.generate(params.seed, params.start_date,
                                   params.end_date)
            cust = customers.generate(params.seed, params.scale,
                                      params.start_date, params.end_date, pool)
            dims = {
                "dim_date": calendar.dim_date(params.start_date,
                                              params.end_date),
                "dim_channel": channels(),
                "dim_customer": cust.table,
                "dim_product": cat.products,
            }
        with steps.step("copy dimensions"):
            for table, frame in dims.items():
                rows[table] = load.copy_frame(conn, staging, table, frame)

        with steps.step("generate order timing"):
            ords = orders.generate(params.seed, params.start_date,
                                   params.end_date, cust)
            basket = items.prepare(params.seed, params.start_date,
                                   params.end_date, ords, cust, cat)
        with steps.step("orders and lines (overlapped)"):
            rows.update(facts.load_facts(
                conn, staging, basket, lanes,
                chunk_orders or block_size(len(ords)), seconds=steps.seconds))
        steps.report("generate orders and lines", depth=1)
        steps.report("copy orders and lines", depth=1)

        with steps.step("copy truth"):
            for table, frame in truth_tables(params, cust, cat).items():
                load.copy_frame(conn, truth_staging, table, frame)

        with steps.step("analyze, keys and indexes"):
            keys.add_keys(conn, staging, TABLES, lanes)

        with steps.step("build info"):
            load.set_search_path(conn, staging)
            conn.execute(
                "insert into build_info (seed, scale, start_date, end_date, "
                "generator_version) values (%s, %s, %s, %s, %s)",
                [params.seed, params.scale, params.start_date,
                 params.end_date, __version__])
        with steps.step("views"):
            # the quality checks' one pass over the fact tables is made
            # beside the views (both only read the tables)
            quality.create_inputs(conn, staging)
            views.create_views(conn, staging, params.min_pair_orders, lanes,
                               alongside=quality.refresh_tasks(staging))
        with steps.step("quality checks"):
            # raises QualityGateFailed before the swap: the live schemas stay
            quality.create_checks(conn, staging)
            try:
                quality.run_checks(conn, staging, lanes, refresh=False)
            except quality.QualityGateFailed:
                echo(f"  quality gate failed: schema {params.schema!r} was "
                     "not replaced")
                raise

        with steps.step("vacuum"):
            # the keys step kept autovacuum off the tables while they were
            # indexed and read; one vacuum of every table and view now marks
            # their pages all-visible (index-only scans) and leaves
            # autovacuum nothing to do while the chapters read them
            lanes.run({relation: (functools.partial(
                load.vacuum, schema=staging, relation=relation), ())
                for relation in TABLES + views.VIEWS + quality.CHECK_INPUTS})
            for table in AUTOVACUUM_PAUSED:
                conn.execute(sql.SQL(
                    "alter table {} reset (autovacuum_enabled)").format(
                        sql.Identifier(staging, table)))

        with steps.step("swap in"):
            load.set_search_path(conn, staging)
            conn.execute("update build_info set build_seconds = %s",
                         [round(time.perf_counter() - started, 2)])
            load.swap_in(conn, [(params.schema, staging),
                                (params.truth_schema, truth_staging)])
    report = BuildReport(params, rows, steps.seconds,
                         time.perf_counter() - started)
    echo(f"built schema {params.schema!r} in {report.total_seconds:.1f} s: "
         + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    return report


def tune_session(conn) -> None:
    """The build's memory and planner settings, for one of its sessions."""
    conn.execute("select set_config('work_mem', %s, false), "
                 "set_config('random_page_cost', %s, false)",
                 [SQL_WORK_MEM, SQL_RANDOM_PAGE_COST])


def block_size(n_orders: int) -> int:
    low, high = CHUNK_ORDERS_BOUNDS
    return max(low, min(high, -(-n_orders // BLOCKS_AT_LEAST)))


def channels() -> pd.DataFrame:
    return pd.DataFrame({
        "channel_id": range(1, len(spec.CHANNELS) + 1),
        "channel_name": [c[0] for c in spec.CHANNELS],
        "channel_group": [c[1] for c in spec.CHANNELS],
    })


def truth_tables(params: BuildParams, cust: customers.Customers,
                 cat: catalog.Catalogue) -> dict[str, pd.DataFrame]:
    """What was planted, for the chapter that checks the methods."""
    personas = list(spec.PERSONAS)
    persona_rows = pd.DataFrame([
        {"persona": name, "share": p["share"],
         "repeat_orders_per_year": p["repeat_rate"],
         "mean_lines_per_order": 1 + p["extra_lines"],
         "price_sensitivity": p["price_sensitivity"],
         "promo_propensity": p["promo"],
         "mean_lifetime_days": p["lifetime"]}
        for name, p in spec.PERSONAS.items()])
    seasons = pd.DataFrame(
        [(category, month, multiplier)
         for category, peaks in spec.CATEGORY_SEASONS.items()
         for month, multiplier in peaks.items()],
        columns=["category", "peak_month", "multiplier"])
    parameters = pd.DataFrame([
        ("seed", params.seed, "seed of the generator"),
        ("scale", params.scale, "scale factor (1 = about 10,000 customers)"),
        ("start_date", params.start_date, "first day of the data"),
        ("end_date", params.end_date, "last day of the data"),
        ("annual_signup_growth", spec.ANNUAL_SIGNUP_GROWTH,
         "yearly growth of new sign-ups (fraction)"),
        ("annual_price_inflation", spec.ANNUAL_PRICE_INFLATION,
         "yearly growth of list prices (fraction)"),
        ("annual_cost_inflation", spec.ANNUAL_COST_INFLATION,
         "yearly growth of unit costs (fraction)"),
        ("bundle_order_share", spec.BUNDLE_ORDER_SHARE,
         "share of orders that contain a planted bundle"),
        ("cancel_rate", spec.CANCEL_RATE, "share of orders cancelled"),
        ("return_rate", spec.RETURN_RATE,
         "base share of orders returned (before persona and fashion)"),
    ], columns=["name", "value", "description"])
    return {
        "customer_persona": pd.DataFrame({
            "customer_id": cust.table["customer_id"].to_numpy(),
            "persona": [personas[p] for p in cust.persona]}),
        "persona": persona_rows,
        "bundle": cat.bundles,
        "seasonal_category": seasons,
        "parameter": parameters,
    }
