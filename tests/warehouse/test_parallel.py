"""Side-by-side SQL steps: dependencies, failures, real parallelism."""

from __future__ import annotations

import itertools
import threading

import psycopg
import pytest

from datagen.warehouse import keys, views
from datagen.warehouse.build import TABLES
from datagen.warehouse.parallel import SessionPool, read_ahead


def test_tasks_run_after_what_they_need(pg_url):
    finished: list[str] = []

    def task(name, seconds):
        def run(conn):
            conn.execute("select pg_sleep(%s)", [seconds])
            finished.append(name)
            return name
        return run

    with SessionPool(pg_url, sessions=2) as sessions:
        results = sessions.run({
            "slow": (task("slow", 0.3), ()),
            "fast": (task("fast", 0.0), ()),
            "after slow": (task("after slow", 0.0), ("slow",)),
            "after both": (task("after both", 0.0), ("slow", "fast")),
        })
    assert results == {name: name for name in results}
    assert finished.index("after slow") > finished.index("slow")
    assert finished[-1] == "after both" or finished[-2] == "after both"
    assert finished.index("fast") < finished.index("slow")  # side by side


def test_independent_tasks_run_at_the_same_time_on_their_own_sessions(pg_url):
    def backend(conn):
        # the server's clock before and after: no timing on the test's side
        return conn.execute(
            "select pg_backend_pid(), clock_timestamp(), pg_sleep(0.5),"
            " clock_timestamp()").fetchone()

    with SessionPool(pg_url, sessions=2) as sessions:
        got = sessions.run({"a": (backend, ()), "b": (backend, ())})
    (pid_a, start_a, _, end_a), (pid_b, start_b, _, end_b) = got["a"], got["b"]
    assert pid_a != pid_b
    assert start_a < end_b and start_b < end_a  # the two sleeps overlapped


def test_each_lane_is_set_up(pg_url):
    def setup(conn):
        conn.execute("set work_mem = '7MB'")

    with SessionPool(pg_url, setup=setup, sessions=2) as sessions:
        got = sessions.run({name: (lambda c: c.execute("show work_mem"
                                                    ).fetchone()[0], ())
                         for name in "abc"})
    assert set(got.values()) == {"7MB"}


def test_the_first_failure_is_raised_and_nothing_after_it_starts(pg_url):
    ran: list[str] = []

    def fails(conn):
        conn.execute("select 1/0")

    def runs(name, seconds=0.0):
        def run(conn):
            conn.execute("select pg_sleep(%s)", [seconds])
            ran.append(name)
        return run

    with SessionPool(pg_url, sessions=2) as sessions:
        with pytest.raises(psycopg.errors.DivisionByZero):
            sessions.run({"fails": (fails, ()),
                       "running": (runs("running", 0.3), ()),
                       "queued": (runs("queued"), ()),
                       "after": (runs("after"), ("fails",))})
    assert ran == ["running"]  # the running one finished, no other began


@pytest.mark.parametrize("tasks,message", [
    ({"a": (print, ("nowhere",))}, "unknown tasks"),
    ({"a": (print, ("b",)), "b": (print, ("a",))}, "wait on each other"),
])
def test_a_graph_that_cannot_run_is_refused(pg_url, tasks, message):
    with SessionPool(pg_url, sessions=2) as sessions, pytest.raises(ValueError,
                                                        match=message):
        sessions.run(tasks)


def test_inline_runs_in_the_order_given_on_one_connection(conn):
    seen = []
    sessions = SessionPool.inline(conn)
    sessions.run({"a": (lambda c: seen.append(c.info.backend_pid), ()),
               "b": (lambda c: seen.append(c.info.backend_pid), ("a",))})
    assert seen == [conn.info.backend_pid] * 2
    with pytest.raises(ValueError, match="before what it needs"):
        sessions.run({"b": (print, ("a",)), "a": (print, ())})


def test_views_wait_for_the_views_they_read():
    assert views.reads("021_int_order_totals.sql") == ()
    assert views.reads("035_vw_customer_rfm_scores.sql") == (
        "int_customer_ranks",)
    assert views.reads("041_vw_product_association_rules.sql") == (
        "vw_daily_revenue", "vw_product_pairs")
    for name in views.VIEW_FILES:  # in dependency order
        for view in views.reads(name):
            assert views.VIEWS.index(view) < views.VIEW_FILES.index(name)


def test_foreign_keys_wait_for_the_keys_they_point_to():
    graph = keys.tasks("any", TABLES)
    needs = {name: set(need) for name, (_, need) in graph.items()}
    assert needs["012_keys_fact_order_item.sql"] == {
        "analyze fact_order_item"}
    assert {"010_keys_dimensions.sql", "011_keys_fact_order.sql",
            "012_keys_fact_order_item.sql"} <= needs[
        "014_foreign_keys_fact_order_item.sql"]
    assert "011_keys_fact_order.sql" not in needs[
        "012_keys_fact_order_item.sql"]  # built side by side
    assert "015_validate_fact_order.sql" not in needs[
        "016_validate_fact_order_item.sql"]  # validated side by side
    assert "014_foreign_keys_fact_order_item.sql" in needs[
        "015_validate_fact_order.sql"]  # both lock fact_order


def test_read_ahead_gives_every_item_in_order_made_ahead_in_its_thread():
    made_in: list[str] = []

    def items():
        for number in range(5):
            made_in.append(threading.current_thread().name)
            yield number

    assert list(read_ahead(items())) == [0, 1, 2, 3, 4]
    assert set(made_in) == {"read-ahead"}


def test_read_ahead_raises_the_error_of_its_items_where_it_came():
    def items():
        yield 1
        raise ValueError("line 7: not a number")

    got = []
    with pytest.raises(ValueError, match="line 7"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1]


def test_read_ahead_stops_its_thread_when_the_caller_stops_early():
    made: list[int] = []

    def items():
        for number in itertools.count():
            made.append(number)
            yield number

    before = threading.active_count()
    for item in read_ahead(items(), depth=1):
        if item == 2:
            break
    assert threading.active_count() == before
    assert len(made) <= 2 + 3     # depth ahead, one waiting, one in hand
