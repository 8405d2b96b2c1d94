"""The text of a chapter: glued facts, key findings, paragraphs, KPI cards.

Owns what a chapter states. ``fact`` glues a number that a sentence states
(the tests compare glued numbers with the warehouse); ``findings`` glues
the key findings shown at the top of a page; ``say`` shows one paragraph
of computed Markdown; ``kpi_cards`` shows headline numbers.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from .formats import plain


def fact(name: str, value):
    """Glue ``value`` under ``name`` (hidden) and return it as a plain number.

    Every number that a key finding states goes through here, so that the
    tests can compare the executed notebook's numbers with the warehouse.
    """
    from myst_nb import glue
    value = plain(value)
    glue(name, value, display=False)
    return value


def escape_dollars(text: str) -> str:
    """``$`` as ``\\$``: MyST would read ``$5 and $6`` as inline math."""
    return text.replace("$", "\\$")


def findings_markdown(sentences: Iterable[str]) -> str:
    return "\n".join(f"- {escape_dollars(s)}" for s in sentences if s)


def findings(*sentences: str, key: str = "findings") -> None:
    """Glue the key findings (one bullet per sentence) under ``key``.

    The chapter shows them at its top with a ``{glue:md}`` directive, so
    that they can be computed at the end, after the analysis they sum up.
    """
    from IPython.display import Markdown
    from myst_nb import glue
    glue(key, Markdown(findings_markdown(sentences)), display=False)


def say(text: str) -> None:
    """Show one paragraph of generated Markdown."""
    from IPython.display import Markdown, display
    display(Markdown(escape_dollars(text)))


def show_html(markup: str) -> None:
    from IPython.display import HTML, display
    display(HTML(markup))


def kpi_cards(cards: Iterable[Mapping]) -> None:
    """Show KPI cards: label, value, note (e.g. the change), tone.

    ``tone`` is "good", "bad" or None (neutral) and only colours the note.
    """
    parts = []
    for card in cards:
        tone = card.get("tone")
        parts.append(
            '<div class="wh-kpi">'
            f'<div class="wh-kpi-label">{html.escape(card["label"])}</div>'
            f'<div class="wh-kpi-value">{html.escape(card["value"])}</div>'
            f'<div class="wh-kpi-note{" wh-" + tone if tone else ""}">'
            f'{html.escape(card.get("note", ""))}</div></div>')
    show_html('<div class="wh-kpis">' + "".join(parts) + "</div>")


def tone(change_fraction, higher_is_better: bool = True) -> str | None:
    """"good"/"bad" for a change (None when unknown or zero)."""
    if change_fraction is None or change_fraction == 0:
        return None
    return "good" if (change_fraction > 0) == higher_is_better else "bad"
