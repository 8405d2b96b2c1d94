"""chapters: what the chapter notebooks import.

Needs only the parameters and the database: a chapter reads the warehouse
with its own ``%%sql`` queries and keeps here only what two chapters share.

- ``page``: set-up (parameters, jupysql, plotly) and the page banner;
- ``formats``: numbers and dates as sentences say them;
- ``narrative``: glued facts, key findings, paragraphs, KPI cards;
  a sentence with Markdown is written ``md("**{}** sold most", name)``
  (``datagen.escape``: the values are escaped as text, ``text`` and
  ``code`` escape one value);
- ``freshness``: what the last refresh brought (the KPI page), and whether
  ``make book`` kept a refreshed warehouse (the warehouse page);
- ``tables``: sortable, searchable HTML tables;
- ``charts``: plotly offline, the book's colours;
- ``schema_diagram``: the star schema drawn from the catalogue;
- ``methods``: the statistical methods (seasons, K-Means, Holt-Winters);
- ``needs``: what each section needs from the data (the data profile,
  ``vw_data_profile``), and the one sentence it shows when the data does
  not have it (``Page.sections``);
- ``span``: charts that fit the data's span (month axes, partial months).

A notebook writes ``from datagen import chapters`` and calls the names
below (``chapters.setup``, ``chapters.money``, ``chapters.table`` ...);
``chapters.methods`` holds the methods.
"""

from ..escape import Md, code, md
from ..escape import markdown as text
from . import methods, needs, span
from .charts import COLORWAY, HEATMAP_SCALE, setup_plotly
from .formats import (
                      change,
                      day,
                      growth,
                      listing,
                      money,
                      month,
                      number,
                      pct,
                      plain,
                      plural,
                      symbol,
                      timestamp,
)
from .freshness import keeps_warehouse, since_last_refresh
from .narrative import (
                      fact,
                      findings,
                      findings_markdown,
                      kpi_cards,
                      sampled,
                      say,
                      show_html,
                      tone,
)
from .needs import Profile, Sections
from .page import Page, banner_html, setup
from .schema_diagram import schema_svg
from .span import month_axis, whole_months, whole_quarters
from .tables import FORMATS, table, table_html

__all__ = [
    "COLORWAY", "FORMATS", "HEATMAP_SCALE", "Md", "Page", "Profile",
    "Sections", "banner_html", "change", "code", "day", "fact", "findings",
    "findings_markdown", "growth", "keeps_warehouse", "kpi_cards",
    "listing", "md", "methods", "money", "month", "month_axis", "needs",
    "number", "pct", "plain", "plural", "sampled", "say", "schema_svg",
    "setup",
    "setup_plotly", "show_html", "since_last_refresh", "span", "symbol",
    "table", "table_html", "text", "timestamp", "tone", "whole_months",
    "whole_quarters",
]
