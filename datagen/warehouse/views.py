"""The analytic views: which ``sql/`` files make them, in which order.

Owns the views contract (book/guide/data_model.md) inside a warehouse
schema: the ``analysis_setting`` row the views read (thresholds that are build
parameters) and the view files, run after the keys and indexes. A view that
aggregates the facts is stored, filled when the build creates it, so the
book reads it at the cost of a small table at any scale, and the quality
gate checks the very rows the book shows: a table that a refresh keeps up
to date where the data changed (``maintain``: the intermediates that sum
orders, channels, products per month, customers, cohorts and product
pairs), or a materialized view of them that a refresh recomputes (the
lifetime value models' summary and the data profile, which move with the
as-of date and are read whole, and the customers' RFM scores and value
tiers). The scores and tiers are made from stored intermediates that a
refresh keeps small: each customer's orders, and the customers' ranks per
value of recency, frequency and monetary value (a new order moves the
ranks of many customers, but of few values), through the plain view
``int_customer_ranks``; they are stored because the chapters read them
six times and more (at scale 20 each read ranked 183,222 customers again,
0.2-0.3 s). A unique index on each stored view's grain holds the grain.

``int_order_totals`` (an intermediate, not in the contract) sums the lines
per order once; the order-grain views read it instead of joining the lines
again each. Each view is analyzed as soon as it is made, so that the views
built from it are planned with its statistics. The views that do not read
each other are made side by side (``sessions``), the longest chain first,
and so are the indexes of one view; what a view reads is taken from its
SQL.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ..params import DEFAULTS
from . import distribute, maintain, schemas, sql_files
from .parallel import SessionPool

SETTING_FILE = "020_analysis_setting.sql"
#: in dependency order
VIEW_FILES = (
    "021_int_order_totals.sql",
    "022_vw_daily_revenue.sql",
    "023_int_channel_months.sql",
    "024_vw_revenue_by_channel.sql",
    "025_int_product_months.sql",
    "026_vw_revenue_by_category.sql",
    "027_vw_category_margin_monthly.sql",
    "028_int_customer_orders.sql",
    "029_int_cohort_activity.sql",
    "030_vw_customer_rfm_base.sql",
    "031_int_recency_ranks.sql",
    "032_int_frequency_ranks.sql",
    "033_int_monetary_ranks.sql",
    "034_int_customer_ranks.sql",
    "035_vw_customer_rfm_scores.sql",
    "036_vw_customer_ltv_segments.sql",
    "037_vw_cohort_retention.sql",
    "039_int_product_pairs.sql",
    "040_vw_product_pairs.sql",
    "041_vw_product_association_rules.sql",
    "042_int_repeat_pairs.sql",
    "043_vw_pair_customers.sql",
    "045_int_clv_summary.sql",
    "044_vw_data_profile.sql",
)


def view_name(name: str) -> str:
    """``citus/039_int_product_pairs.sql`` -> ``int_product_pairs``."""
    return name.rpartition("/")[2][4:-4]


VIEWS = tuple(map(view_name, VIEW_FILES))
#: the views that hold rows (vacuumed after a build); the others are plain
#: views of them
STORED = tuple(view_name(name) for name in VIEW_FILES
               if maintain.is_stored(name))
#: started before the others when they are ready at once: the longest chain
#: of the views on a source with many products (the rules read the pairs),
#: so that the short views fill the other sessions beside it
LONGEST_FIRST = ("int_product_pairs", "vw_product_pairs",
                 "vw_product_association_rules")


#: how the comment of an index that only a refresh reads begins
REFRESH_ONLY = "-- for a refresh only"


def view_files(distributed: bool) -> tuple[str, ...]:
    """``VIEW_FILES`` as a build runs them: on a Citus cluster
    (``distributed``) a file's variant in ``sql/citus/`` where there is
    one."""
    return tuple(sql_files.for_server(name, distributed)
                 for name in VIEW_FILES)


def reads(name: str) -> tuple[str, ...]:
    """The views of ``VIEWS`` that the view file ``name`` reads (its
    queries' relations, parsed by ``sql_files.reads``)."""
    own, read = view_name(name), sql_files.reads(name)
    return tuple(view for view in VIEWS if view != own and view in read)


def create_views(conn: psycopg.Connection, schema: str,
                 min_pair_orders: int, sessions: SessionPool | None = None,
                 alongside: dict | None = None,
                 every_pair: bool = True, distributed: bool = False,
                 clv: tuple[int, int] = (DEFAULTS["clv_holdout_weeks"],
                                         DEFAULTS["clv_horizon_days"])
                 ) -> None:
    """Write the settings row, then create every view in ``schema``, those
    that do not read each other side by side on ``sessions`` (if given), with
    the independent tasks ``alongside`` (for ``SessionPool.run``) among them.
    ``every_pair``: int_product_pairs keeps every pair (a warehouse that a
    refresh can bring forward), else only those at the threshold.
    ``distributed``: the build is on a Citus cluster (``view_files``).
    ``clv``: the customer lifetime value's holdout (weeks) and horizon
    (days)."""
    sql_files.run_sql(conn, schema, SETTING_FILE)
    conn.execute("insert into analysis_setting (min_pair_orders, "
                 "min_pair_orders_kept, clv_holdout_weeks, clv_horizon_days) "
                 "values (%s, %s, %s, %s)",
                 [min_pair_orders, 1 if every_pair else min_pair_orders,
                  *clv])

    files = dict(zip(VIEWS, view_files(distributed)))
    spread = distribute.CO_LOCATED_VIEWS + distribute.REFERENCE_VIEWS
    made = {view: _view_tasks(schema, files[view], view,
                              distributed and view in spread,
                              refreshed=every_pair)
            for view in VIEWS}
    tasks = {}
    for view in _first(LONGEST_FIRST, files):
        create, *indexes = made[view].items()
        # a view waits for the indexes of the views it reads too: it is
        # planned as it was when each file ran whole
        tasks[view] = (create[1], tuple(
            task for read in reads(files[view]) for task in made[read]))
        tasks.update({task: (index, (view,)) for task, index in indexes})
    (sessions or SessionPool.inline(conn)).run({**tasks, **(alongside or {})})


def _first(views: tuple[str, ...], files: dict[str, str]) -> list[str]:
    """Every view in an order that puts each after the views it reads and
    ``views`` (with what they read) as early as that allows."""
    order: list[str] = []

    def place(view: str) -> None:
        if view not in order:
            for read in reads(files[view]):
                place(read)
            order.append(view)
    for view in (*views, *VIEWS):
        place(view)
    return order


def _run(statement: str, schema: str, analyze: str | None = None):
    def task(session: psycopg.Connection) -> None:
        sql_files.set_search_path(session, schema)
        session.execute(statement)
        if analyze:
            schemas.analyze(session, schema, analyze)
    return task


def _distributed(name: str, schema: str, view: str):
    """The table of file ``name`` made empty, distributed on the Citus
    cluster (``distribute.distribute_view``), filled and analyzed."""
    def task(session: psycopg.Connection) -> None:
        sql_files.set_search_path(session, schema)
        session.execute(maintain.create_empty(name))
        distribute.distribute_view(session, schema, view)
        session.execute(maintain.insert(name))
        schemas.analyze(session, schema, view)
    return task


def _view_tasks(schema: str, name: str, view: str,
                distributed: bool = False, refreshed: bool = True) -> dict:
    """``{task: function}``: the view of file ``name`` made and analyzed
    (``distributed``: spread over a Citus cluster), then each of its
    indexes a task of its own (built side by side); without those that
    only a refresh reads (``REFRESH_ONLY``) when none can come
    (``refreshed`` false: an import)."""
    create, *indexes = sql_files.statements(sql_files.sql_file(name))
    tasks = {view: _distributed(name, schema, view) if distributed else _run(
        create, schema, analyze=view if maintain.is_stored(name) else None)}
    for number, statement in enumerate(indexes, start=1):
        if refreshed or not statement.startswith(REFRESH_ONLY):
            tasks[f"{view} index {number}"] = _run(statement, schema)
    return tasks


def refresh(conn: psycopg.Connection, schema: str,
            min_pair_orders: int | None = None) -> None:
    """Recompute the views in full, in dependency order (after a change of
    the setting or of the data)."""
    if min_pair_orders is not None:
        conn.execute(sql.SQL(
            "update {}.analysis_setting set min_pair_orders = %(orders)s, "
            "min_pair_orders_kept = least(min_pair_orders_kept, %(orders)s)"
        ).format(sql.Identifier(schema)), {"orders": min_pair_orders})
    for name in view_files(distribute.is_distributed(conn)):
        maintain.recompute(conn, schema, name)


def refresh_changed(conn: psycopg.Connection, schema: str) -> None:
    """Bring the views up to date after a refresh (``refresh_orders``,
    ``refresh_days`` and ``refresh_months`` say what changed): each
    maintained view where the data changed, each other one in full, in
    dependency order. (They are not analyzed again: their statistics
    survive a recompute, and a few days change them little; autovacuum
    analyzes them when enough has changed.)"""
    for name in view_files(distribute.is_distributed(conn)):
        maintain.update(conn, schema, name)
