"""Sphinx extension of the book: pages that load without a console error.

jupyter-book 1 always loads sphinx-thebe, whose configuration script ends up
twice in every page (``const THEBE_JS_URL`` declared twice is a SyntaxError
in the console). The book has no live-code (thebe) buttons, so this drops
thebe's scripts from the pages and any other script added twice.

The site's root ``index.html`` is written here too. sphinx-external-toc
writes a one-line redirect there (no title, no icon, and only when the file
is missing, so a changed root page kept the old target). Without an icon
link a browser asks the server for ``/favicon.ico``, which does not exist,
and logs a failed request. This page names the book, links the favicon,
redirects to the root page and links it for readers without redirects.
"""

from __future__ import annotations

import html
from pathlib import Path

LANDING = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
{icon}<meta http-equiv="refresh" content="0; url={target}">
<link rel="canonical" href="{target}">
</head>
<body>
<p><a href="{target}">{title}</a></p>
</body>
</html>
"""


def _is_thebe(script) -> bool:
    body = getattr(script, "attributes", {}).get("body", "") or ""
    return "sphinx-thebe.js" in str(script) or "THEBE_JS_URL" in body


def _key(script):
    attributes = getattr(script, "attributes", {}) or {}
    return (str(script), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def clean_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if _is_thebe(script) or key in seen:
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def landing_page(app) -> str:
    """The root index.html: title, favicon, redirect to the root page."""
    target = app.builder.get_target_uri(app.config.root_doc)
    favicon = app.config.html_favicon
    icon = ""
    if favicon:
        href = favicon if "://" in favicon else f"_static/{Path(favicon).name}"
        icon = f'<link rel="icon" href="{html.escape(href)}">\n'
    title = app.config.html_title or app.config.project or ""
    return LANDING.format(title=html.escape(title), icon=icon,
                          target=html.escape(target))


def write_landing_page(app, exception) -> None:
    if exception is not None or app.builder.name != "html":
        return
    if app.config.root_doc == "index":
        return
    Path(app.outdir, "index.html").write_text(landing_page(app),
                                              encoding="utf-8")


def setup(app):
    app.connect("html-page-context", clean_scripts, priority=900)
    # before sphinx-external-toc's ensure_index_file (priority 500), which
    # then finds index.html present and leaves it
    app.connect("build-finished", write_landing_page, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
