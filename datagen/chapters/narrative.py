"""The text of a chapter: glued facts, key findings, paragraphs, KPI cards.

Owns what a chapter states. ``fact`` glues a number that a sentence states
(the tests compare glued numbers with the warehouse); ``findings`` glues
the key findings shown at the top of a page; ``say`` shows one paragraph
of computed Markdown; ``sampled`` says that a check read a sample;
``kpi_cards`` shows headline numbers.

A sentence is Markdown only where a chapter built it with ``md`` (a
template whose values are escaped as text, ``datagen.escape``); any other
string, an f-string included, is shown as the text it is, so that a
category or a file name from a shop's export never becomes markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..escape import Md, html, markdown, md
from .formats import number, plain


def fact(name: str, value):
    """Glue ``value`` under ``name`` (hidden) and return it as a plain number.

    Every number that a key finding states goes through here, so that the
    tests can compare the executed notebook's numbers with the warehouse.
    """
    from myst_nb import glue
    value = plain(value)
    glue(name, value, display=False)
    return value


def findings_markdown(sentences: Iterable[str | Md]) -> str:
    """One bullet per sentence: ``Md`` as written, any other text escaped."""
    return "\n".join(f"- {markdown(s)}" for s in sentences if s)


def findings(*sentences: str | Md, key: str = "findings") -> None:
    """Glue the key findings (one bullet per sentence) under ``key``.

    The chapter shows them at its top with a ``{glue:md}`` directive, so
    that they can be computed at the end, after the analysis they sum up.
    """
    from IPython.display import Markdown
    from myst_nb import glue
    glue(key, Markdown(findings_markdown(sentences)), display=False)


def say(text: str | Md) -> None:
    """Show one paragraph: ``Md`` as Markdown, any other text escaped."""
    from IPython.display import Markdown, display
    display(Markdown(markdown(text)))


def sampled(checked: int, of: int, who: str) -> None:
    """Say that a check read a fixed random sample of ``checked`` of the
    ``of`` ``who`` (words, escaped as text), when it read fewer than all."""
    if checked < of:
        say(md("Checked on a fixed random sample of {} of the {} {}.",
               number(checked), number(of), who))


def show_html(markup: str) -> None:
    """Show HTML the package wrote (its values escaped with ``html``)."""
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
            f'<div class="wh-kpi-label">{html(card["label"])}</div>'
            f'<div class="wh-kpi-value">{html(card["value"])}</div>'
            f'<div class="wh-kpi-note{" wh-" + tone if tone else ""}">'
            f'{html(card.get("note", ""))}</div></div>')
    show_html('<div class="wh-kpis">' + "".join(parts) + "</div>")


def tone(change_fraction, higher_is_better: bool = True) -> str | None:
    """"good"/"bad" for a change (None when unknown or zero)."""
    if change_fraction is None or change_fraction == 0:
        return None
    return "good" if (change_fraction > 0) == higher_is_better else "bad"
