"""The site's Content-Security-Policy: a second wall behind the escaping.

Owns the policy every page of the site carries, as a ``<meta
http-equiv="Content-Security-Policy">`` at the top of its ``<head>`` (the
site is static files, often opened from disk, so there is no server header
to set). The pages show data from outside, escaped where it lands
(``datagen.escape``); should a value ever slip through as markup, the
browser still runs no script the build did not write:

- scripts only from the site's own files and the inline scripts of the
  theme's frame around the article, each allowed by the SHA-256 of its
  text (a page's policy lists its own), the few inline event handlers of
  the theme (``onclick=...``) by their hashes too (``'unsafe-hashes'``).
  The article, where the notebooks' outputs and so the data land, may run
  no inline script at all: its charts are data that ``_static/charts.js``
  draws (``chapters.charts.chart_html``), and an ``onerror=`` or a
  ``<script>`` that slipped into it has no hash in the policy and does
  not run;
- no plugins (``object-src 'none'``), no ``<base>`` that would move the
  site's links elsewhere, forms only to the site, and nothing fetched from
  another origin (the site works offline);
- styles may be inline (plotly writes its styles into the page): a style
  can change how a page looks, not run anything.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

#: the directives every page has; ``script-src`` is made per page
POLICY = ("default-src 'self'", "style-src 'self' 'unsafe-inline'",
          "img-src 'self' data:", "font-src 'self' data:",
          "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
          "form-action 'self'")
_HEAD = re.compile(r"<head[^>]*>(\s*<meta charset=[^>]*>)?", re.IGNORECASE)
#: where a page's content starts: the theme writes everything before it
ARTICLE = '<article class="bd-article"'


def frame(page: str) -> str:
    """The page without its article (from the theme's first
    ``<article class="bd-article"`` to the last ``</article>``, so that
    nothing inside it can pose as the frame)."""
    start = page.find(ARTICLE)
    end = page.rfind("</article>")
    if start < 0 or end < start:
        return page
    return page[:start] + page[end + len("</article>"):]


class _Scripts(HTMLParser):
    """The inline scripts and event handlers of a page, as its DOM holds
    them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self._inline: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.handlers += [value or "" for name, value in attrs
                          if name.startswith("on")]
        if tag == "script" and not dict(attrs).get("src"):
            self._inline = []

    def handle_data(self, data):
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._inline is not None:
            self.scripts.append("".join(self._inline))
            self._inline = None


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def policy(page: str) -> str:
    """The policy of one page: ``POLICY`` and a ``script-src`` of the
    inline scripts of its frame (``frame``)."""
    found = _Scripts()
    found.feed(frame(page))
    found.close()
    sources = ["'self'", *dict.fromkeys(map(_sha256, found.scripts))]
    if found.handlers:
        sources += ["'unsafe-hashes'",
                    *dict.fromkeys(map(_sha256, found.handlers))]
    return "; ".join([POLICY[0], "script-src " + " ".join(sources),
                      *POLICY[1:]])


def protect(site: Path) -> int:
    """Give every page under ``site`` its policy; returns how many."""
    pages = 0
    for path in sorted(Path(site).rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        head = _HEAD.search(page)
        if head is None or 'http-equiv="Content-Security-Policy"' in page:
            continue
        meta = ('\n<meta http-equiv="Content-Security-Policy" content="'
                f'{policy(page)}">')
        path.write_text(page[:head.end()] + meta + page[head.end():],
                        encoding="utf-8")
        pages += 1
    return pages
