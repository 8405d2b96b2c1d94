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
(``notebooks.run_notebook`` without ``kernels``).
"""

from __future__ import annotations

import atexit
import threading

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

    def _discard(self, manager) -> None:
        with self._lock:
            if manager in self._running:
                self._running.remove(manager)
        self._local.manager = None
        _shut_down(manager)

    def kernel(self, told: dict[str, str]):
        """This thread's kernel, made ready for a chapter told ``told`` (a
        kept kernel that no longer answers is replaced, once)."""
        import nbformat
        from nbclient import NotebookClient
        forget = sorted(set(getattr(self._local, "told", ())) - set(told))
        prelude = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            PRELUDE.format(told=told, forget=forget))])
        for attempt in (1, 2):
            manager = getattr(self._local, "manager", None)
            if manager is None:
                manager = self._local.manager = self._start()
            client = NotebookClient(prelude, km=manager, timeout=60,
                                    kernel_name=self.kernel_name)
            try:
                client.execute()
                break
            except Exception:
                self._discard(manager)
                if attempt == 2:
                    raise
            finally:
                manager.stop_clients()
                # (a client that failed to start leaves a clean-up for the
                # process's exit, of a kernel that is gone)
                atexit.unregister(client._cleanup_kernel)
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
        with self._lock:
            running, self._running = self._running, []
        for manager in running:
            _shut_down(manager)


def _shut_down(manager) -> None:
    manager.stop_clients()
    try:
        manager.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - already gone
        pass


def _manager_class():
    """A kernel manager that keeps the clients it hands out, so that they
    can be closed after each chapter: nbclient closes none of a kernel it
    did not start, and each open client holds a heartbeat thread and a zmq
    context."""
    from jupyter_client.manager import KernelManager

    class KeptKernel(KernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._clients = []

        def client(self, **kwargs):
            client = super().client(**kwargs)
            self._clients.append(client)
            return client

        def stop_clients(self) -> None:
            while self._clients:
                self._clients.pop().stop_channels()

    return KeptKernel

