"""Warm kernels: the chapters of a build run one after another in a kernel
per worker instead of a kernel each.

Owns the kernels the chapters run in (``WarmKernels``). Starting a Python
kernel and importing what a chapter imports (pandas, plotly, jupysql,
which imports matplotlib) costs about 3 s before the chapter's first
query, more than many chapters' own work at scale 1. So a worker thread
keeps its kernel, and before each chapter makes it as a new one would be
(``PRELUDE``): IPython's reset with a new session empties the user
namespace and the input history, the execution count starts again at 1,
the environment variables the chapter is told are set and those told to
the previous one are gone. What stays is the modules already imported. A
chapter's set-up (``datagen.chapters.setup``) begins its page afresh: its
CSV names, the currency, the ``%sql`` connection. A kernel whose chapter
failed is shut down, and the next chapter gets a new one.

The warehouse notebooks run alone, each in a kernel of its own
(``notebooks.run_notebook`` without ``kernels``). While the warehouse is
built, the chapters' kernels can be started and given their imports
beforehand (``prepare``): the first chapter of each worker then begins
at its queries, as the later ones do.
"""

from __future__ import annotations

import atexit
import functools
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

#: run in a kept kernel before each chapter: a kernel as a new one is,
#: told ``{told}`` (the variables) and rid of ``{forget}`` (those told
#: before)
PRELUDE = """\
get_ipython().reset(new_session=True)
__import__("os").environ.update({told!r})
[__import__("os").environ.pop(name, None) for name in {forget!r}]
get_ipython().execution_count = 1
"""


class WarmKernels:
    """One kernel per worker thread, kept from chapter to chapter; use as a
    context manager (the kernels are shut down on leaving it)."""

    def __init__(self, kernel_name: str = "python3"):
        self.kernel_name = kernel_name
        self._local = threading.local()
        self._lock = threading.Lock()
        self._running: list = []
        #: kernels started (a test reads it: one per worker, unless a
        #: chapter failed)
        self.started = 0
        #: kernels started ahead (``prepare``), not yet taken by a thread
        self._prepared: list[Future] = []
        self._preparing: ThreadPoolExecutor | None = None

    def __enter__(self) -> WarmKernels:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self):
        manager = _manager_class()(kernel_name=self.kernel_name)
        # the kernels' own log: errors only, and their input history in
        # memory (as nbclient starts a kernel for papermill)
        manager.start_kernel(extra_arguments=[
            "--log-level=ERROR", "--HistoryManager.hist_file=:memory:"])
        with self._lock:
            self._running.append(manager)
            self.started += 1
        return manager

    def prepare(self, count: int, code: str) -> None:
        """Start ``count`` kernels in the background, each running
        ``code`` (what every chapter imports); the first ``kernel`` call of
        each thread takes one of them. A kernel that fails to get ready is
        shut down and the thread starts its own. Called again, it does
        nothing."""
        if count <= 0 or self._preparing is not None:
            return
        # imported here first: two threads importing jupyter_client at
        # once can find it half made (its modules import each other)
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
        import papermill  # noqa: F401 - what the caller runs meanwhile
        _manager_class()
        self._preparing = ThreadPoolExecutor(
            max_workers=count, thread_name_prefix="kernel-ahead")
        self._prepared += [self._preparing.submit(self._ahead, code)
                           for _ in range(count)]

    def _ahead(self, code: str):
        manager = None
        try:
            manager = self._start()
            self._run(manager, code)
        except Exception:  # noqa: BLE001 - the thread starts its own
            if manager is not None:
                self._discard(manager)
            return None
        return manager

    def _taken(self):
        """A kernel started ahead, once it is ready, or None."""
        with self._lock:
            future = self._prepared.pop(0) if self._prepared else None
        return future.result() if future is not None else None

    @staticmethod
    def _run(manager, code: str) -> None:
        """Run ``code`` in ``manager``'s kernel; its clients closed after."""
        import nbformat
        from nbclient import NotebookClient
        notebook = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(code)])
        client = NotebookClient(notebook, km=manager, timeout=60,
                                kernel_name=manager.kernel_name)
        try:
            client.execute()
        finally:
            manager.stop_clients()
            # (a client that failed to start leaves a clean-up for the
            # process's exit, of a kernel that is gone)
            atexit.unregister(client._cleanup_kernel)

    def _discard(self, manager) -> None:
        with self._lock:
            if manager in self._running:
                self._running.remove(manager)
        self._local.manager = None
        _shut_down(manager)

    def kernel(self, told: dict[str, str]):
        """This thread's kernel, made ready for a chapter told ``told`` (a
        kept kernel that no longer answers is replaced, once)."""
        forget = sorted(set(getattr(self._local, "told", ())) - set(told))
        prelude = PRELUDE.format(told=told, forget=forget)
        for attempt in (1, 2):
            manager = getattr(self._local, "manager", None)
            if manager is None:
                manager = self._local.manager = (
                    self._taken() if attempt == 1 else None) or self._start()
            try:
                self._run(manager, prelude)
                break
            except Exception:
                self._discard(manager)
                if attempt == 2:
                    raise
        self._local.told = dict(told)
        return manager

    def ran(self) -> None:
        """The chapter this thread ran is done: the clients it talked to
        its kernel with are closed (the kernel stays)."""
        manager = getattr(self._local, "manager", None)
        if manager is not None:
            manager.stop_clients()

    def failed(self) -> None:
        """The chapter this thread ran failed: its kernel goes."""
        manager = getattr(self._local, "manager", None)
        if manager is not None:
            self._discard(manager)

    def close(self) -> None:
        if self._preparing is not None:  # kernels still getting ready
            self._preparing.shutdown(wait=True)
        with self._lock:
            self._prepared = []
            running, self._running = self._running, []
        for manager in running:
            _shut_down(manager)


def _shut_down(manager) -> None:
    manager.stop_clients()
    try:
        manager.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - already gone
        pass


@functools.cache
def _manager_class():
    """A kernel manager that keeps the clients it hands out, so that they
    can be closed after each chapter: nbclient closes none of a kernel it
    did not start, and each open client holds a heartbeat thread and a zmq
    context."""
    from queue import Empty

    from jupyter_client.blocking.client import BlockingKernelClient
    from jupyter_client.manager import KernelManager

    class ReadyClient(BlockingKernelClient):
        """A client of a kernel that is up: ready once both its channels
        carry the answer to one ``kernel_info`` request (the reply on
        shell, the kernel's status for it on IOPub). jupyter_client's own
        wait then listens until IOPub has been silent for 0.2 s, twice per
        chapter (its prelude, papermill); nbclient reads only the messages
        of its own requests, so nothing is left to flush."""

        def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (60 if timeout is None
                                           else timeout)
            while time.monotonic() < deadline:
                asked = self.kernel_info()
                try:
                    reply = self.get_shell_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == \
                        "kernel_info_reply":
                    # IOPub may connect late (a subscriber misses what
                    # was sent before it joined): ask again if so
                    heard = time.monotonic() + 0.2
                    while (left := heard - time.monotonic()) > 0:
                        try:
                            status = self.get_iopub_msg(timeout=left)
                        except Empty:
                            break
                        if status["parent_header"].get("msg_id") == asked:
                            self._handle_kernel_info_reply(reply)
                            return
                if not self.is_alive():
                    raise RuntimeError(
                        "Kernel died before replying to kernel_info")
            raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    class KeptKernel(KernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._clients = []
            self.client_factory = ReadyClient

        def client(self, **kwargs):
            client = super().client(**kwargs)
            self._clients.append(client)
            return client

        def stop_clients(self) -> None:
            while self._clients:
                self._clients.pop().stop_channels()

    return KeptKernel

