"""Sphinx extension of the book: pages that load without a console error.

jupyter-book 1 always loads sphinx-thebe, whose configuration script ends up
twice in every page (``const THEBE_JS_URL`` declared twice is a SyntaxError
in the console). The book has no live-code (thebe) buttons, so this drops
thebe's scripts from the pages and any other script added twice.
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", clean_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
