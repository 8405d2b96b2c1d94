"""What the chapter notebooks share: set-up, banner, sentences, charts, tables.

Owns how a chapter looks and talks, so that the notebooks hold only their
queries (``%%sql`` cells), their charts and their sentences:

- ``setup``: validates the papermill parameters, connects jupysql to the
  warehouse (search path = the build's schema), and sets plotly up to render
  offline in the built site (``plotly_mimetype`` + an HTML renderer without
  the library; the site loads one ``plotly.min.js`` from ``_static``) with a
  template readable in the light and the dark theme.
- ``Page.banner``: the line every page opens with (seed, scale, data period,
  when the warehouse was built), checked against ``build_info``.
- formatting for sentences (``money``, ``pct``, ``change`` ...), ``fact`` to
  glue a number that a sentence states (the tests compare glued numbers with
  the warehouse), ``findings`` to show key findings as Markdown.
- ``table``: a static HTML table that ``_static/tables.js`` makes sortable
  and searchable in the site (works offline, also from ``file://``).

Nothing here queries the database: the queries live in the notebooks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
from typing import Callable, Iterable, Mapping

import pandas as pd

from . import db
from .params import BuildParams, check_injected, parse_params

#: qualitative colours with enough contrast on white and on the dark theme
COLORWAY = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2",
            "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC")
#: sequential scale for heatmaps (light to dark blue, readable on both)
HEATMAP_SCALE = "Blues"
#: tables longer than this get a search box and a scroll area in the site
SEARCH_FROM_ROWS = 12


@dataclasses.dataclass
class Page:
    """One chapter: its parameters and its database engine."""

    params: BuildParams
    engine: object
    built_at: dt.datetime | None = None

    def banner(self, build_info: pd.DataFrame) -> None:
        """Show seed, scale, data period and build time; check the build.

        ``build_info`` is the one-row ``build_info`` table of the warehouse;
        a warehouse built with other parameters than this chapter's stops
        the chapter (its numbers would belong to another book).
        """
        if len(build_info) != 1:
            raise RuntimeError("build_info must hold exactly one row "
                               f"(it holds {len(build_info)})")
        row = build_info.iloc[0]
        built = {"seed": int(row["seed"]), "scale": float(row["scale"]),
                 "start_date": pd.Timestamp(row["start_date"]).date(),
                 "end_date": pd.Timestamp(row["end_date"]).date()}
        wanted = {"seed": self.params.seed, "scale": self.params.scale,
                  "start_date": self.params.start_date,
                  "end_date": self.params.end_date}
        differs = [k for k in wanted if built[k] != wanted[k]]
        if differs:
            raise RuntimeError(
                f"schema {self.params.schema!r} holds another build ("
                + ", ".join(f"{k} {built[k]} instead of {wanted[k]}"
                            for k in differs) + ")")
        self.built_at = pd.Timestamp(row["built_at"]).to_pydatetime()
        show_html(banner_html(self.params, self.built_at))


def setup(*, url: str | None = None, truth: bool = False,
          **parameters) -> Page:
    """Validate the parameters, connect ``%sql``, set plotly up.

    ``parameters`` are the notebook's papermill parameters (the names of
    ``datagen.params.DEFAULTS``); ``truth`` adds the truth schema to the
    search path (only the chapter that checks the methods uses it).
    """
    params = parse_params(parameters)
    shell = _shell()
    if shell is not None:  # papermill injected only names the book knows
        check_injected(list(shell.user_ns.get("In", [])))
    setup_plotly()
    engine = connect_sql(params, url=url, truth=truth)
    return Page(params, engine)


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def search_path(params: BuildParams, truth: bool = False) -> str:
    """The schemas a chapter sees: the warehouse (and its truth, if asked)."""
    return params.schema + (f",{params.truth_schema}" if truth else "")


def connect_sql(params: BuildParams, url: str | None = None,
                truth: bool = False):
    """An engine on the warehouse schema, connected to the ``%sql`` magic."""
    import sqlalchemy
    from IPython import get_ipython
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(
        db.sqlalchemy_url(url), poolclass=NullPool,
        connect_args={"options": f"-c search_path={search_path(params, truth)}",
                      "application_name": "book"})
    shell = get_ipython()
    if shell is None:  # plain Python (tests): nothing to connect
        return engine
    shell.run_line_magic("load_ext", "sql")
    for option in ("SqlMagic.autopandas = True", "SqlMagic.displaycon = False",
                   "SqlMagic.feedback = 0", "SqlMagic.short_errors = False",
                   "SqlMagic.displaylimit = 20"):
        shell.run_line_magic("config", option)
    shell.user_ns["_warehouse_engine"] = engine
    shell.run_line_magic("sql", "_warehouse_engine --alias warehouse")
    return engine


# --- plotly ------------------------------------------------------------------

def _book_renderer():
    """An HTML renderer for the site: no plotly.js, no MathJax, no CDN.

    plotly's own ``HtmlRenderer`` always adds a MathJax ``<script>`` from a
    CDN, which fails offline; this one writes only the chart's ``<div>`` and
    the ``Plotly.newPlot`` call (the site loads ``_static/plotly.min.js``).
    """
    from plotly.io import to_html
    from plotly.io._base_renderers import MimetypeRenderer

    class BookRenderer(MimetypeRenderer):
        def to_mimebundle(self, fig_dict):
            return {"text/html": to_html(
                fig_dict, config={"displaylogo": False, "responsive": True},
                include_plotlyjs=False, include_mathjax=False,
                full_html=False, default_width="100%", default_height=440,
                validate=False)}

    return BookRenderer()


def setup_plotly() -> None:
    """Offline rendering for the site and the book's chart template."""
    import plotly.graph_objects as go
    import plotly.io as pio

    pio.renderers["book"] = _book_renderer()
    pio.renderers.default = "plotly_mimetype+book"
    template = go.layout.Template(pio.templates["plotly_white"])
    grid = "rgba(128, 128, 128, 0.25)"
    template.layout.update(
        paper_bgcolor="rgba(0, 0, 0, 0)", plot_bgcolor="rgba(0, 0, 0, 0)",
        font=dict(family="system-ui, -apple-system, Segoe UI, sans-serif",
                  size=13, color="#3a3f44"),
        colorway=list(COLORWAY), height=440,
        margin=dict(l=70, r=30, t=70, b=60),
        title=dict(x=0.0, xanchor="left", font=dict(size=16)),
        legend=dict(bgcolor="rgba(0, 0, 0, 0)"),
        hoverlabel=dict(font=dict(color="#111")))
    for axis in ("xaxis", "yaxis"):
        template.layout[axis].update(gridcolor=grid, zerolinecolor=grid,
                                     linecolor=grid)
    pio.templates["book"] = template
    pio.templates.default = "book"


# --- sentences -----------------------------------------------------------------

def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float)
                                      and math.isnan(value))


def money(value, decimals: int = 0) -> str:
    """``$1,234,567`` (negative: ``-$12``)."""
    if not _finite(value):
        return "n/a"
    value = float(value)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{decimals}f}"


def number(value, decimals: int = 0) -> str:
    """``12,345`` or ``3.2`` with ``decimals``."""
    if not _finite(value):
        return "n/a"
    return f"{float(value):,.{decimals}f}"


def pct(fraction, decimals: int = 1) -> str:
    """A fraction as a percent: ``0.1234`` -> ``12.3%``."""
    if not _finite(fraction):
        return "n/a"
    return f"{100 * float(fraction):,.{decimals}f}%"


def change(current, previous, decimals: int = 1) -> str:
    """``up 12.3%`` / ``down 4.0%`` / ``unchanged`` (n/a without a base)."""
    if not _finite(current) or not _finite(previous) or float(previous) == 0:
        return "n/a"
    ratio = float(current) / float(previous) - 1
    if round(100 * ratio, decimals) == 0:
        return "unchanged"
    return f"{'up' if ratio > 0 else 'down'} {pct(abs(ratio), decimals)}"


def growth(current, previous):
    """``current / previous - 1``; None without a base."""
    if not _finite(current) or not _finite(previous) or float(previous) == 0:
        return None
    return float(current) / float(previous) - 1


def day(value) -> str:
    """``1 March 2024``."""
    value = pd.Timestamp(value)
    return f"{value.day} {value:%B %Y}"


def timestamp(value) -> str:
    """``2026-01-31 14:05 UTC`` (a naive time is taken as UTC)."""
    value = pd.Timestamp(value)
    if value.tzinfo is not None:
        value = value.tz_convert("UTC")
    return f"{value:%Y-%m-%d %H:%M} UTC"


def month(value) -> str:
    """``March 2024``."""
    return f"{pd.Timestamp(value):%B %Y}"


def listing(items: Iterable[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 order`` / ``2 orders`` (count formatted with thousands)."""
    word = singular if int(count) == 1 else (plural_form or singular + "s")
    return f"{int(count):,} {word}"


def plain(value):
    """A value as a plain Python number (Decimal, numpy -> float/int)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or isinstance(value, int):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


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


# --- HTML: banner and tables ---------------------------------------------------

def show_html(markup: str) -> None:
    from IPython.display import HTML, display
    display(HTML(markup))


def banner_html(params: BuildParams, built_at: dt.datetime | None) -> str:
    """The page banner: what data this page was computed from."""
    built = (f" &middot; warehouse built {timestamp(built_at)}"
             if built_at is not None else "")
    return (
        '<div class="wh-banner">'
        f'<span class="wh-seed">Seed <strong>{params.seed}</strong></span>'
        f" &middot; scale {params.scale:g} &middot; data period "
        f"<strong>{day(params.start_date)}</strong> to "
        f"<strong>{day(params.end_date)}</strong>{built}"
        f" &middot; schema <code>{html.escape(params.schema)}</code></div>")


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


Formatter = Callable[[object], str]
FORMATS: dict[str, Formatter] = {
    "money": money,
    "money2": lambda v: money(v, 2),
    "pct": pct,
    "pct2": lambda v: pct(v, 2),
    "count": number,
    "num1": lambda v: number(v, 1),
    "num2": lambda v: number(v, 2),
    "num3": lambda v: number(v, 3),
    "num4": lambda v: number(v, 4),
    "date": lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}",
    "month": lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m}",
}


def _cell(value, formatter: Formatter | None) -> tuple[str, str | None]:
    """(text, sort key) of one cell."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "", ""
    if formatter is not None:
        text = formatter(value)
    else:
        text = str(value)
    key = None
    if isinstance(value, (int, float)) or hasattr(value, "as_tuple") or (
            hasattr(value, "dtype") and not isinstance(value, str)):
        try:
            key = repr(float(value))
        except (TypeError, ValueError):
            key = None
    elif isinstance(value, (dt.date, pd.Timestamp)):
        key = pd.Timestamp(value).isoformat()
    return text, key


def table_html(frame: pd.DataFrame, formats: Mapping[str, str | Formatter]
               | None = None, caption: str | None = None,
               search: bool | None = None) -> str:
    """A static HTML table; ``tables.js`` adds sorting (and a search box)."""
    formats = dict(formats or {})
    formatters = {c: (FORMATS[f] if isinstance(f, str) else f)
                  for c, f in formats.items()}
    if search is None:
        search = len(frame) >= SEARCH_FROM_ROWS
    numeric = {c for c in frame.columns
               if pd.api.types.is_numeric_dtype(frame[c])
               or c in formatters and formats[c] not in ("date", "month")}
    head = "".join(
        f'<th class="{"wh-num" if c in numeric else ""}" scope="col">'
        f"{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, record):
            text, key = _cell(value, formatters.get(column))
            attributes = f' data-sort="{html.escape(key)}"' if key else ""
            if column in numeric:
                attributes += ' class="wh-num"'
            cells.append(f"<td{attributes}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    classes = "wh-table" + (" wh-search" if search else "")
    cap = (f"<caption>{html.escape(caption)}</caption>" if caption else "")
    return (f'<div class="{classes}"><table class="wh-sortable">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></div>")


def table(frame: pd.DataFrame, formats: Mapping[str, str | Formatter]
          | None = None, caption: str | None = None,
          search: bool | None = None) -> None:
    """Show ``frame`` as a sortable table (searchable when long).

    ``formats`` maps a column to a name of ``FORMATS`` (``money``, ``pct``,
    ``count`` ...) or to a function; sorting uses the unformatted values.
    """
    show_html(table_html(frame, formats, caption, search))


# --- the star schema as a diagram ------------------------------------------------

def schema_svg(columns: pd.DataFrame, foreign_keys: pd.DataFrame,
               rows: Mapping[str, int] | None = None) -> str:
    """An SVG diagram of the star schema, drawn from the catalogue.

    ``columns``: table_name, column_name, data_type, is_key (primary key);
    ``foreign_keys``: table_name, column_name, references_table. Fact tables
    (``fact_*``) stand in the middle column, dimensions left and right; lines
    join each foreign key to the table it references. Colours come from the
    theme (CSS classes in ``_static/book.css``), so it reads in both themes.
    """
    rows = dict(rows or {})
    tables = list(dict.fromkeys(columns["table_name"]))
    facts = [t for t in tables if t.startswith("fact_")]
    dims = [t for t in tables if t not in facts]
    left, right = dims[: (len(dims) + 1) // 2], dims[(len(dims) + 1) // 2:]
    line_h, head_h, width, gap_x, gap_y, pad = 17, 26, 280, 90, 28, 10
    fks = {(r.table_name, r.column_name): r.references_table
           for r in foreign_keys.itertuples()}

    def height(table):
        return head_h + line_h * int((columns["table_name"] == table).sum()) + 8

    boxes = {}
    for column_index, group in enumerate((left, facts, right)):
        y = 0
        for table in group:
            boxes[table] = (pad + column_index * (width + gap_x), y + pad,
                            height(table))
            y += height(table) + gap_y
    tall = max(y + h for (_, y, h) in boxes.values()) + pad
    wide = pad * 2 + 3 * width + 2 * gap_x
    parts = [f'<svg class="wh-schema" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {wide} {tall}" width="100%" role="img" '
             f'aria-label="Star schema: fact tables joined to dimensions">']
    # lines first, under the boxes
    for (table, column), target in fks.items():
        if table not in boxes or target not in boxes:
            continue
        x1, y1, h1 = boxes[table]
        x2, y2, h2 = boxes[target]
        names = list(columns.loc[columns["table_name"] == table,
                                 "column_name"])
        row_y = y1 + head_h + line_h * names.index(column) + line_h / 2 + 2
        if x2 > x1:
            start, end = (x1 + width, row_y), (x2, y2 + head_h / 2)
        elif x2 < x1:
            start, end = (x1, row_y), (x2 + width, y2 + head_h / 2)
        else:  # same column: a bracket on the left side
            start, end = (x1, row_y), (x2, y2 + head_h / 2)
            parts.append(
                f'<path class="wh-link" d="M{start[0]},{start[1]} '
                f'h-24 V{end[1]} h24" fill="none"/>')
            continue
        middle = (start[0] + end[0]) / 2
        parts.append(
            f'<path class="wh-link" d="M{start[0]},{start[1]} '
            f'C{middle},{start[1]} {middle},{end[1]} {end[0]},{end[1]}" '
            'fill="none"/>')
    for table, (x, y, h) in boxes.items():
        kind = "fact" if table in facts else "dim"
        parts.append(f'<g class="wh-box wh-{kind}">'
                     f'<rect x="{x}" y="{y}" width="{width}" height="{h}" '
                     'rx="6"/>'
                     f'<rect class="wh-head" x="{x}" y="{y}" width="{width}" '
                     f'height="{head_h}" rx="6"/>')
        count = f" ({rows[table]:,} rows)" if table in rows else ""
        parts.append(f'<text class="wh-title" x="{x + 8}" y="{y + 17}">'
                     f"{html.escape(table)}{html.escape(count)}</text>")
        table_columns = columns[columns["table_name"] == table]
        for i, r in enumerate(table_columns.itertuples()):
            marks = ("PK " if r.is_key else "") + (
                "FK" if (table, r.column_name) in fks else "")
            ty = y + head_h + line_h * (i + 1) - 3
            parts.append(
                f'<text class="wh-col{" wh-key" if r.is_key else ""}" '
                f'x="{x + 8}" y="{ty}">{html.escape(r.column_name)}</text>'
                f'<text class="wh-type" x="{x + width - 8}" y="{ty}" '
                f'text-anchor="end">{html.escape(marks.strip() + " " if marks else "")}'
                f"{html.escape(_short_type(r.data_type))}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _short_type(data_type: str) -> str:
    return {"integer": "int", "bigint": "bigint", "smallint": "smallint",
            "numeric": "numeric", "text": "text", "date": "date",
            "boolean": "bool",
            "timestamp without time zone": "timestamp",
            "timestamp with time zone": "timestamptz"}.get(data_type,
                                                           data_type)
