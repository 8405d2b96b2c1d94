"""P6 cluster: the same build and chapter queries on one node and on a
Citus cluster of this machine.

Owns figure P6. A coordinator and two workers are started in a folder of
their own (``cluster.start``, what ``datagen cluster start`` runs); on each
server a whole ``build`` at the figure's scale (its steps as it reports
them), the chapter queries (``p3_queries.time_queries``), the gate's check
of the keys a cluster does not enforce (a read of its view
``qc_unique_keys``) and the facts' size on disk per node. On a 2-core
machine the three servers share the cores the one node has to itself: an
overhead, not a speed-up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from psycopg import sql

from .. import cluster, server
from ..params import parse_params
from ..warehouse.build import build
from .measure import drop_family, quiet
from .p3_queries import time_queries

TITLE = "P6 cluster"
SCALE, QUICK_SCALE = 20, 0.1
SCHEMA = "bench_cluster"
#: the facts' size: one node's relation sizes, a cluster's per worker
FACT_SIZE = """
select coalesce(sum(pg_total_relation_size(c.oid)), 0)
from pg_class c
where c.relnamespace = %s::regnamespace and c.relkind = 'r'
    and c.relname ~ '^fact_order(_item)?(_[0-9]+)?$'
"""


def _on(where: str, params, distributed: bool) -> dict:
    """Build ``params`` on the server ``where`` and measure it there."""
    report = build(params, url=where, echo=quiet)
    timings = time_queries(where, params)
    with server.connect(where, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(sql.SQL("select count(*) from {}.qc_unique_keys").format(
            sql.Identifier(params.schema)))
        unique_s = time.perf_counter() - started
        if distributed:
            sizes = dict(conn.execute(
                "select nodeport, result::bigint from "
                "run_command_on_workers(%s)",
                [FACT_SIZE.replace("%s", sql.Literal(params.schema)
                                   .as_string(conn))]).fetchall())
        else:
            sizes = {"one node": conn.execute(
                FACT_SIZE, [params.schema]).fetchone()[0]}
    return {"build_s": report.total_seconds, "steps": report.seconds,
            "orders": report.rows["fact_order"],
            "lines": report.rows["fact_order_item"],
            "queries": timings, "queries_total_s": sum(timings.values()),
            "unique_keys_check_s": unique_s, "fact_bytes_per_node": sizes}


def run(url: str, quick: bool = False) -> dict:
    reason = cluster.why_not_buildable()
    if reason:
        return {"skipped": reason}
    scale = QUICK_SCALE if quick else SCALE
    params = parse_params(dict(scale=scale, schema=SCHEMA))
    folder = Path(tempfile.mkdtemp(prefix="ewbp"))
    results = {"scale": scale}
    try:
        started = time.perf_counter()
        cluster_url = cluster.start(folder, echo=quiet)
        results["cluster_start_s"] = time.perf_counter() - started
        for label, where in (("one_node", url), ("cluster", cluster_url)):
            try:
                results[label] = _on(where, params, label == "cluster")
            finally:
                drop_family(where, SCHEMA)
    finally:
        cluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
    one, many = results["one_node"], results["cluster"]
    results["build_ratio"] = many["build_s"] / one["build_s"]
    results["queries_ratio"] = (many["queries_total_s"]
                                / one["queries_total_s"])
    return results


def lines(p6: dict) -> list[str]:
    one, many = p6["one_node"], p6["cluster"]
    found = [
        f"{TITLE}: Citus (coordinator + 2 workers on this machine's "
        f"{os.cpu_count()} cores) against one node, scale "
        f"{p6['scale']:g} ({one['orders']:,} orders, "
        f"{one['lines']:,} lines); cluster started in "
        f"{p6['cluster_start_s']:.1f} s",
        "                                      one node     cluster"
        "   ratio",
        f"  whole build                       {one['build_s']:>9.1f} s"
        f" {many['build_s']:>9.1f} s {p6['build_ratio']:>7.2f}",
        f"  chapter queries (total)           "
        f"{one['queries_total_s']:>9.1f} s "
        f"{many['queries_total_s']:>9.1f} s {p6['queries_ratio']:>7.2f}",
        f"  gate: qc_unique_keys              "
        f"{one['unique_keys_check_s']:>9.2f} s "
        f"{many['unique_keys_check_s']:>9.2f} s"]
    found += [f"    {step:<32}{one['steps'].get(step, 0):>9.2f} s"
              f" {many['steps'][step]:>9.2f} s" for step in many["steps"]]
    sizes = {**one["fact_bytes_per_node"],
             **{f"worker :{port}": size for port, size in
                many["fact_bytes_per_node"].items()}}
    return found + ["  facts on disk: " + ", ".join(
        f"{node}: {size / 2**20:,.0f} MiB" for node, size in sizes.items())]
