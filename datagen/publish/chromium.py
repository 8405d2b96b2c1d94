"""Headless Chromium over the DevTools protocol: load pages, look at
them, print them.

Owns talking to the browser: ``Browser`` starts the system Chromium (or
``chromium-browser``/``google-chrome``) with a fresh profile, ``Page`` is a
tab that loads a page and waits for its plotly charts, collects console
errors, takes screenshots and prints PDFs (``Page.printToPDF``). It talks
over the DevTools protocol with websocket-client (a maintained, pure
Python WebSocket client): no browser driver and no browser download.
Used by the PDF build (``pdf``), the browser tests and ``tools/browser.py``.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--remote-debugging-port=0", "--remote-allow-origins=*")


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with a fresh profile; ``page()`` opens a tab."""

    def __init__(self, binary: str | None = None, width: int = 1400,
                 height: int = 1000):
        binary = binary or find_browser()
        if binary is None:
            raise RuntimeError("no chromium found (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="book-chromium-")
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        self.port = None
        while time.time() < deadline:
            line = self.process.stderr.readline()
            match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if match:
                self.port = int(match[1])
                break
            if not line and self.process.poll() is not None:
                break
        if self.port is None:
            self.close()
            raise RuntimeError("chromium did not start its DevTools server")

    def page(self) -> Page:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=30) as response:
            target = json.loads(response.read())
        return Page(target["webSocketDebuggerUrl"])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """A tab: send commands, collect console errors and exceptions."""

    def __init__(self, ws_url: str):
        self.ws = websocket.create_connection(ws_url, timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.errors: list[str] = []
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _note(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = (details.get("exception", {}).get("description")
                    or details.get("text", "exception"))
            self.errors.append(f"exception: {text.splitlines()[0]}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", "")))
                            for a in params.get("args", []))
            self.errors.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get(
                "level") == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('source')}: {entry.get('text')} "
                               f"{entry.get('url', '')}".strip())
        self.events.append(message)

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method,
                                 "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._note(message)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        for index, message in enumerate(self.events):
            if message.get("method") == method:
                return self.events.pop(index)
        deadline = time.time() + timeout
        self.ws.settimeout(timeout)
        while time.time() < deadline:
            message = json.loads(self.ws.recv())
            self._note(message)
            if message.get("method") == method:
                return message
        raise TimeoutError(f"no {method} within {timeout} s")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def open(self, url: str, dark: bool = False, settle: float = 0.3,
             timeout: float = 30.0) -> None:
        """Load ``url`` and wait until its plotly charts are drawn: at
        once when it has none or the book's ``charts.js`` says all are
        drawn, otherwise until they stop appearing."""
        if dark:
            self.call("Emulation.setEmulatedMedia", features=[
                {"name": "prefers-color-scheme", "value": "dark"}])
            self.call("Page.addScriptToEvaluateOnNewDocument", source=(
                "try { localStorage.setItem('theme', 'dark'); "
                "localStorage.setItem('mode', 'dark'); } catch (e) {}"))
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", timeout)
        previous, deadline = None, time.time() + timeout
        while time.time() < deadline:
            state = self.charts()
            if state["drawn"] == state["charts"] and (
                    state["ready"] or state == previous):
                break
            previous = state
            time.sleep(settle)

    def follow_redirect(self, url: str, timeout: float = 30.0) -> str:
        """Load ``url``, a page that sends the browser on (a meta refresh),
        and wait until the page it leads to has loaded; returns that page's
        URL. Asking the page while it is replaced fails, so each question
        that fails is asked again."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                href, state = self.evaluate(
                    "[location.href, document.readyState]")
            except (RuntimeError, TypeError, ValueError):  # replaced meanwhile
                href, state = None, None
            if href not in (None, url) and state == "complete":
                return href
            time.sleep(0.1)
        raise TimeoutError(f"{url} did not lead to a loaded page within "
                           f"{timeout} s")

    def charts(self) -> dict:
        """How many plotly charts the page has, how many have an SVG, the
        traces each draws, and whether all are ready (none, or the book's
        ``charts.js`` marked them drawn)."""
        return self.evaluate("""({
            charts: document.querySelectorAll('.plotly-graph-div').length,
            ready: !document.querySelector('.plotly-graph-div')
                || document.documentElement.dataset.whCharts === 'drawn',
            drawn: Array.from(document.querySelectorAll('.plotly-graph-div'))
                .filter(d => d.querySelector('svg.main-svg')).length,
            traces: Array.from(document.querySelectorAll('.plotly-graph-div'))
                .map(d => d.querySelectorAll('.trace, .hm, .heatmaplayer image').length)
        })""")

    def screenshot(self, path: str | Path, width: int = 1400) -> None:
        height = int(self.evaluate(
            "Math.ceil(document.documentElement.scrollHeight)"))
        data = self.call("Page.captureScreenshot", format="png",
                         captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width,
                               "height": height, "scale": 1})["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def print_media(self, width: int, height: int = 1200) -> None:
        """Lay the next pages out as printed, ``width`` CSS pixels wide,
        so that responsive charts draw at the width they print at."""
        self.call("Emulation.setEmulatedMedia", media="print")
        self.call("Emulation.setDeviceMetricsOverride", width=width,
                  height=height, deviceScaleFactor=1, mobile=False)

    def print_pdf(self, **options) -> bytes:
        """The loaded page as PDF (``Page.printToPDF`` with ``options``)."""
        data = self.call("Page.printToPDF", **options)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        self.ws.close()
