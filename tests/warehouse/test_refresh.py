"""Issue 12: a warehouse as of D refreshed to E equals a full build as of E,
checksum for checksum; a second refresh to E changes nothing; a refresh
that is killed or fails its gate leaves the warehouse as it was; going
backwards is a one-line error."""

from __future__ import annotations

import signal
import subprocess
import sys

import psycopg
import pytest

from conftest import ROOT, data_checksums, run_cli
from datagen.generate import changes, lines
from datagen.generate import feed as feed_files
from datagen.params import ParamError
from datagen.warehouse import maintain, quality, views
from datagen.warehouse.refresh import changed_days, refresh

SCALE = 0.3
QUIET = dict(echo=lambda line: None)

#: (as of, refreshed to): what each pair crosses
PAIRS = {
    "one day": ("2024-06-10", "2024-06-11"),
    "month end": ("2024-01-31", "2024-02-01"),
    "year end": ("2023-12-30", "2024-01-02"),
    "black friday": ("2024-11-27", "2024-12-03"),
    "several months": ("2023-03-15", "2023-09-15"),
}


def everything(conn, schema):
    """Every table and view, and the build_info row: all a refresh writes."""
    return data_checksums(conn, schema), conn.execute(
        f'select end_date, refreshed_from from "{schema}".build_info'
    ).fetchone()


@pytest.mark.parametrize("pair", PAIRS)
def test_refresh_equals_a_full_build(conn, warehouse, pg_url, pair):
    since, to = PAIRS[pair]
    slug = pair.replace(" ", "_")
    schema = warehouse(seed=7, scale=SCALE, end_date=since,
                       schema=f"rf_{slug}")
    full = warehouse(seed=7, scale=SCALE, end_date=to,
                     schema=f"rf_{slug}_full")
    report = refresh(schema, to, url=pg_url, **QUIET)
    assert report.rows["orders"] > 0
    refreshed, full_sums = data_checksums(conn, schema), data_checksums(
        conn, full)
    assert len(refreshed) >= 20
    assert [k for k in refreshed if refreshed[k] != full_sums.get(k)] == []
    assert refreshed == full_sums


def test_refreshes_in_steps_equal_one(conn, warehouse, pg_url):
    schema = warehouse(seed=7, scale=SCALE, end_date="2024-02-20",
                       schema="rf_steps")
    for to in ("2024-02-21", "2024-03-01", "2024-03-31"):
        refresh(schema, to, url=pg_url, **QUIET)
    full = warehouse(seed=7, scale=SCALE, end_date="2024-03-31",
                     schema="rf_steps_full")
    assert data_checksums(conn, schema) == data_checksums(conn, full)
    # the late returns and the customers' changes did happen in the steps
    late, changed = conn.execute("""
        select (select count(*) from rf_steps.fact_order
                where returned_ts >= '2024-02-21'
                  and order_ts < '2024-02-21'),
               (select count(*) from rf_steps.dim_customer_history
                where valid_from >= '2024-02-21' and customer_version > 1)
        """).fetchone()
    assert late > 0 and changed > 0


def test_refresh_to_the_same_day_changes_nothing(conn, warehouse, pg_url):
    schema = warehouse(seed=7, scale=SCALE, end_date="2024-05-01",
                       schema="rf_twice")
    refresh(schema, "2024-05-03", url=pg_url, **QUIET)
    before = everything(conn, schema)
    assert refresh(schema, "2024-05-03", url=pg_url, **QUIET) is None
    assert everything(conn, schema) == before


@pytest.mark.parametrize("to,says", [
    ("2024-04-30", "on or after 2024-05-01, the date schema 'rf_back' is "
     "already as of"),
    ("2022-12-31", "a date on or after the data's start, 2023-01-01"),
    ("2024-13-01", "a date written YYYY-MM-DD"),
])
@pytest.mark.process
def test_going_backwards_is_a_one_line_error(conn, warehouse, pg_url, to,
                                            says):
    schema = warehouse(seed=7, scale=SCALE, end_date="2024-05-01",
                       schema="rf_back")
    before = everything(conn, schema)
    with pytest.raises(ParamError) as error:
        refresh(schema, to, url=pg_url, **QUIET)
    message = str(error.value)
    assert says in message and "\n" not in message
    assert everything(conn, schema) == before
    result = run_cli("refresh", "--schema", schema, "--to", to)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr


def test_a_refresh_that_fails_its_gate_leaves_the_warehouse(
        conn, warehouse, pg_url, monkeypatch):
    schema = warehouse(seed=7, scale=SCALE, end_date="2024-05-01",
                       schema="rf_gate")
    before = everything(conn, schema)
    real_block = lines.block

    def corrupted(*args, **kwargs):
        block = real_block(*args, **kwargs)
        # the row checks hold; the lines no longer add up to the orders
        items = block.items
        column = items.column_names.index("quantity")
        quantity = items["quantity"].to_numpy() + 1
        net = items["net_amount"].to_numpy() + items["unit_price"].to_numpy()
        items = items.set_column(column, "quantity", [quantity])
        items = items.set_column(items.column_names.index("net_amount"),
                                 "net_amount", [net])
        return lines.Block(block.orders, items)
    monkeypatch.setattr(lines, "block", corrupted)
    with pytest.raises(quality.QualityGateFailed):
        refresh(schema, "2024-05-09", url=pg_url, **QUIET)
    assert everything(conn, schema) == before


KILL_AT = ["generate as of", "apply the changes", "views"]


@pytest.mark.parametrize("marker", KILL_AT)
@pytest.mark.process
def test_a_killed_refresh_leaves_the_warehouse(conn, warehouse, marker):
    schema = warehouse(seed=7, scale=1.0, end_date="2024-05-01",
                       schema="rf_kill")
    before = everything(conn, schema)
    process = subprocess.Popen(
        [sys.executable, "-m", "datagen", "refresh", "--schema", schema,
         "--to", "2024-09-01"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if marker in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL, f"ended before {marker!r}"
    assert everything(conn, schema) == before


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
@pytest.mark.process
def test_the_feed_round_trips(conn, warehouse, pg_url, tmp_path,
                              file_format):
    """A feed exported from a later warehouse, applied to one as of its
    first day, gives the warehouse as of its last day; its tables are
    partitioned by day."""
    later = warehouse(seed=7, scale=SCALE, end_date="2024-12-31",
                      schema="rf_feed_source")
    schema = warehouse(seed=7, scale=SCALE, end_date="2024-11-20",
                       schema=f"rf_feed_{file_format}")
    full = warehouse(seed=7, scale=SCALE, end_date="2024-12-10",
                     schema="rf_feed_full")
    out = tmp_path / "feed"
    result = run_cli("export", "--schema", later, "--from", "2024-11-20",
                     "--to", "2024-12-10", "--format", file_format,
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    manifest = feed_files.manifest(out)
    assert set(manifest["tables"]) == set(changes.FEED_TABLES)
    days = sorted(p.name for p in (out / "orders").iterdir())
    assert days[0] == "event_date=2024-11-21"
    assert days[-1] == "event_date=2024-12-10" and len(days) == 20
    assert manifest["tables"]["status_changes"]["rows"] > 0
    refresh(schema, url=pg_url, feed_folder=str(out), **QUIET)
    assert data_checksums(conn, schema) == data_checksums(conn, full)
    # applied again: the warehouse is already as of its last day
    before = everything(conn, schema)
    assert refresh(schema, url=pg_url, feed_folder=str(out), **QUIET) is None
    assert everything(conn, schema) == before


def test_a_feed_without_product_changes_round_trips(conn, warehouse,
                                                    pg_url, tmp_path):
    """Days without a launch, a price review or a discontinuation (mid
    December): the feed's products table is empty, and typed, so that the
    feed reads back (its dates were written as Arrow's null type)."""
    from datagen.warehouse.export import export
    later = warehouse(seed=7, scale=0.02, end_date="2024-12-18",
                      schema="rf_quiet_source")
    schema = warehouse(seed=7, scale=0.02, end_date="2024-12-16",
                       schema="rf_quiet")
    full = warehouse(seed=7, scale=0.02, end_date="2024-12-18",
                     schema="rf_quiet_full")
    out = tmp_path / "feed"
    rows = export(later, "2024-12-16", "2024-12-18", out, url=pg_url)
    assert rows["products"] == 0 and rows["orders"] > 0
    refresh(schema, url=pg_url, feed_folder=str(out), **QUIET)
    assert data_checksums(conn, schema) == data_checksums(conn, full)


@pytest.mark.process
def test_a_feed_that_does_not_fit_is_a_one_line_error(conn, warehouse,
                                                      pg_url, tmp_path):
    later = warehouse(seed=7, scale=SCALE, end_date="2024-12-31",
                      schema="rf_feed_source")
    other_shop = warehouse(seed=8, scale=SCALE, end_date="2024-11-20",
                           schema="rf_feed_other")
    too_early = warehouse(seed=7, scale=SCALE, end_date="2024-11-01",
                          schema="rf_feed_early")
    out = tmp_path / "feed"
    assert run_cli("export", "--schema", later, "--from", "2024-11-20",
                   "--to", "2024-12-10", "--out", str(out)).returncode == 0
    for schema, says in ((other_shop, "a feed of the shop of schema"),
                         (too_early, "a feed of the days after 2024-11-01")):
        before = everything(conn, schema)
        result = run_cli("refresh", "--schema", schema, "--feed", str(out))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and says in result.stderr
        assert everything(conn, schema) == before
    result = run_cli("refresh", "--schema", too_early, "--feed",
                     str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "no feed.json" in result.stderr
    result = run_cli("export", "--schema", later, "--from", "2024-11-20",
                     "--to", "2025-01-10", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "at most 2024-12-31, the date schema" in result.stderr


def test_a_refresh_of_days_without_an_order(conn, warehouse, pg_url):
    """A tiny shop: no order in the days refreshed (found by the book's
    engineer: the empty block of orders failed)."""
    schema = warehouse(seed=5, scale=0.1, start_date="2025-06-01",
                       end_date="2025-06-29", schema="rf_empty")
    full = warehouse(seed=5, scale=0.1, start_date="2025-06-01",
                     end_date="2025-07-02", schema="rf_empty_full")
    report = refresh(schema, "2025-07-02", url=pg_url, **QUIET)
    assert report.rows["orders"] == 0
    assert data_checksums(conn, schema) == data_checksums(conn, full)


def test_a_refresh_plans_no_row_compared_with_every_other(conn, warehouse):
    """Each maintained view's incremental query, planned as a refresh plans
    it (its key tables filled and analyzed), looks rows up or hashes them:
    no nested loop with a join filter, which compares each row of one side
    with every row of the other. The planner expects a handful of rows from
    a refresh's few orders (their lines joined on order and customer); at
    scale 20 int_repeat_pairs joined its 45,000 baskets with their own
    counts that way, and a one-day refresh ran for minutes."""
    schema = warehouse(seed=7, scale=SCALE, end_date="2024-06-10",
                       schema="rf_plans")
    with conn.transaction():
        conn.execute(f'set local search_path to "{schema}"')
        conn.execute("""
            create temporary table refresh_orders on commit drop as
            select order_id, customer_id,
                order_status = 'completed' as was_completed
            from fact_order
            where order_ts >= (select max(order_ts) - interval '7 days'
                               from fact_order)""")
        conn.execute("analyze refresh_orders")
        # the days and months as a refresh makes them: the days after its
        # last day's week, and those of its orders
        since = conn.execute("select max(order_ts)::date - 7 "
                             "from fact_order").fetchone()[0]
        changed_days(conn, schema, since)
        assert conn.execute(
            "select count(*) from refresh_orders").fetchone()[0] > 20
        planned = 0
        for name in views.VIEW_FILES:
            if not maintain.is_maintained(name) or maintain.is_full(name):
                continue
            plan = "\n".join(row[0] for row in conn.execute(
                "explain " + maintain.query(name, incremental=True)))
            assert "Join Filter" not in plan, (name, plan)
            planned += 1
        assert planned >= 8
        raise psycopg.Rollback()
