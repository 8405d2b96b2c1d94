"""Sphinx extension of the book: pages that load without a console error.

jupyter-book 1 always loads sphinx-thebe, whose configuration script ends up
twice in every page (``const THEBE_JS_URL`` declared twice is a SyntaxError
in the console). The book has no live-code (thebe) buttons, so this drops
thebe's scripts from the pages and any other script added twice (and
plotly from the pages without a chart: the guide, search), and the
two blocks thebe writes into a page with code cells (its configuration and
an inline ``kernelName`` script, which the site's Content-Security-Policy
refuses inside an article: ``datagen/publish/csp.py``).

The site's root ``index.html`` is written here too. sphinx-external-toc
writes a one-line redirect there (no title, no icon, and only when the file
is missing, so a changed root page kept the old target). Without an icon
link a browser asks the server for ``/favicon.ico``, which does not exist,
and logs a failed request. This page names the book, links the favicon,
redirects to the root page and links it for readers without redirects.

The PDFs (``datagen/publish/pdf.py`` prints them after this build): the
download menu of every page links the page's own PDF (in place of the
theme's "print this page") and the whole book's (``book_pdf`` in
``_config.yml``), and the introduction page says where both are. A book
built without PDFs (no Chromium: ``book_pdf`` empty) links none.
"""

from __future__ import annotations

import html
import re
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


#: the charts' library, loaded by the pages that have a chart
PLOTLY = "plotly.min.js"


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
    # plotly (3.5 MB to parse) only where a chart is
    charts = "wh-chart-data" in (context.get("body") or "")
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if _is_thebe(script) or key in seen:
            continue
        if not charts and PLOTLY in str(script):
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def pdf_links(app, pagename, templatename, context, doctree):
    """The download menu: this page's PDF and the book's (none when the
    book was built without PDFs: ``book_pdf`` empty)."""
    pathto = context.get("pathto")
    if pathto is None:
        return
    if not app.config.book_pdf:
        for group in context.get("header_buttons", []):
            if group.get("label") == "download-buttons":
                group["buttons"] = [b for b in group["buttons"] if b.get(
                    "label") != "download-pdf-button"]
        return
    page_pdf = pathto(f"{pagename}.pdf", 1)
    book_pdf = pathto(app.config.book_pdf, 1)
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group["buttons"]
                   if b.get("label") != "download-pdf-button"]
        buttons += [
            {"type": "link", "url": page_pdf, "text": "this page .pdf",
             "tooltip": "This page as PDF", "icon": "fas fa-file-pdf",
             "label": "download-page-pdf-button"},
            {"type": "link", "url": book_pdf, "text": "whole book .pdf",
             "tooltip": "The whole book as one PDF", "icon": "fas fa-book",
             "label": "download-book-pdf-button"},
        ]
        group["buttons"] = buttons
    if pagename == app.config.root_doc and "body" in context:
        note = (
            '<p class="wh-pdf-links">To hand it on: <a class="wh-book-pdf" '
            f'href="{html.escape(book_pdf)}">the whole book as one PDF</a> '
            "(cover with the parameters, contents, every chapter) and "
            f'<a class="wh-page-pdf" href="{html.escape(page_pdf)}">this '
            "page as PDF</a>; every page has its own in the download menu, "
            "and every table and chart links the data behind it as CSV.</p>")
        context["body"] = re.sub(r"(</h1>)", lambda m: m[1] + note,
                                 context["body"], count=1)


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


def drop_thebe_blocks(app, doctree, docname):
    """The raw HTML sphinx-thebe appends to a page with code cells."""
    from docutils import nodes
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "text/x-thebe-config" in text or "<script>kernelName =" in text:
            node.parent.remove(node)


def write_landing_page(app, exception) -> None:
    if exception is not None or app.builder.name != "html":
        return
    if app.config.root_doc == "index":
        return
    Path(app.outdir, "index.html").write_text(landing_page(app),
                                              encoding="utf-8")


def setup(app):
    app.add_config_value("book_pdf", "book.pdf", "html")
    app.connect("html-page-context", clean_scripts, priority=900)
    app.connect("html-page-context", pdf_links, priority=900)
    # after sphinx-thebe's update_thebe_context (priority 500)
    app.connect("doctree-resolved", drop_thebe_blocks, priority=900)
    # before sphinx-external-toc's ensure_index_file (priority 500), which
    # then finds index.html present and leaves it
    app.connect("build-finished", write_landing_page, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
