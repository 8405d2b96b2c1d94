"""What happened in the shop after a day: the feed of a refresh.

Owns ``changes(plan, since)``: from the plan as of a later day, the events
of the days after ``since``, as a shop's source system would emit them,
one table per kind of event (FEED_TABLES, README "Time moves" documents
the layout). Because the generator is causal, a warehouse as of ``since``
with these events applied is the warehouse the plan describes. Nothing here
touches a database: ``warehouse.refresh`` applies a feed, ``publish.feed``
writes and reads one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import lines, planted, status
from .plan import Plan
from .truth import customer_persona

#: the feed's tables: each event's day is its ``event_date`` column
FEED_TABLES = {
    "customers": "a customer signed up: their details that day "
                 "(customer_version 1)",
    "customer_changes": "a customer's details changed: the new version, "
                        "valid from event_date",
    "products": "a product was launched or its price or status changed: "
                "its row as of that day",
    "orders": "an order was placed: the order as placed (completed; its "
              "later cancellation or return is a status change)",
    "order_lines": "the lines of an order placed that day",
    "status_changes": "an order was cancelled or returned, at changed_at",
    "truth_customer_persona": "not a shop's data: the persona the "
                              "generator planted for each new customer "
                              "(its truth schema)",
}


@dataclasses.dataclass
class Feed:
    """The events of the days ``since`` (exclusive) to ``to`` (inclusive)."""
    since: dt.date
    to: dt.date
    tables: dict[str, pa.Table]

    def rows(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.tables.items()}


def changes(plan: Plan, since: dt.date) -> Feed:
    """The feed of what happened after ``since`` up to the plan's last day."""
    start, to = plan.params.start_date, plan.params.end_date
    after = np.datetime64(since, "D") + 1        # the first day of the feed
    after_s = after.astype("datetime64[s]")

    history = plan.customers.history
    valid_from = history["valid_from"].to_numpy(zero_copy_only=False)
    version = history["customer_version"].to_numpy()
    in_feed = valid_from >= after
    versions = history.drop_columns(["valid_to", "is_current"]).append_column(
        "event_date", history["valid_from"])
    customers = versions.filter(pa.array(in_feed & (version == 1)))
    customer_changes = versions.filter(pa.array(in_feed & (version > 1)))

    since_index = (since - start).days
    n_old = int(np.searchsorted(plan.lines.orders.day, since_index + 1))
    block = plan.block(n_old, plan.n_orders)
    placed = block.orders
    order_date = pc.cast(placed["order_ts"], pa.date32())
    orders = placed.set_column(
        placed.column_names.index("order_status"), "order_status",
        pa.repeat("completed", placed.num_rows)).set_column(
        placed.column_names.index("cancelled_ts"), "cancelled_ts",
        pa.nulls(placed.num_rows, pa.timestamp("s"))).set_column(
        placed.column_names.index("returned_ts"), "returned_ts",
        pa.nulls(placed.num_rows, pa.timestamp("s"))).append_column(
        "event_date", order_date)
    lines = block.items.append_column("event_date", pc.take(
        order_date, pc.subtract(block.items["order_id"],
                                pa.scalar(n_old + 1, pa.int64()))))

    # status changes: of the orders placed in the feed, and of those placed
    # in the last return window before it (no older order can change)
    first = int(np.searchsorted(plan.lines.orders.day, since_index - (
        planted.RETURN_WINDOW_DAYS + 1)))
    status_changes = _status_changes(plan, first, after_s)

    old_customers = int(((version == 1) & ~in_feed).sum())
    truth = pa.Table.from_pandas(
        customer_persona(plan.customers, plan.params.start_date,
                         old_customers),
        preserve_index=False).append_column(
        "event_date", customers["event_date"])
    return Feed(since, to, {
        "customers": customers,
        "customer_changes": customer_changes,
        "products": _product_changes(plan, since),
        "orders": orders,
        "order_lines": lines,
        "status_changes": status_changes,
        "truth_customer_persona": truth,
    })


def _status_changes(plan: Plan, first: int, after_s: np.datetime64
                    ) -> pa.Table:
    """The cancellations and returns from ``after_s`` on of the orders from
    index ``first``, in time order."""
    index, fate, changed_at = status.status_changes(
        plan.lines, first, plan.n_orders, after_s)
    customer = plan.lines.orders.customer[index]
    order = np.lexsort((index, changed_at))
    changed_at = pa.array(changed_at[order])
    return pa.table({
        "order_id": index[order] + 1,
        "customer_id": customer[order] + 1,
        "order_status": pc.take(pa.array(lines.STATUSES),
                                pa.array(fate[order])),
        "changed_at": changed_at,
        "event_date": pc.cast(changed_at, pa.date32()),
    })


def _product_changes(plan: Plan, since: dt.date) -> pa.Table:
    """Each product's row on each day after ``since`` that it differs from
    the day before (a launch, a price or cost change, a discontinuation)."""
    catalogue = plan.catalogue
    n_days = catalogue.n_days
    since_index = (since - plan.params.start_date).days
    parts = []
    previous = catalogue.as_of(since_index) if since_index >= 0 else None
    for day in catalogue.change_days(since_index + 1, n_days):
        today = catalogue.as_of(day)
        if previous is None:
            changed = today
        else:
            merged = today.merge(previous, on="product_id", how="left",
                                 suffixes=("", "_before"), indicator=True)
            differs = merged["_merge"] == "left_only"
            for column in ("list_price", "unit_cost", "is_active"):
                differs |= merged[column] != merged[column + "_before"]
            changed = today[differs.to_numpy()]
        if len(changed):
            parts.append(changed.assign(event_date=(
                plan.params.start_date + dt.timedelta(days=day))))
        previous = today
    if not parts:  # no product changed: no rows, the types of a change's
        # (pandas gives a column of no rows of dates no type: Arrow's null,
        # which a feed cannot be read back with)
        sample = catalogue.as_of(max(since_index, 0)).iloc[:1].assign(
            event_date=plan.params.start_date)
        return pa.Table.from_pandas(sample, preserve_index=False
                                    ).schema.empty_table()
    frame = pd.concat(parts, ignore_index=True)
    return pa.Table.from_pandas(frame, preserve_index=False)

