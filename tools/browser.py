"""Headless Chromium from the command line: screenshots, page checks.

    python tools/browser.py shot _build/html/index.html /tmp/page.png [--dark]
    python tools/browser.py check _build/html/book/*.html

The driver itself (``Browser``, ``Page``: the DevTools protocol over
websocket-client) lives in ``datagen/publish/chromium.py``, where the PDF
build uses it; this file keeps the names the browser tests import. Needs a
``chromium`` binary (``apt-get install chromium``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datagen.publish.chromium import (  # noqa: E402
    BROWSERS,
    FLAGS,
    Browser,
    Page,
    find_browser,
)

__all__ = ["BROWSERS", "FLAGS", "Browser", "Page", "find_browser", "main"]


def _url(path: str) -> str:
    return path if re.match(r"^[a-z]+://", path) else Path(path).resolve().as_uri()


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "shot":
        with Browser() as browser:
            page = browser.page()
            page.open(_url(argv[1]), dark="--dark" in argv)
            page.screenshot(argv[2])
            print(f"{argv[2]}: charts {page.charts()}, errors {page.errors}")
        return 0
    if len(argv) >= 2 and argv[0] == "check":
        failed = 0
        with Browser() as browser:
            for path in argv[1:]:
                page = browser.page()
                page.open(_url(path))
                charts = page.charts()
                print(f"{path}: {charts['drawn']}/{charts['charts']} charts "
                      f"drawn, {len(page.errors)} errors")
                for error in page.errors:
                    print(f"    {error}")
                failed += bool(page.errors) or charts["drawn"] < charts["charts"]
                page.close()
        return 1 if failed else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
