"""The data-quality gate: each check catches its corruption, loudly, and a
build that fails the gate leaves the previous warehouse byte-identical.

Corruptions are made on a copy of a small generated warehouse whose tables
keep their CHECK constraints but not their foreign keys (as a warehouse
loaded by hand might be); where a CHECK would stop the bad row it is dropped
first, as the issue asks. Each corruption runs in a transaction that is
rolled back, so the copy stays clean for the next.
"""

from __future__ import annotations

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from conftest import schema_checksums as checksums
from datagen.generate import lines
from datagen.params import parse_params
from datagen.warehouse import clv_tables, quality, schemas, sql_files, views
from datagen.warehouse.build import TABLES, build

SOURCE = dict(seed=5, scale=0.1, schema="qgate_source")
COPY = "qgate_copy"
COPIED = TABLES + ("build_info", "data_known")


@pytest.fixture(scope="module")
def db(pg_url, warehouse):
    """A copy of a small warehouse with its views and checks, search path
    set to it; the gate passes on it as copied."""
    source = warehouse(**SOURCE)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        schemas.drop_schema(conn, COPY)
        schemas.create_schema(conn, COPY)
        for table in COPIED:
            conn.execute(sql.SQL(
                "create table {copy}.{t} (like {src}.{t} including all); "
                "insert into {copy}.{t} select * from {src}.{t}").format(
                    copy=sql.Identifier(COPY), src=sql.Identifier(source),
                    t=sql.Identifier(table)))
        views.create_views(conn, COPY, min_pair_orders=5)
        clv_tables.write(conn, COPY)
        quality.create_checks(conn, COPY)
        results = quality.run_checks(conn, COPY)
        assert results and all(r.passed for r in results)
        sql_files.set_search_path(conn, COPY)
        yield conn
        schemas.drop_schema(conn, COPY)


def one(conn, query):
    return conn.execute(query).fetchone()[0]


def gate_failure(conn, statements: list[str],
                 refresh: bool = True) -> quality.QualityGateFailed:
    """Apply the corruption, refresh the views (as a build would make them
    from these rows), run the gate and return its error; roll back."""
    with conn.transaction():
        for statement in statements:
            conn.execute(statement)
        if refresh:
            views.refresh(conn, COPY)
            clv_tables.write(conn, COPY)
        with pytest.raises(quality.QualityGateFailed) as error:
            quality.run_checks(conn, COPY)
        recorded = dict(conn.execute(
            "select check_name, passed from quality_check").fetchall())
        assert recorded == {r: r not in {f.name for f in error.value.failed}
                            for r in recorded}
        raise psycopg.Rollback()
    return error.value


#: a completed order whose lines span several days of checks
SOME_ORDER = """(select min(order_id) from fact_order
                 where order_status = 'completed'
                   and order_ts::date < (select max(full_date) - 1
                                         from dim_date))"""
SOME_CANCELLED = """(select min(order_id) from fact_order
                     where order_status = 'cancelled')"""
#: a customer whose details changed, the first version at least two days
CHANGED_CUSTOMER = """(select min(customer_id) from dim_customer_history
                       where customer_version = 1
                         and valid_to >= valid_from + 2)"""
#: a customer with completed orders on at least two different days
REPEAT_CUSTOMER = """(select customer_id from fact_order
                      group by customer_id
                      having count(distinct order_ts::date) >= 2
                      order by customer_id limit 1)"""

CORRUPTIONS = {
    "order_totals_match_lines": [
        # the CHECK on order_total still holds: only the lines disagree
        f"""update fact_order set items_subtotal = items_subtotal + 1,
            order_total = order_total + 1 where order_id = {SOME_ORDER}"""],
    "line_net_amount": [
        "alter table fact_order_item drop constraint "
        "fact_order_item_net_adds_up",
        f"""update fact_order_item set net_amount = net_amount + 0.01
            where order_id = {SOME_ORDER} and line_number = 1"""],
    "completed_order_has_lines": [
        f"""update fact_order set items_subtotal = 0, discount_amount = 0,
            order_total = shipping_amount + tax_amount
            where order_id = {SOME_ORDER}""",
        f"delete from fact_order_item where order_id = {SOME_ORDER}"],
    "order_after_signup": [
        f"""update dim_customer set signup_date = (
                select max(order_ts)::date from fact_order
                where customer_id = {REPEAT_CUSTOMER})
            where customer_id = {REPEAT_CUSTOMER}"""],
    "order_date_key_matches_ts": [
        "alter table fact_order drop constraint "
        "fact_order_date_key_matches_ts",
        f"""update fact_order set order_ts = order_ts + interval '1 day'
            where order_id = {SOME_ORDER}"""],
    "order_status_values": [
        "alter table fact_order drop constraint fact_order_order_status_check",
        "alter table fact_order drop constraint "
        "fact_order_status_has_its_time",
        f"""update fact_order set order_status = 'shipped'
            where order_id = {SOME_CANCELLED}"""],
    "orphan_keys": [
        f"""update fact_order set channel_id = 99
            where order_id = {SOME_CANCELLED}"""],
    "line_keys_match_order": [
        f"""update fact_order_item set customer_id = (
                select min(customer_id) from dim_customer
                where customer_id <> fact_order_item.customer_id)
            where order_id = {SOME_ORDER} and line_number = 1"""],
    "dates_in_period": [
        """update dim_customer set signup_date = signup_date - 4000
           where customer_id = (select min(customer_id) from dim_customer)"""],
    "customer_history_no_overlap": [
        f"""update dim_customer_history set valid_to = valid_to + 1
            where customer_id = {CHANGED_CUSTOMER} and customer_version = 1"""],
    "customer_history_no_gap": [
        f"""update dim_customer_history set valid_to = valid_to - 1
            where customer_id = {CHANGED_CUSTOMER} and customer_version = 1"""],
    "customer_history_one_current": [
        # no current version: closed without a successor
        "alter table dim_customer_history drop constraint "
        "dim_customer_history_current_is_open",
        f"""update dim_customer_history set is_current = false
            where customer_id = {CHANGED_CUSTOMER} and is_current"""],
    "customer_history_matches_current": [
        f"""update dim_customer_history set city = city || ' (old)'
            where customer_id = {CHANGED_CUSTOMER} and is_current"""],
    "status_changes_by_as_of": [
        """update fact_order set returned_ts = (
                select end_date + 3 from build_info)
           where order_id = (select min(order_id) from fact_order
                             where order_status = 'returned')"""],
    "row_counts": [
        "delete from fact_order_item", "delete from fact_order"],
    "one_row_tables": [
        "insert into build_info select * from build_info"],
    "unique_keys": [
        "alter table fact_order drop constraint fact_order_order_number_key",
        f"""update fact_order set order_number = (
                select max(order_number) from fact_order)
            where order_id = {SOME_CANCELLED}"""],
}


#: checks that a corruption breaks as well as its own: a line moved to
#: another customer is no longer among its order's lines (joined on
#: (order_id, customer_id), as on a Citus cluster), which then do not add up
ALSO_FAILING = {"line_keys_match_order": ["order_totals_match_lines"],
                # a sign-up date changed in dim_customer alone: its current
                # version disagrees, and its first no longer starts then
                "order_after_signup": ["customer_history_matches_current",
                                       "customer_history_no_gap"],
                "dates_in_period": ["customer_history_matches_current",
                                    "customer_history_no_gap"]}


@pytest.mark.parametrize("check", CORRUPTIONS)
def test_each_check_catches_its_corruption_and_only_it(db, check):
    error = gate_failure(db, CORRUPTIONS[check])
    failing = sorted([check, *ALSO_FAILING.get(check, [])])
    assert sorted(f.name for f in error.failed) == failing
    message = str(error)
    assert f"check {check}:" in message
    assert message.splitlines()[0].startswith(
        f"quality gate failed in schema '{COPY}': {len(failing)} of ")
    assert error.failed[0].first_rows  # the offending rows are shown
    assert len(message.splitlines()) <= 1 + len(failing) * (
        1 + quality.SAMPLE_ROWS)


def test_a_lifetime_value_table_out_of_step_with_its_customers_fails(db):
    """vw_customer_clv is written by Python after the views: the gate
    checks it against int_clv_summary (a customer lost, a history changed,
    a table left full when no model was fitted)."""
    for corruption in (
            ["delete from vw_customer_clv where customer_id = "
             "(select min(customer_id) from vw_customer_clv)"],
            ["update vw_customer_clv set frequency = frequency + 1 "
             "where customer_id = (select min(customer_id) "
             "from vw_customer_clv)"],
            ["delete from clv_model_parameters"]):
        error = gate_failure(db, corruption, refresh=False)
        assert [f.name for f in error.failed] == ["customer_clv"], corruption


def test_an_inserted_order_whose_total_does_not_match_fails_loudly(db):
    order_id = one(db, f"select {SOME_ORDER}")
    error = gate_failure(db, [
        "alter table fact_order drop constraint fact_order_total_adds_up",
        # a new order, with lines, whose total is one cent off
        f"""insert into fact_order
            select order_id + 1000000000, order_number || '-X', customer_id,
                   channel_id, order_date_key, order_ts, order_status,
                   cancelled_ts, returned_ts, items_subtotal,
                   discount_amount, shipping_amount, tax_amount,
                   order_total + 0.01
            from fact_order where order_id = {order_id}""",
        f"""insert into fact_order_item
            select order_id + 1000000000, line_number, customer_id,
                   order_date_key, product_id, quantity, unit_price,
                   unit_cost, discount_amount, net_amount
            from fact_order_item where order_id = {order_id}"""])
    assert [f.name for f in error.failed] == ["order_total_formula"]
    message = str(error)
    assert "order_total_formula" in message.splitlines()[0]
    assert f"order_id={order_id + 1_000_000_000}" in message
    assert "order_total = items_subtotal - discount_amount" in message


def test_views_that_disagree_with_the_base_tables_fail_the_gate(db):
    # the views were materialized before this order was (validly) returned:
    # they still count its revenue, the base tables no longer do
    error = gate_failure(db, [
        f"""update fact_order set order_status = 'returned',
                   returned_ts = order_ts + interval '1 day'
            where order_id = {SOME_ORDER}"""], refresh=False)
    assert [f.name for f in error.failed] == ["revenue_reconciles"]
    assert error.failed[0].violations == 6  # every revenue view
    assert "view_name=vw_category_margin_monthly" in str(error)


def test_results_are_kept_for_the_book(db, warehouse):
    rows = db.execute(sql.SQL(
        "select check_name, description, violations, passed, checked_at "
        "from {}.quality_check order by check_name").format(
            sql.Identifier(warehouse(**SOURCE)))).fetchall()
    names = [r[0] for r in rows]
    assert set(CORRUPTIONS) | {"order_total_formula", "revenue_reconciles",
                               "customer_clv"} == set(names)
    assert all(r[1] and r[2] == 0 and r[3] for r in rows)


def test_a_build_that_fails_the_gate_leaves_the_previous_warehouse(
        pg_url, conn, monkeypatch):
    params = parse_params(seed=8, scale=0.1, schema="qgate_live")
    quiet = dict(url=pg_url, echo=lambda line: None)
    build(params, **quiet)
    before = checksums(conn, params.schema, params.truth_schema)
    assert len(before) >= 10

    real_block = lines.block

    def corrupted_block(*args, **kwargs):
        block = real_block(*args, **kwargs)
        # the row CHECKs hold, the lines do not add up to the subtotal
        orders = block.orders
        for column in ("items_subtotal", "order_total"):
            cents = orders[column].to_numpy().copy()
            cents[0] += 100
            orders = orders.set_column(orders.column_names.index(column),
                                       column, pa.array(cents))
        return lines.Block(orders, block.items)
    monkeypatch.setattr(lines, "block", corrupted_block)
    other = parse_params(seed=9, scale=0.1, schema="qgate_live")
    with pytest.raises(quality.QualityGateFailed,
                       match="order_totals_match_lines"):
        build(other, **quiet)
    assert checksums(conn, params.schema, params.truth_schema) == before
    staging = params.schema + schemas.STAGING_SUFFIX
    failed = conn.execute(sql.SQL(
        "select check_name from {}.quality_check where not passed").format(
            sql.Identifier(staging))).fetchall()
    assert failed == [("order_totals_match_lines",)]

    # the next good build cleans the leftovers and swaps in
    monkeypatch.setattr(lines, "block", real_block)
    build(other, **quiet)
    assert checksums(conn, params.schema, params.truth_schema) != before
    assert one(conn, sql.SQL("select seed from {}.build_info").format(
        sql.Identifier(params.schema))) == 9
    leftovers = conn.execute(
        "select nspname from pg_namespace where nspname like %s",
        ["qgate_live%__new"]).fetchall()
    assert leftovers == []
    for schema in (params.schema, params.truth_schema):
        schemas.drop_schema(conn, schema)
