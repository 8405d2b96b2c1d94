"""A build into a Citus cluster: which tables are spread how, and the keys.

Owns what differs when the server has the ``citus`` extension: every worker
is reached before anything is touched (``check_cluster``), the dimensions
become reference tables (a copy on every node), and ``fact_order`` and
``fact_order_item`` are distributed by ``customer_id`` and co-located (an
order's lines in the shard of its order), with a stated number of shards.
Citus enforces a key between distributed tables only when it includes the
distribution column, so the keys of the two facts come from ``sql/citus/``
in place of ``011`` and ``012`` (``sql_files.for_server``: so do the
product pairs, counted on the workers), and ``sql/091`` checks the
uniqueness that they no longer enforce. The tables are distributed while
empty, right after they are created, so that the load stays one ``COPY``
per table, which the coordinator routes row by row to the shards.
"""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

from ..params import ParamError
from ..server import DatabaseUnavailable
from . import keys, sql_files

#: shards per distributed table unless ``--shard-count`` or ``SHARD_COUNT``
#: says otherwise (Citus' own default; README, scaling out)
DEFAULT_SHARD_COUNT = 32
MAX_SHARD_COUNT = 64000   # citus.shard_count's upper bound
REFERENCE_TABLES = ("dim_date", "dim_channel", "dim_customer",
                    "dim_customer_history", "dim_product")
#: distributed tables, the first the one the others are co-located with
DISTRIBUTED_TABLES = ("fact_order", "fact_order_item")
DISTRIBUTION_COLUMN = "customer_id"
#: the views' tables of one row per order or per customer, distributed
#: with the facts (made empty, distributed, then filled on the workers):
#: the rows that grow with the shop stay on the workers
CO_LOCATED_VIEWS = ("int_order_totals", "int_customer_orders")
#: the views' tables that the per-customer ones are joined to, copied to
#: every node (reference tables), so the workers make the joins
REFERENCE_VIEWS = ("int_recency_ranks", "int_frequency_ranks",
                   "int_monetary_ranks")
#: the key files of a distributed build: the facts' keys from sql/citus/
KEY_FILES = tuple(sql_files.for_server(name, True) for name in keys.KEY_FILES)


def parse_shard_count(value=None) -> int:
    """The shard count: ``value``, else ``SHARD_COUNT``, else 32."""
    raw = value if value not in (None, "") else (
        os.environ.get("SHARD_COUNT") or DEFAULT_SHARD_COUNT)
    allowed = f"a whole number from 1 to {MAX_SHARD_COUNT}"
    try:
        count = int(str(raw).strip())
    except ValueError:
        raise ParamError("shard_count", allowed, raw) from None
    if not 1 <= count <= MAX_SHARD_COUNT:
        raise ParamError("shard_count", allowed, raw)
    return count


def is_distributed(conn: psycopg.Connection) -> bool:
    """Whether the database of ``conn`` has the ``citus`` extension."""
    return conn.execute("select exists (select from pg_extension "
                        "where extname = 'citus')").fetchone()[0]


def check_cluster(conn: psycopg.Connection) -> int:
    """Reach every worker from the coordinator; returns how many there are.
    A worker that cannot be reached raises ``DatabaseUnavailable`` naming
    it (one line)."""
    rows = conn.execute(
        "select nodename, nodeport, success, result from "
        "run_command_on_workers('select 1') order by nodename, nodeport"
    ).fetchall()
    for name, port, success, result in rows:
        if not success:
            raise DatabaseUnavailable(
                f"Citus worker {name}:{port} is unreachable from the "
                f"coordinator ({' '.join(str(result).split())}): start it, "
                "or remove it with citus_remove_node; nothing was changed")
    return conn.execute("select count(*) from pg_dist_node where isactive "
                        "and noderole = 'primary' and groupid <> 0"
                        ).fetchone()[0]


def distribute_tables(conn: psycopg.Connection, schema: str,
                      shard_count: int) -> None:
    """Make the empty star tables of ``schema`` reference and distributed
    tables."""
    for table in REFERENCE_TABLES:
        conn.execute("select create_reference_table(%s)",
                     [sql.Identifier(schema, table).as_string(conn)])
    first = sql.Identifier(schema, DISTRIBUTED_TABLES[0]).as_string(conn)
    conn.execute("select create_distributed_table(%s, %s, "
                 "shard_count => %s)",
                 [first, DISTRIBUTION_COLUMN, shard_count])
    for table in DISTRIBUTED_TABLES[1:]:
        conn.execute("select create_distributed_table(%s, %s, "
                     "colocate_with => %s)",
                     [sql.Identifier(schema, table).as_string(conn),
                      DISTRIBUTION_COLUMN, first])


def distribute_view(conn: psycopg.Connection, schema: str,
                    table: str) -> None:
    """Distribute the empty table ``schema.table`` of a view: copied to
    every node if it is one of ``REFERENCE_VIEWS``, else (one of
    ``CO_LOCATED_VIEWS``) by customer, co-located with the facts."""
    name = sql.Identifier(schema, table).as_string(conn)
    if table in REFERENCE_VIEWS:
        conn.execute("select create_reference_table(%s)", [name])
        return
    conn.execute("select create_distributed_table(%s, %s, "
                 "colocate_with => %s)",
                 [name, DISTRIBUTION_COLUMN, sql.Identifier(
                     schema, DISTRIBUTED_TABLES[0]).as_string(conn)])


def describe(conn: psycopg.Connection, workers: int,
             shard_count: int) -> str:
    version = conn.execute("select extversion from pg_extension "
                           "where extname = 'citus'").fetchone()[0]
    return (f"  distributed on Citus {version}: {workers} worker(s), "
            f"{', '.join(DISTRIBUTED_TABLES)} by {DISTRIBUTION_COLUMN} in "
            f"{shard_count} shards, the dimensions as reference tables")
