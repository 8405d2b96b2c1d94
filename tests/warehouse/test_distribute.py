"""The warehouse on a Citus cluster (coordinator and two workers started by
the suite, ``citus_url``): distributed as book/guide/scaling_out.md says,
the same rows as on one node, and no join between the facts through the
coordinator."""

from __future__ import annotations

import hashlib
import re

import psycopg
import pytest

from conftest import WHEN_MADE, data_checksums
from datagen.bench import p3_queries
from datagen.warehouse import (
    distribute,
    maintain,
    quality,
    sql_files,
    views,
)

#: columns that say when and how fast a build ran, not what it holds
RUN_COLUMNS = {"build_info": ("built_at", "build_seconds"),
               "quality_check": ("checked_at",), **WHEN_MADE}
#: the shards of a distributed table: the facts, and the views' tables of
#: one row per order or customer distributed with them
FACT_SHARD = re.compile(r"Scan on (fact_order|fact_order_item|"
                        r"int_order_totals|int_customer_orders)_\d+")
#: chapter queries whose subplans read the customers' views on the workers
#: for a bounded number of customers: each shard's part of the truth
#: check's fixed random sample (at most needs.TRUTH_CUSTOMERS rows a
#: shard), which the check of a plan cannot count. (The customers' scores
#: and tiers are materialized views on the coordinator: the Lorenz curve
#: and the top customers read them there.)
SAMPLED = {"11_truth_check:rfm_personas"}
#: checks whose subplans bring fact rows to the coordinator that only their
#: rule selects: the orders dated outside the data period, and the lines of
#: the orders that quality_order_lines flagged (none in a good warehouse)
VIOLATIONS_ONLY = {"qc_dates_in_period", "qc_order_totals_match_lines"}

pytestmark = pytest.mark.cluster


@pytest.fixture
def cluster(citus_url):
    with psycopg.connect(citus_url, autocommit=True) as connection:
        yield connection


def relations(conn, schema: str) -> list[str]:
    """Every table and view of ``schema`` (stored or plain), but the gate's
    checks (their results are in quality_check)."""
    return [r[0] for r in conn.execute(
        "select relname from pg_class where relnamespace = %s::regnamespace "
        "and (relkind in ('r', 'm', 'p') or relkind = 'v' "
        r"and relname not like 'qc\_%%') order by 1", [schema])]


def contents(conn, schema: str, relation: str) -> str:
    """md5 of the rows in a fixed order, less their run columns."""
    skip = list(RUN_COLUMNS.get(relation, ()))
    columns = [r[0] for r in conn.execute(
        "select attname from pg_attribute where attrelid = %s::regclass "
        "and attnum > 0 and not attisdropped and attname <> all(%s) "
        "order by attnum", [f'"{schema}"."{relation}"', skip])]
    listed = ", ".join(f'"{c}"' for c in columns)
    digest = hashlib.md5()
    with conn.cursor().copy(f'copy (select {listed} from "{schema}".'
                            f'"{relation}" order by {listed}) to stdout'
                            ) as copy:
        for data in copy:
            digest.update(data)
    return digest.hexdigest()


def equal_builds(conn, cluster, schema: str, beside: str = "_truth") -> None:
    """The schema and the one beside it (its truth, or an import's source
    lines) equal on one node and on the cluster, relation for relation."""
    for side in (schema, schema + beside):
        names = relations(conn, side)
        assert names == relations(cluster, side)
        for relation in names:
            assert contents(cluster, side, relation) == \
                contents(conn, side, relation), f"{side}.{relation}"


def test_the_build_is_distributed(cluster, citus_warehouse):
    schema = citus_warehouse()
    tables = dict(cluster.execute(
        "select logicalrelid::regclass::text, partmethod::text || ':' || "
        "coalesce(column_to_column_name(logicalrelid, partkey), '') || "
        "':' || colocationid from pg_dist_partition "
        "where logicalrelid::regclass::text like %s", [f"{schema}.%"]))
    assert {t.split(".")[1] for t in tables} == set(
        distribute.REFERENCE_TABLES + distribute.DISTRIBUTED_TABLES
        + distribute.CO_LOCATED_VIEWS + distribute.REFERENCE_VIEWS)
    for table in distribute.REFERENCE_TABLES + distribute.REFERENCE_VIEWS:
        assert tables[f"{schema}.{table}"].startswith("n::")
    orders, *others = (tables[f"{schema}.{t}"] for t in (
        *distribute.DISTRIBUTED_TABLES, *distribute.CO_LOCATED_VIEWS))
    assert orders.startswith("h:customer_id:")
    assert others == [orders] * 3  # the lines and the two views with them
    # the per-order and per-customer rows are on the workers, not the
    # coordinator
    assert cluster.execute(
        "select count(*) from citus_shards where table_name = %s::regclass",
        [f"{schema}.int_customer_orders"]).fetchone()[0] == \
        distribute.DEFAULT_SHARD_COUNT
    shards = cluster.execute(
        "select count(*) from pg_dist_shard where logicalrelid = %s::regclass",
        [f"{schema}.fact_order"]).fetchone()[0]
    assert shards == distribute.DEFAULT_SHARD_COUNT


def test_the_facts_keys_hold_the_customer(cluster, citus_warehouse):
    keys = {r[0].replace(f"{citus_warehouse()}.", "") for r in cluster.execute(
        "select pg_get_constraintdef(oid) from pg_constraint "
        "where conrelid = any(%s::regclass[]) and contype in ('p', 'u', 'f')",
        [[f"{citus_warehouse()}.{t}" for t in distribute.DISTRIBUTED_TABLES]])}
    assert "PRIMARY KEY (customer_id, order_id)" in keys
    assert "PRIMARY KEY (customer_id, order_id, line_number)" in keys
    assert "UNIQUE (customer_id, order_number)" in keys
    assert ("FOREIGN KEY (order_id, customer_id) "
            "REFERENCES fact_order(order_id, customer_id)") in keys


def test_every_table_and_view_equals_one_node(conn, cluster, warehouse,
                                              citus_warehouse):
    schema = warehouse()
    assert citus_warehouse() == schema
    equal_builds(conn, cluster, schema)


def test_every_table_and_view_equals_one_node_at_scale_5(
        conn, cluster, warehouse, citus_warehouse):
    schema = warehouse(scale=5)
    assert citus_warehouse(scale=5) == schema
    equal_builds(conn, cluster, schema)


def test_a_refresh_on_the_cluster_equals_its_full_build(cluster, citus_url):
    """Issue 12 on the cluster: the refresh's temporary tables meet the
    distributed facts, and the result is the full build's, table for table
    and view for view."""
    from datagen.params import parse_params
    from datagen.warehouse.build import build
    from datagen.warehouse.refresh import refresh
    quiet = dict(url=citus_url, echo=lambda line: None)
    for schema, end in (("c_refreshed", "2024-11-27"), ("c_full", "2024-12-03")):
        build(parse_params(dict(seed=7, scale=0.3, end_date=end,
                                schema=schema)), **quiet)
    report = refresh("c_refreshed", "2024-12-03", **quiet)
    assert report.rows["orders"] > 0 and report.rows["status_changes"] > 0
    refreshed, full = (data_checksums(cluster, schema)
                       for schema in ("c_refreshed", "c_full"))
    assert len(refreshed) >= 20
    assert [k for k in refreshed if refreshed[k] != full.get(k)] == []
    assert refreshed == full
    assert cluster.execute("select end_date::text from c_refreshed.build_info"
                           ).fetchone() == ("2024-12-03",)


@pytest.mark.real_data
def test_an_import_on_the_cluster_equals_one_node(conn, cluster, pg_url,
                                                 citus_url, tmp_path):
    """A shop's export (the real file's first 20,000 lines) imported on the
    cluster: the same star, views and line outcomes as on one node."""
    import gzip
    import itertools

    import real_data

    from datagen.params import parse_params
    from datagen.warehouse.build import build
    from datagen.warehouse.import_build import Source
    source = tmp_path / "retail_head.csv"
    with gzip.open(real_data.real_file(), "rt", encoding="latin-1") as whole:
        source.write_text("".join(itertools.islice(whole, 20_001)),
                          encoding="latin-1")
    for url in (pg_url, citus_url):
        build(parse_params(dict(schema="c_imported")), url=url,
              echo=lambda line: None,
              source=Source.open(source, "online-retail"))
    assert cluster.execute("select count(*) from c_imported.fact_order_item"
                           ).fetchone()[0] > 10_000
    equal_builds(conn, cluster, "c_imported", beside="_import")


def test_the_gate_finds_a_key_the_cluster_does_not_enforce(cluster,
                                                           citus_warehouse):
    """An order_id held by orders of two customers (in two shards): every
    key of the cluster allows it, the gate does not."""
    from datagen.warehouse import quality
    schema = citus_warehouse()
    sql_files.set_search_path(cluster, schema)
    with cluster.transaction():
        cluster.execute("""
            insert into fact_order
            select order_id, order_number || '-X', customer_id + 1,
                channel_id, order_date_key, order_ts, order_status,
                cancelled_ts, returned_ts,
                items_subtotal, discount_amount, shipping_amount,
                tax_amount, order_total
            from fact_order
            where order_id = (select min(order_id) from fact_order)""")
        cluster.execute("set search_path to public")  # as a reader has it
        found = quality.run_check(cluster, schema, "qc_unique_keys", "")
        assert found.violations == 1
        assert found.first_rows[0].startswith(
            "key_name=fact_order (order_id), key_value=")
        raise psycopg.Rollback()


def _nodes(plan: str) -> list[tuple[int, str, list[str]]]:
    """The plan's nodes as (indent, first line, the lines below it)."""
    lines = plan.splitlines()
    found = []
    for i, line in enumerate(lines):
        text = line.lstrip()
        if i and not text.startswith("->  "):
            continue
        indent = len(line) - len(text)
        below = []
        for later in lines[i + 1:]:
            if len(later) - len(later.lstrip()) <= indent:
                break
            below.append(later.strip())
        found.append((indent, text.removeprefix("->  "), below))
    return found


def coordinator_pulls(plan: str) -> list[str]:
    """What in an EXPLAIN of the cluster brings a fact table's rows to the
    coordinator: a repartition between workers, or a distributed subplan
    (an intermediate result on the coordinator) whose worker tasks read a
    fact table and return its rows (not an aggregate, or one per order)."""
    found = [line.strip() for line in plan.splitlines()
             if re.search(r"Repartition|MapMergeJob|MERGE", line)]
    for _, head, below in _nodes(plan):
        if not head.startswith("Distributed Subplan"):
            continue
        for i, line in enumerate(below):
            if not line.startswith("Node: host="):
                continue
            top = below[i + 1].removeprefix("->  ")
            task = below[i + 1:]
            # the task's own plan: up to the next task or subplan
            ends = [j for j, later in enumerate(task) if later.startswith(
                ("->  Task", "Task Count", "->  Distributed Subplan"))]
            task = task[:ends[0]] if ends else task
            if not any(FACT_SHARD.search(line) for line in task):
                continue
            group = next((line for line in task[1:2]
                          if line.startswith("Group Key")), "")
            if "Aggregate" not in top or "order_id" in group \
                    or "customer_id" in group:
                found.append(f"{head}: {top} reading "
                             f"{FACT_SHARD.search(' '.join(task)).group(1)}")
    return found


def _explain(conn, schema: str, query: str) -> str:
    sql_files.set_search_path(conn, schema)
    return "\n".join(r[0] for r in conn.execute(
        "explain (costs off) " + query))


def test_the_check_of_a_plan_can_fail(cluster, citus_warehouse):
    """The facts joined on order_id alone: Citus refuses to plan it, or
    (through a materialized CTE) brings the orders to the coordinator."""
    schema = citus_warehouse()
    with pytest.raises(psycopg.errors.InternalError,
                       match="requires repartitioning"):
        _explain(cluster, schema, """
            select fact_order.order_id, sum(fact_order_item.net_amount)
            from fact_order join fact_order_item using (order_id)
            group by 1""")
    pulled = coordinator_pulls(_explain(cluster, schema, """
        with orders as materialized (select order_id from fact_order)
        select orders.order_id, sum(fact_order_item.net_amount)
        from orders join fact_order_item using (order_id)
        group by 1"""))
    assert pulled and "fact_order" in pulled[0]
    assert coordinator_pulls(_explain(cluster, schema, """
        select fact_order.order_id, sum(fact_order_item.net_amount)
        from fact_order join fact_order_item using (order_id, customer_id)
        group by 1""")) == []


def view_queries(conn, schema: str) -> dict[str, str]:
    """The query of every view: the materialized ones and the maintained
    tables (the views contract and what the gate reads; a maintained
    table's query from its file, in full) and the gate's qc_ views."""
    found = dict(conn.execute(
        "select relname, pg_get_viewdef(oid) from pg_class "
        "where relnamespace = %s::regnamespace and relkind in ('m', 'v') "
        "order by 1", [schema]).fetchall())
    for name in (*views.view_files(distributed=True), quality.INPUTS_FILE):
        if maintain.is_maintained(name):
            found[maintain.relation(name)] = maintain.query(name)
    return found


def chapter_queries(schema: str) -> dict[str, str]:
    """Every ``%%sql`` query of the chapters of a generated book, its
    templates filled (what P3 of the benchmark times)."""
    truth = f'"{schema}_truth"'
    return {name: p3_queries.filled(query, truth)
            for name, query in p3_queries.chapter_queries()}


def test_no_view_joins_the_facts_through_the_coordinator(cluster,
                                                         citus_warehouse):
    schema = citus_warehouse()
    queries = view_queries(cluster, schema)
    assert {"vw_daily_revenue", "qc_line_keys_match_order"} <= set(queries)
    pulled = {name: coordinator_pulls(_explain(cluster, schema, query))
              for name, query in queries.items()}
    assert {name for name, why in pulled.items() if why} \
        == VIOLATIONS_ONLY, pulled


def test_no_chapter_query_joins_the_facts_through_the_coordinator(
        cluster, citus_warehouse):
    schema = citus_warehouse()
    queries = chapter_queries(schema)
    assert len(queries) > 20
    pulled = {name: coordinator_pulls(_explain(cluster, schema, query))
              for name, query in queries.items()}
    assert {name for name, why in pulled.items() if why} == \
        SAMPLED, pulled
