"""The fact tables: generated block by block and copied in while the next
block is generated.

Owns the build's hot loop. One thread generates the blocks of orders and
their lines (``items.block``) and encodes them in PostgreSQL's binary COPY
format (``copyformat``); each fact table is copied by a lane of its own
(``lanes``), block after block, so it is stored in order_id order, in one
transaction that empties the table first so that its rows go in frozen
(``load.copy_frozen``): later reads set no hint bits, which with data
checksums (on by default in PostgreSQL 18) cost a full-page write to the WAL
for every page touched after a checkpoint (scale 100: the lines' primary key
5.8 s -> 3.9 s and 1.45 GB -> 0.37 GB of WAL, their vacuum 1.2 s -> 0.01 s).

At most ``DEPTH`` encoded blocks wait for each table. A failure anywhere
stops both sides and is raised; a table still being copied is rolled back
(the build then leaves its staging schema unused).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Iterator

from . import copyformat, items, load
from .lanes import Lanes

FACT_TABLES = ("fact_order", "fact_order_item")
#: encoded blocks generated ahead, per table
DEPTH = 2
_DONE = object()


class _Stopped(Exception):
    """The other side failed; its error is the one raised."""


def load_facts(conn, schema: str, basket: items.Basket, lanes: Lanes,
               chunk_orders: int, tables: tuple[str, ...] = FACT_TABLES,
               seconds: dict[str, float] | None = None) -> dict[str, int]:
    """Generate every block of ``basket`` and COPY ``tables`` (empty or
    not, they are emptied first) of ``schema``; returns their rows.

    ``tables``: which fact tables to copy (the benchmark copies the lines
    alone); every block is generated whole either way. ``seconds`` gets the
    time spent generating and the longest time a table spent copying.
    """
    types = {table: copyformat.column_types(conn, schema, table)
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
            for first in _progress(range(0, len(basket.orders),
                                         chunk_orders)):
                started = time.perf_counter()
                block = items.block(basket, first, min(
                    first + chunk_orders, len(basket.orders)))
                frames = {"fact_order": block.orders,
                          "fact_order_item": block.items}
                encoded = {table: (frames[table].column_names,
                                   copyformat.encode(frames[table],
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
        def task(lane) -> None:
            try:
                first = _get(waiting[table], stop)
                if first is _DONE:
                    return
                load.copy_frozen(lane, schema, table, first[0],
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
        lanes.run({table: (copy(table), ()) for table in tables})
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
