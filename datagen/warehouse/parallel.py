"""Independent SQL steps of the build, run side by side on a few sessions.

Owns the build's concurrency on the server. A PostgreSQL backend runs one
statement on one core, so the steps that do not depend on each other (the
primary keys of two tables, two views that read the same tables, two
quality checks) run at once, each on a session (connection) of its own,
one thread per session. A graph of named tasks, each a function of a
connection, runs with every task started as soon as the tasks it needs
have finished (the standard library's ``graphlib`` keeps the ready set), in
the order given among those that are ready. The first task that fails
stops the graph: no new task starts, those running finish, and its error is
raised. Also ``read_ahead``: the next items of an iterator made in a
thread of their own while the caller uses the current one (a source's
next block read and encoded while the server copies this one).
"""

from __future__ import annotations

import graphlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import psycopg

from ..server import connect

#: sessions at most: one per core, at least two (a task that waits on
#: the server's disk leaves its core to the other), at most four
DEFAULT_SESSIONS = max(2, min(4, os.cpu_count() or 1))

Task = tuple[Callable[[psycopg.Connection], object], tuple[str, ...]]


class SessionPool:
    """A few sessions on one server, each set up by ``setup``, that run a
    graph of tasks."""

    def __init__(self, url: str | None,
                 setup: Callable[[psycopg.Connection], None] = lambda c: None,
                 sessions: int = DEFAULT_SESSIONS):
        self.url, self.setup, self.sessions = url, setup, sessions
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._pool = ThreadPoolExecutor(sessions, thread_name_prefix="sql")

    @classmethod
    def inline(cls, conn: psycopg.Connection) -> SessionPool:
        """One session: the tasks run one after another on ``conn``, in
        this thread, in the order given."""
        pool = cls(None, sessions=1)
        pool._pool.shutdown()
        pool._pool = None
        pool._local.conn = conn
        return pool

    def _connection(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.url, autocommit=True)
            self._connections.append(conn)
            self.setup(conn)
        return conn

    def _run(self, task: Callable[[psycopg.Connection], object]):
        return task(self._connection())

    def run(self, tasks: dict[str, Task]) -> dict[str, object]:
        """Run ``{name: (function of a connection, names it needs)}``;
        returns each task's result."""
        unknown = {need for _, needs in tasks.values() for need in needs
                   } - tasks.keys()
        if unknown:
            raise ValueError(f"tasks need unknown tasks: {sorted(unknown)}")
        results: dict[str, object] = {}
        if self._pool is None:
            for name, (task, needs) in tasks.items():
                if not all(need in results for need in needs):
                    raise ValueError(f"task {name!r} comes before what it "
                                     "needs")
                results[name] = task(self._local.conn)
            return results
        graph = graphlib.TopologicalSorter(
            {name: needs for name, (_, needs) in tasks.items()})
        try:
            graph.prepare()
        except graphlib.CycleError as error:
            raise ValueError(f"tasks wait on each other: "
                             f"{sorted(set(error.args[1]))}") from None
        position = {name: index for index, name in enumerate(tasks)}
        ready: list[str] = []
        running: dict = {}
        while graph.is_active():
            ready = sorted({*ready, *graph.get_ready()}, key=position.get)
            while ready and len(running) < self.sessions:
                name = ready.pop(0)
                running[self._pool.submit(self._run, tasks[name][0])] = name
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                if future.exception() is not None:
                    wait(running)  # let the running ones finish
                    raise future.exception()
                results[name] = future.result()
                graph.done(name)
        return results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for conn in self._connections:
            conn.close()

    def __enter__(self) -> SessionPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_END = object()


def read_ahead(items: Iterable, depth: int = 1) -> Iterator:
    """``items``, made in a thread of their own at most ``depth`` ahead of
    the caller (so memory holds ``depth + 2`` of them at most). An error
    of ``items`` is raised to the caller where its item would have come;
    a caller that stops early (an error of its own) stops the thread
    before it returns. Pays when making an item and using it release the
    GIL (pyarrow reading and encoding, psycopg sending)."""
    made: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as error:  # noqa: BLE001 - raised to the caller
            put((_END, error))
            return
        put((_END, None))

    thread = threading.Thread(target=make, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = made.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join()
