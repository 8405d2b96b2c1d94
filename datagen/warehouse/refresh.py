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
was, and readers see the old state until the commit; a server that fails
under it (a full disk, a crash) is one line (``build.BuildStopped``). The
advisory locks of the schema's family (``schemas.try_lock``) keep a build
and a refresh of the same schema apart. The new date is checked as a
build's end date is (``params.check_period``: less than 20 years after the
start; ``build.check_room``: a size the generator holds, the days it adds
on the embedded server's disk) before anything changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from collections.abc import Callable

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from .. import __version__, generate
from ..generate import changes, customers, dates
from ..generate import feed as feed_files
from ..params import (
    BuildParams,
    ParamError,
    check_period,
    parse_date,
    parse_params,
)
from ..server import connect
from . import (
    clv_tables,
    copy_binary,
    copy_text,
    distribute,
    maintain,
    quality,
    schemas,
    views,
)
from .build import BuildStopped, Steps, check_room, tune_session


@dataclasses.dataclass
class RefreshReport:
    schema: str
    from_date: dt.date
    to_date: dt.date
    rows: dict[str, int]        # rows appended or changed, by kind
    seconds: float
    steps: dict[str, float]     # seconds of each step


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def refresh(schema: str, to_date=None, url: str | None = None,
            echo: Callable[[str], None] = _stderr,
            feed_folder: str | None = None) -> RefreshReport | None:
    """Bring the generated warehouse ``schema`` forward to ``to_date``, or by
    the feed in ``feed_folder`` (``datagen export``) to the feed's last day;
    None when it is already as of that date (nothing changes)."""
    feed = manifest = None
    if feed_folder is not None:     # read whole before the database
        feed, manifest = feed_files.read(feed_folder)
        if to_date is not None and parse_date("to", to_date) != feed.to:
            raise ParamError("to", f"the feed's last day, {feed.to} (or "
                             "left out with --feed)", str(to_date))
        to_date = feed.to
    elif to_date is None:
        raise ParamError("to", "a date written YYYY-MM-DD", to_date)
    to_date = parse_date("to", to_date)
    started = time.perf_counter()
    with connect(url, autocommit=True) as lock_conn, \
            connect(url, autocommit=True) as conn:
        if not schemas.try_lock(lock_conn, schema):
            echo(f"  a build or refresh of schema {schema!r} is running; "
                 "waiting for it to finish")
            schemas.lock(lock_conn, schema)
        params = _params(conn, schema, to_date)
        if distribute.is_distributed(conn):
            distribute.check_cluster(conn)  # every worker, before anything
        since = as_of(conn, schema)
        if manifest is not None:
            _check_feed(manifest, feed, params, since, schema)
        if to_date == since:
            echo(f"schema {schema!r} is already as of {since}: nothing to do")
            return None
        echo(f"refreshing schema {schema!r}: as of {since} -> {to_date}")
        steps = Steps(echo)
        tune_session(conn)
        try:
            with conn.transaction():
                if feed is None:
                    with steps.step(f"generate as of {to_date}"):
                        feed = changes.changes(generate.plan(params), since)
                with steps.step("apply the changes"):
                    apply_feed(conn, schema, feed)
                    conn.execute(sql.SQL(
                        "update {}.build_info set end_date = %s, refreshed_from "
                        "= %s, refreshed_at = now()").format(
                            sql.Identifier(schema)), [to_date, since])
                with steps.step("views"):
                    _changed_keys(conn, schema, feed)
                    views.refresh_changed(conn, schema)
                    maintain.update(conn, schema, quality.INPUTS_FILE)
                with steps.step("customer lifetime value"):
                    # fitted again on all the days: equal to a full build
                    clv_tables.write(conn, schema)
                with steps.step("quality checks"):
                    try:
                        quality.run_checks(conn, schema, refresh=False,
                                           changed_only=True)
                    except quality.QualityGateFailed:
                        echo(f"  quality gate failed: schema {schema!r} was "
                             f"left as of {since}")
                        raise
                conn.execute(sql.SQL(
                    "update {}.build_info set refresh_seconds = %s").format(
                        sql.Identifier(schema)),
                    [round(time.perf_counter() - started, 2)])
        except psycopg.OperationalError as error:  # rolled back: as it was
            raise BuildStopped(schema, error, url, None,
                               "refreshing") from None
    rows = feed.rows()
    report = RefreshReport(schema, since, to_date, rows,
                           time.perf_counter() - started, steps.seconds)
    echo(f"refreshed schema {schema!r} to {to_date} in "
         f"{report.seconds:.1f} s: " + ", ".join(
             f"{kind} {n:,}" for kind, n in rows.items()))
    return report


def warehouse_params(conn: psycopg.Connection, schema: str) -> BuildParams:
    """The build parameters of the generated warehouse ``schema`` (its
    ``end_date``: the date it is as of), or a one-line error naming why it
    is not one this generator can bring forward."""
    found = conn.execute(
        "select 1 from information_schema.tables where table_schema = %s "
        "and table_name = 'build_info'", [schema]).fetchone()
    if not found:
        raise ParamError("schema", "a warehouse built in this database "
                         "(build it first: python -m datagen build)", schema)
    row = conn.execute(sql.SQL(
        "select seed, scale, start_date, end_date, generator_version, "
        "setting.min_pair_orders, setting.clv_holdout_weeks, "
        "setting.clv_horizon_days "
        "from {}.build_info cross join {}.analysis_setting as setting"
    ).format(sql.Identifier(schema), sql.Identifier(schema))).fetchone()
    seed, scale, start, end, version, min_pair_orders, weeks, days = row
    if seed is None:
        raise ParamError("schema", "a generated warehouse (an imported one "
                         "has no later days to add)", schema)
    if version != __version__:
        raise ParamError("schema", f"built by this generator ({__version__}; "
                         f"it was built by {version}): build it again",
                         schema)
    return parse_params(seed=seed, scale=float(scale), start_date=start,
                        end_date=end, schema=schema,
                        min_pair_orders=min_pair_orders,
                        clv_holdout_weeks=weeks, clv_horizon_days=days)


def _params(conn: psycopg.Connection, schema: str,
            to_date: dt.date) -> BuildParams:
    """The build parameters of ``schema`` as of ``to_date``, or a one-line
    error naming why it cannot be refreshed there."""
    built = warehouse_params(conn, schema)
    start, end = built.start_date, built.end_date
    if to_date < start:
        raise ParamError("to", f"a date on or after the data's start, "
                         f"{start}", to_date.isoformat())
    if to_date < end:
        raise ParamError("to", f"on or after {end}, the date schema "
                         f"{schema!r} is already as of (a refresh goes "
                         "forward only; build it again as of an earlier "
                         "date)", to_date.isoformat())
    check_period(start, to_date, name="to")
    params = dataclasses.replace(built, end_date=to_date)
    check_room(params, since=end, name="to")
    return params


def _check_feed(manifest: dict, feed: changes.Feed, params: BuildParams,
                since: dt.date, schema: str) -> None:
    """The feed must be of this shop and start the day after ``since``."""
    shop = shop_of(params)
    if manifest.get("shop") != shop:
        raise ParamError("feed", f"a feed of the shop of schema {schema!r} "
                         f"({shop}; the feed is of {manifest.get('shop')})",
                         "feed.json")
    if manifest.get("generator_version") != __version__:
        raise ParamError("feed", f"written by this generator ({__version__})",
                         manifest.get("generator_version"))
    if feed.since != since and feed.to != since:
        raise ParamError("feed", f"a feed of the days after {since}, the "
                         f"date schema {schema!r} is as of (this one covers "
                         f"{manifest.get('days')})", "feed.json")


def shop_of(params: BuildParams) -> dict:
    """What identifies a generated shop (the same shop at any as-of date)."""
    return {"seed": params.seed, "scale": params.scale,
            "start_date": params.start_date.isoformat()}


def as_of(conn: psycopg.Connection, schema: str) -> dt.date:
    return conn.execute(sql.SQL("select end_date from {}.build_info").format(
        sql.Identifier(schema))).fetchone()[0]


def apply_feed(conn: psycopg.Connection, schema: str,
               feed: changes.Feed) -> None:
    """The feed's events, applied to the warehouse ``schema`` as of
    ``feed.since`` (in the caller's transaction)."""
    t = feed.tables
    truth = f"{schema}_truth"
    copy_text.copy_frame(conn, schema, "dim_date", dates.dim_date(
        feed.since + dt.timedelta(days=1), feed.to))

    # customers: the new ones as they signed up, then every new version in
    # the history, each customer's versions re-linked, and dim_customer set
    # to the current one
    columns = copy_text.column_names(t["customers"])
    current_columns = [c for c in columns
                       if c not in customers.HISTORY_ONLY + ("event_date",)]
    copy_text.copy_frame(conn, schema, "dim_customer",
                         t["customers"].select(current_columns))
    versions = pa.concat_tables([t["customers"], t["customer_changes"]])
    n = versions.num_rows
    copy_text.copy_frame(conn, schema, "dim_customer_history", versions.drop_columns(
        ["event_date"]).append_column("valid_to", pa.nulls(n, pa.date32())
        ).append_column("is_current", pa.repeat(True, n)))
    touched = pc.unique(versions["customer_id"]).to_pylist()
    history = sql.Identifier(schema, "dim_customer_history")
    conn.execute(sql.SQL("""
        with ordered as (
            select customer_id, customer_version,
                   lead(valid_from) over (partition by customer_id
                                          order by valid_from) as next_from
            from {history} where customer_id = any(%(touched)s)
        )
        update {history} as target
        set valid_to = ordered.next_from,
            is_current = ordered.next_from is null
        from ordered
        where target.customer_id = ordered.customer_id
          and target.customer_version = ordered.customer_version
          and target.valid_to is distinct from ordered.next_from""").format(
        history=history), {"touched": touched})
    conn.execute(sql.SQL("""
        update {customers} as target set {columns}
        from {history} as version
        where version.customer_id = any(%(touched)s) and version.is_current
          and target.customer_id = version.customer_id""").format(
        customers=sql.Identifier(schema, "dim_customer"), history=history,
        columns=sql.SQL(", ").join(sql.SQL("{} = version.{}").format(
            sql.Identifier(c), sql.Identifier(c))
            for c in current_columns if c != "customer_id")),
        {"touched": touched})

    # products: each one's last row of the feed
    products = t["products"].to_pandas().drop_duplicates(
        "product_id", keep="last").drop(columns=["event_date"])
    if len(products):
        _upsert(conn, schema, "dim_product", products, ["product_id"])

    # orders as placed, their lines, then the status changes
    for table, name in (("fact_order", "orders"),
                        ("fact_order_item", "order_lines")):
        _copy_binary(conn, schema, table, t[name].drop_columns(
            ["event_date"]))
    status = t["status_changes"]
    if status.num_rows:
        staged = _temporary(
            conn, "refresh_status", "order_id bigint, customer_id integer, "
            "order_status text, changed_at timestamp",
            status.drop_columns(["event_date"]))
        conn.execute(sql.SQL("""
            update {orders} as target
            set order_status = changed.order_status,
                cancelled_ts = case when changed.order_status = 'cancelled'
                                    then changed.changed_at end,
                returned_ts = case when changed.order_status = 'returned'
                                   then changed.changed_at end
            from {staged} as changed
            where target.order_id = changed.order_id
              and target.customer_id = changed.customer_id""").format(
            orders=sql.Identifier(schema, "fact_order"), staged=staged))

    # the truth: the new customers' personas, the as-of date
    copy_text.copy_frame(conn, truth, "customer_persona",
                         t["truth_customer_persona"].drop_columns(
                             ["event_date"]))
    conn.execute(sql.SQL("update {} set value = %s where name = 'end_date'"
                         ).format(sql.Identifier(truth, "parameter")),
                 [feed.to.isoformat()])


def _changed_keys(conn: psycopg.Connection, schema: str,
                  feed: changes.Feed) -> None:
    """The temporary tables that say where the views must be made again:
    ``refresh_orders`` (the orders added or changed, and whether each was
    completed before the refresh: ``was_completed``), ``refresh_days`` (the
    new days and those of the changed orders), ``refresh_months``, and
    ``refresh_customers`` (those with a new version) for the gate."""
    _temporary(conn, "refresh_orders",
               "order_id bigint primary key, customer_id integer",
               _distinct(feed, ("orders", "status_changes"),
                         ["order_id", "customer_id"]))
    # whether each was completed before the refresh: int_order_totals is
    # still as of then (the views are brought up to date after this)
    conn.execute(sql.SQL("""
        alter table refresh_orders
        add column was_completed boolean not null default false;
        update refresh_orders set was_completed = true
        from {totals} as totals
        where totals.order_id = refresh_orders.order_id
          and totals.order_status = 'completed'""").format(
        totals=sql.Identifier(schema, "int_order_totals")))
    _temporary(conn, "refresh_customers", "customer_id integer primary key",
               _distinct(feed, ("customers", "customer_changes"),
                         ["customer_id"]))
    for table in ("refresh_orders", "refresh_customers"):
        conn.execute(sql.SQL("analyze {}").format(sql.Identifier(table)))
    changed_days(conn, schema, feed.since)


def changed_days(conn: psycopg.Connection, schema: str,
                 since: dt.date) -> None:
    """``refresh_days`` (the days after ``since`` and those of the orders
    of ``refresh_orders``) and ``refresh_months`` (their months), temporary
    tables, analyzed."""
    conn.execute(sql.SQL("""
        create temporary table refresh_days on commit drop as
        select full_date as order_date from {dates} where full_date > %(since)s
        union
        select order_ts::date from {orders}
        where order_id in (select order_id from refresh_orders)""").format(
        dates=sql.Identifier(schema, "dim_date"),
        orders=sql.Identifier(schema, "fact_order")), {"since": since})
    conn.execute("create temporary table refresh_months on commit drop as "
                 "select distinct date_trunc('month', order_date)::date "
                 "as month from refresh_days")
    for table in ("refresh_days", "refresh_months"):
        conn.execute(sql.SQL("analyze {}").format(sql.Identifier(table)))


def _distinct(feed: changes.Feed, tables: tuple[str, ...],
              columns: list[str]) -> pa.Table:
    """The distinct values of ``columns`` over the feed's ``tables``."""
    return pa.concat_tables([feed.tables[name].select(columns)
                             for name in tables]).group_by(columns).aggregate(
                                 [])


def _copy_binary(conn: psycopg.Connection, schema: str, table: str,
                 rows: pa.Table) -> None:
    if not rows.num_rows:
        return
    types = copy_binary.column_types(conn, schema, table)
    statement = copy_text.copy_statement(schema, table, rows.column_names,
                                         "format binary")
    with conn.cursor().copy(statement) as copy:
        copy.write(copy_binary.encode(rows, types))


def _temporary(conn: psycopg.Connection, name: str, columns: str,
               rows) -> sql.Identifier:
    """``rows`` copied into a new temporary table ``name`` (its ``columns``
    as SQL), dropped at the commit."""
    conn.execute(sql.SQL("create temporary table {} ({}) on commit drop"
                         ).format(sql.Identifier(name), sql.SQL(columns)))
    copy_text.copy_frame(conn, "pg_temp", name, rows)
    return sql.Identifier(name)


def _upsert(conn: psycopg.Connection, schema: str, table: str, rows,
            key: list[str]) -> None:
    """Insert ``rows`` into ``table``, updating those whose ``key`` is there."""
    columns = copy_text.column_names(rows)
    name = f"refresh_{table}"
    staged = sql.Identifier(name)
    conn.execute(sql.SQL("create temporary table {} on commit drop as "
                         "select {} from {} limit 0").format(
        staged, sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier(schema, table)))
    # (its money as the table's: csv_bytes knows it by the table's name)
    copy_text.copy_csv(conn, "pg_temp", name, columns,
                       copy_text.csv_bytes(table, rows))
    conn.execute(sql.SQL("insert into {} ({}) select {} from {} "
                         "on conflict ({}) do update set {}").format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(map(sql.Identifier, columns)), staged,
        sql.SQL(", ").join(map(sql.Identifier, key)),
        sql.SQL(", ").join(sql.SQL("{} = excluded.{}").format(
            sql.Identifier(c), sql.Identifier(c))
            for c in columns if c not in key)))
