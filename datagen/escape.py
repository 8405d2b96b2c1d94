"""Outside text, escaped for the place it lands.

Owns the one rule of the boundary: a value that came from outside (a field
of an export, a file name, a mapping, a parameter) is text, never markup or
a command. Each function below escapes a value for one place, at the moment
it is written there:

- ``markdown`` and ``code``: a sentence of a page (MyST Markdown), and
  ``md``, a Markdown template whose arguments are escaped (``Md``, after
  markupsafe's ``Markup``: ``md("**{}** sold most", category)``);
- ``html``: HTML text or an attribute value (tables, banners, the PDF's
  cover);
- ``chart``: text that plotly draws (its labels are a small HTML);
- ``csv_cell``: a cell of a CSV download (no formulas, after OWASP);
- ``shown`` and ``shown_path``: a short, cleaned quote of a value in a
  one-line error message.
"""

from __future__ import annotations

import html as _html
import re

import markupsafe

#: line breaks and other control characters (C0, C1, the Unicode line and
#: paragraph separators): a value is one line of text where it lands
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: bidirectional overrides and isolates: they would make a value read
#: otherwise than it is written ("Trojan Source")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
#: every ASCII punctuation character: CommonMark lets each be
#: backslash-escaped, and escaped it starts no emphasis, link, HTML, role
#: (``{download}``), directive, substitution or math
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
#: what a spreadsheet reads as the start of a formula (OWASP, CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: a path that reads the same unquoted in an error line
_PLAIN_PATH = re.compile(r"[\w/.+@:,-]+")


def clean(value) -> str:
    """``value`` as one line of text: control characters as spaces,
    bidirectional overrides left out."""
    return _BIDI.sub("", _CONTROLS.sub(" ", str(value)))


def markdown(value) -> Md:
    """``value`` as literal text inside a MyST Markdown paragraph (its outer
    blanks left out: inside ``**{}**`` they would undo the bold)."""
    if isinstance(value, Md):
        return value
    return Md(_joined(value).strip())


def code(value) -> Md:
    """``value`` as a Markdown code span (shown in a monospace font): a
    fence of more backticks than the value holds in a row."""
    text = clean(value)
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return Md(f"{fence}{pad}{text}{pad}{fence}")


class Md(markupsafe.Markup):
    """Markdown that is safe to show: what ``md`` and ``markdown`` return.

    As with markupsafe's ``Markup``, a value joined to it (``format``,
    ``%``, ``+``, ``join``) is escaped with ``markdown`` unless it is
    itself ``Md``; an f-string gives a plain ``str``, which the pages show
    escaped as a whole.
    """

    __slots__ = ()

    @classmethod
    def escape(cls, s) -> Md:
        return markdown(s)

    # text joined with ``+`` keeps its outer blanks ("**bold**" + " (x)"
    # must not become "**bold**(x)"); only a ``{}`` value loses them
    def __add__(self, other):
        if isinstance(other, str) and not hasattr(other, "__html__"):
            return self.__class__(str.__add__(self, _joined(other)))
        return super().__add__(other)

    def __radd__(self, other):
        if isinstance(other, str) and not hasattr(other, "__html__"):
            return self.__class__(str.__add__(_joined(other), self))
        return super().__radd__(other)


def _joined(value: str) -> str:
    """``value`` escaped as text, its outer blanks kept."""
    return _PUNCTUATION.sub(r"\\\1", clean(value))


def md(template: str, /, *args, **kwargs) -> Md:
    """Fill a Markdown ``template`` (``str.format`` fields) with values
    escaped as text: ``md("**{}** sold most", category)``."""
    return Md(template).format(*args, **kwargs)


def html(value) -> str:
    """``value`` as HTML text or a quoted attribute's value."""
    return _html.escape(clean(value), quote=True)


def chart(value):
    """``value`` as text plotly draws: its labels, legends and hover boxes
    read ``<b>``, ``<br>``, ``<a href>`` and entities, so ``&``, ``<`` and
    ``>`` become entities (which plotly shows as the characters). Values
    that are not text are returned as they are."""
    if not isinstance(value, str):
        return value
    return (clean(value).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def csv_cell(value):
    """A text cell that a spreadsheet would run as a formula, prefixed with
    ``'`` as OWASP recommends; numbers and other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def shown(value, limit: int = 60) -> str:
    """A short quote of ``value`` for an error line: its first ``limit``
    characters in Python's quoting (control characters visible as escapes),
    ``…`` where it was cut."""
    text = str(value)
    cut = len(text) > limit
    return repr(text[:limit]) + ("…" if cut else "")


def shown_path(path, limit: int = 100) -> str:
    """A file's path for an error line: as given when short and plain
    (letters, digits, ``/ . _ - + @ : ,``), else quoted; its end (the file's
    name) kept when cut."""
    text = str(path)
    if len(text) > limit:
        return "…" + repr(text[-limit:])
    return text if _PLAIN_PATH.fullmatch(text) else repr(text)


__all__ = ["FORMULA_STARTS", "Md", "chart", "clean", "code", "csv_cell",
           "html", "markdown", "md", "shown", "shown_path"]
