"""The fact tables: drawn block by block and copied in while the next
block is drawn.

Owns the build's hot loop. One thread draws the blocks of orders and their
lines (``Plan.block``) and encodes them in PostgreSQL's binary COPY format
(``copy_binary``); each fact table is copied by a session of its own,
block after block, so it is stored in order_id order, in one transaction
that empties the table first so that its rows go in frozen
(``copy_binary.copy_frozen``): later reads set no hint bits, which with data
checksums (on by default in PostgreSQL 18) cost a full-page write to the WAL
for every page touched after a checkpoint.

At most ``DEPTH`` encoded blocks wait for each table. A failure anywhere
stops both sides and is raised; a table still being copied is rolled back
(the build then leaves its staging schema unused).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Iterator

from ..generate import Plan
from . import copy_binary
from .parallel import SessionPool

FACT_TABLES = ("fact_order", "fact_order_item")
#: encoded blocks generated ahead, per table
DEPTH = 2
_DONE = object()


class _Stopped(Exception):
    """The other side failed; its error is the one raised."""


def load_facts(conn, schema: str, plan: Plan, sessions: SessionPool,
               chunk_orders: int, tables: tuple[str, ...] = FACT_TABLES,
               seconds: dict[str, float] | None = None) -> dict[str, int]:
    """Draw every block of ``plan`` and COPY ``tables`` (empty or
    not, they are emptied first) of ``schema``; returns their rows.

    ``tables``: which fact tables to copy (the benchmark copies the lines
    alone); every block is generated whole either way. ``seconds`` gets the
    time spent generating and the longest time a table spent copying.
    """
    types = {table: copy_binary.column_types(conn, schema, table)
             for table in tables}
    waiting = {table: queue.Queue(DEPTH) for table in tables}
    stop = threading.Event()
    rows = dict.fromkeys(tables, 0)
    busy = {"generate": 0.0, **dict.fromkeys(tables, 0.0)}
    failure: list[BaseException] = []

    def put(table, item):
        while not stop.is_set():
            try:
                return waiting[table].put(item, timeout=0.1)
            except queue.Full:
                continue
        raise _Stopped

    def produce() -> None:
        try:
            for first in _progress(range(0, plan.n_orders, chunk_orders)):
                started = time.perf_counter()
                block = plan.block(first, min(first + chunk_orders,
                                              plan.n_orders))
                frames = {"fact_order": block.orders,
                          "fact_order_item": block.items}
                encoded = {table: (frames[table].column_names,
                                   copy_binary.encode(frames[table],
                                                     types[table]),
                                   frames[table].num_rows)
                           for table in tables}
                busy["generate"] += time.perf_counter() - started
                for table in tables:
                    put(table, encoded[table])
            for table in tables:
                put(table, _DONE)
        except _Stopped:
            pass
        except BaseException as error:  # noqa: BLE001 - raised below
            failure.append(error)
            stop.set()

    def blocks(table: str, first) -> Iterator[bytes]:
        item = first
        while item is not _DONE:
            _, data, count = item
            started = time.perf_counter()
            yield data
            busy[table] += time.perf_counter() - started
            rows[table] += count
            item = _get(waiting[table], stop)

    def copy(table: str):
        def task(session) -> None:
            try:
                first = _get(waiting[table], stop)
                if first is _DONE:
                    return
                copy_binary.copy_frozen(session, schema, table, first[0],
                                 blocks(table, first))
            except _Stopped:
                pass
            except BaseException:
                stop.set()
                raise
        return task

    producer = threading.Thread(target=produce, name="generate",
                                daemon=True)
    producer.start()
    try:
        sessions.run({table: (copy(table), ()) for table in tables})
    except BaseException:
        stop.set()
        raise
    finally:
        producer.join()
    if failure:
        raise failure[0]
    if seconds is not None:
        seconds["generate orders and lines"] = busy["generate"]
        seconds["copy orders and lines"] = max(busy[t] for t in tables)
    return rows


def _get(waiting: queue.Queue, stop: threading.Event):
    while True:
        try:
            return waiting.get(timeout=0.1)
        except queue.Empty:
            if stop.is_set():
                raise _Stopped from None


def _progress(blocks: range):
    """Iterate over blocks with a progress bar on a terminal."""
    if sys.stderr.isatty():
        from tqdm import tqdm
        return tqdm(blocks, desc="  orders", unit="block", leave=False)
    return blocks
