"""The incremental refresh: a warehouse as of one day brought forward to a
later one, equal to a full build as of that day.

Owns ``refresh``. The generator is causal (``generate``): the warehouse as
of E is the warehouse as of D plus what happened in (D, E]. So a refresh
draws the plan as of E and applies only that difference to the live
schema: the new days, customers, orders and lines are appended; the
customers who changed get their new current row and their history's new
versions; the products their prices and status of the day; the orders of
the last return window whose cancellation or return arrived in (D, E]
their new status and its time. Then the views are brought up to date
(``views.refresh_changed``) and the quality gate runs.

Everything happens in one transaction on one session: a refresh that is
interrupted (even killed) or fails its gate leaves the warehouse as it
was, and readers see the old state until the commit. An advisory lock per
schema keeps a build and a refresh of the same schema apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import psycopg
from psycopg import sql

from .. import __version__, generate
from ..generate import planted
from ..params import BuildParams, ParamError, parse_date, parse_params
from ..server import connect
from . import copy_binary, copy_text, quality, schemas, views


@dataclasses.dataclass
class RefreshReport:
    schema: str
    from_date: dt.date
    to_date: dt.date
    rows: dict[str, int]        # rows appended or changed, by kind
    seconds: float


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def refresh(schema: str, to_date, url: str | None = None,
            echo: Callable[[str], None] = _stderr) -> RefreshReport | None:
    """Bring the generated warehouse ``schema`` forward to ``to_date``;
    None when it is already as of that date (nothing changes)."""
    to_date = parse_date("to", to_date)
    started = time.perf_counter()
    with connect(url, autocommit=True) as lock_conn, \
            connect(url, autocommit=True) as conn:
        if not schemas.try_lock(lock_conn, schema):
            echo(f"  a build or refresh of schema {schema!r} is running; "
                 "waiting for it to finish")
            schemas.lock(lock_conn, schema)
        params = _params(conn, schema, to_date)
        since = _as_of(conn, schema)
        if to_date == since:
            echo(f"schema {schema!r} is already as of {since}: nothing to do")
            return None
        echo(f"refreshing schema {schema!r}: as of {since} -> {to_date}")
        from ..warehouse.build import tune_session
        tune_session(conn)
        with conn.transaction():
            rows = _apply(conn, params, since, echo)
            conn.execute(
                sql.SQL("update {}.build_info set end_date = %s, "
                        "refreshed_from = %s, refreshed_at = now(), "
                        "refresh_seconds = %s").format(
                            sql.Identifier(schema)),
                [to_date, since, round(time.perf_counter() - started, 2)])
            step = time.perf_counter()
            views.refresh_changed(conn, schema, since)
            echo(f"  views                           "
                 f"{time.perf_counter() - step:7.2f} s")
            step = time.perf_counter()
            try:
                quality.run_checks(conn, schema)
            except quality.QualityGateFailed:
                echo(f"  quality gate failed: schema {schema!r} was left "
                     f"as of {since}")
                raise
            echo(f"  quality checks                  "
                 f"{time.perf_counter() - step:7.2f} s")
    report = RefreshReport(schema, since, to_date, rows,
                           time.perf_counter() - started)
    echo(f"refreshed schema {schema!r} to {to_date} in "
         f"{report.seconds:.1f} s: " + ", ".join(
             f"{kind} {n:,}" for kind, n in rows.items()))
    return report


def _params(conn: psycopg.Connection, schema: str,
            to_date: dt.date) -> BuildParams:
    """The build parameters of ``schema`` as of ``to_date``, or a one-line
    error naming why it cannot be refreshed there."""
    found = conn.execute(
        "select 1 from information_schema.tables where table_schema = %s "
        "and table_name = 'build_info'", [schema]).fetchone()
    if not found:
        raise ParamError("schema", "a warehouse built in this database "
                         "(build it first: python -m datagen build)", schema)
    row = conn.execute(sql.SQL(
        "select seed, scale, start_date, end_date, generator_version, "
        "(select min_pair_orders from {}.analysis_setting) "
        "from {}.build_info").format(sql.Identifier(schema),
                                    sql.Identifier(schema))).fetchone()
    seed, scale, start, end, version, min_pair_orders = row
    if seed is None:
        raise ParamError("schema", "a generated warehouse (an imported one "
                         "has no later days to add)", schema)
    if version != __version__:
        raise ParamError("schema", f"built by this generator ({__version__}; "
                         f"it was built by {version}): build it again",
                         schema)
    if to_date < start:
        raise ParamError("to", f"a date on or after the data's start, "
                         f"{start}", to_date.isoformat())
    if to_date < end:
        raise ParamError("to", f"on or after {end}, the date schema "
                         f"{schema!r} is already as of (a refresh goes "
                         "forward only; build it again as of an earlier "
                         "date)", to_date.isoformat())
    return parse_params(seed=seed, scale=float(scale), start_date=start,
                        end_date=to_date, schema=schema,
                        min_pair_orders=min_pair_orders)


def _as_of(conn: psycopg.Connection, schema: str) -> dt.date:
    return conn.execute(sql.SQL("select end_date from {}.build_info").format(
        sql.Identifier(schema))).fetchone()[0]


def _apply(conn: psycopg.Connection, params: BuildParams, since: dt.date,
           echo: Callable[[str], None]) -> dict[str, int]:
    """Append and change, in ``params.schema``, what happened after
    ``since`` up to ``params.end_date``; returns the rows by kind."""
    schema, truth = params.schema, params.truth_schema
    step = time.perf_counter()
    plan = generate.plan(params)
    dims = plan.dimensions
    n_orders = plan.n_orders
    echo(f"  generate as of {params.end_date}          "
         f"{time.perf_counter() - step:7.2f} s")
    step = time.perf_counter()
    since_ts = pd.Timestamp(since) + pd.Timedelta(days=1)  # the day after
    old_customers, old_orders = conn.execute(sql.SQL(
        "select (select count(*) from {}), (select count(*) from {})").format(
            sql.Identifier(schema, "dim_customer"),
            sql.Identifier(schema, "fact_order"))).fetchone()
    rows: dict[str, int] = {}

    # days
    dates = dims["dim_date"]
    new_dates = dates[pd.to_datetime(dates["full_date"]) >= since_ts]
    rows["days"] = copy_text.copy_frame(conn, schema, "dim_date", new_dates)

    # customers: the new ones appended, the changed ones updated, and every
    # version of both in the history
    history = dims["dim_customer_history"]
    changed = pc.greater_equal(history["valid_from"],
                               pa.scalar(since_ts.date(), pa.date32()))
    touched = pc.unique(history.filter(changed)["customer_id"])
    current = dims["dim_customer"]
    is_new = pc.greater(current["customer_id"], old_customers)
    rows["new customers"] = copy_text.copy_frame(
        conn, schema, "dim_customer", current.filter(is_new))
    old_touched = pc.filter(touched, pc.less_equal(touched, old_customers))
    rows["changed customers"] = len(old_touched)
    _update_from(conn, schema, "dim_customer", current.filter(
        pc.is_in(current["customer_id"], old_touched)), ["customer_id"])
    conn.execute(sql.SQL("delete from {} where customer_id = any(%s)").format(
        sql.Identifier(schema, "dim_customer_history")),
        [old_touched.to_pylist()])
    rows["history versions"] = copy_text.copy_frame(
        conn, schema, "dim_customer_history", history.filter(
            pc.is_in(history["customer_id"], touched)))

    # products: launched ones appended, every one at the day's price
    products = dims["dim_product"]
    rows["products"] = _upsert(conn, schema, "dim_product", products,
                               ["product_id"])

    # orders and lines placed after ``since``
    block = plan.block(old_orders, n_orders)
    for table, rows_ in (("fact_order", block.orders),
                         ("fact_order_item", block.items)):
        _copy_binary(conn, schema, table, rows_)
    rows["new orders"] = block.orders.num_rows
    rows["new lines"] = block.items.num_rows

    # status changes that arrived after ``since``: only an order of the
    # last return window before it can still change
    first = _first_order_on(plan, since - dt.timedelta(
        days=planted.RETURN_WINDOW_DAYS + 1))
    recent = plan.block(first, old_orders).orders
    arrived = pc.or_(
        pc.greater_equal(recent["cancelled_ts"].fill_null(pa.scalar(
            0, pa.timestamp("s"))), pa.scalar(since_ts, pa.timestamp("s"))),
        pc.greater_equal(recent["returned_ts"].fill_null(pa.scalar(
            0, pa.timestamp("s"))), pa.scalar(since_ts, pa.timestamp("s"))))
    late = recent.filter(arrived).select(
        ["order_id", "customer_id", "order_status", "cancelled_ts",
         "returned_ts"])
    rows["status changes"] = late.num_rows
    _update_from(conn, schema, "fact_order", late,
                 ["order_id", "customer_id"])

    # the truth: the new customers' personas, the parameters of the day
    truth_tables = plan.truth_tables()
    personas = truth_tables["customer_persona"]
    copy_text.copy_frame(conn, truth, "customer_persona",
                         personas[personas["customer_id"] > old_customers])
    conn.execute(sql.SQL("delete from {}").format(
        sql.Identifier(truth, "parameter")))
    copy_text.copy_frame(conn, truth, "parameter", truth_tables["parameter"])
    echo(f"  apply the changes               "
         f"{time.perf_counter() - step:7.2f} s")
    return rows


def _first_order_on(plan, day: dt.date) -> int:
    """Index of the first order placed on ``day`` or later."""
    index = (day - plan.params.start_date).days
    return int(np.searchsorted(plan.lines.orders.day, max(index, 0)))


def _copy_binary(conn: psycopg.Connection, schema: str, table: str,
                 rows: pa.Table) -> None:
    if not rows.num_rows:
        return
    types = copy_binary.column_types(conn, schema, table)
    statement = copy_text.copy_statement(schema, table, rows.column_names,
                                         "format binary")
    with conn.cursor().copy(statement) as copy:
        copy.write(copy_binary.encode(rows, types))


def _staged(conn: psycopg.Connection, schema: str, table: str,
            rows) -> sql.Identifier:
    """``rows`` copied into a temporary table with their columns of
    ``table``."""
    name = f"refresh_{table}"
    conn.execute(sql.SQL("create temporary table {} on commit drop as "
                         "select {} from {} limit 0").format(
        sql.Identifier(name), sql.SQL(", ").join(
            map(sql.Identifier, copy_text.column_names(rows))),
        sql.Identifier(schema, table)))
    copy_text.copy_csv(conn, "pg_temp", name, copy_text.column_names(rows),
                       copy_text.csv_bytes(table, rows))
    return sql.Identifier(name)


def _update_from(conn: psycopg.Connection, schema: str, table: str, rows,
                 key: list[str]) -> None:
    """Set every column of ``rows`` in the rows of ``table`` with the same
    ``key``."""
    if not len(rows):
        return
    staged = _staged(conn, schema, table, rows)
    columns = [c for c in copy_text.column_names(rows) if c not in key]
    conn.execute(sql.SQL("update {} as target set {} from {} as changed "
                         "where {}").format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(sql.SQL("{} = changed.{}").format(
            sql.Identifier(c), sql.Identifier(c)) for c in columns),
        staged,
        sql.SQL(" and ").join(sql.SQL("target.{} = changed.{}").format(
            sql.Identifier(c), sql.Identifier(c)) for c in key)))


def _upsert(conn: psycopg.Connection, schema: str, table: str, rows,
            key: list[str]) -> int:
    """Insert ``rows`` into ``table``, updating those whose ``key`` is there."""
    staged = _staged(conn, schema, table, rows)
    columns = copy_text.column_names(rows)
    conn.execute(sql.SQL("insert into {} ({}) select {} from {} "
                         "on conflict ({}) do update set {}").format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(map(sql.Identifier, columns)), staged,
        sql.SQL(", ").join(map(sql.Identifier, key)),
        sql.SQL(", ").join(sql.SQL("{} = excluded.{}").format(
            sql.Identifier(c), sql.Identifier(c))
            for c in columns if c not in key)))
    return len(rows)
