"""Charts: plotly offline in the built site, in the book's colours.

Owns how a chapter's charts render: ``plotly_mimetype`` for the notebook
and, for the site, each chart's figure as JSON data (``chart_html``) that
``_static/charts.js`` draws with one ``plotly.min.js`` from ``_static``,
and a template readable in the light and the dark theme.

In a book build the renderer also writes the data each chart draws (its
traces, one row per point, numbers raw) as ``chart-<title>.csv`` next to
the page and links it under the chart (``chart_frame``, and
``tables.write_csv`` for where it goes).

plotly draws its texts (ticks, legends, hover boxes, titles) as a small
HTML: every text of a figure but its templates is escaped
(``escaped_figure``) before it is written into a page or a notebook, so
that a category such as ``<b>Toys</b>`` shows as written.
"""

from __future__ import annotations

import re

#: qualitative colours with enough contrast on white and on the dark theme
COLORWAY = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2",
            "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC")
#: sequential scale for heatmaps (light to dark blue, readable on both)
HEATMAP_SCALE = "Blues"
#: what a trace draws, one value per point, as CSV columns
POINT_FIELDS = ("x", "y", "z", "labels", "values", "parents", "ids", "text",
                "base", "open", "high", "low", "close", "r", "theta",
                "lat", "lon", "locations")
NESTED_FIELDS = (("marker", "color"), ("marker", "size"),
                 ("error_y", "array"), ("error_x", "array"))
_DTYPES = {"f8": "<f8", "f4": "<f4", "i1": "i1", "u1": "u1", "i2": "<i2",
           "u2": "<u2", "i4": "<i4", "u4": "<u4", "i8": "<i8", "u8": "<u8"}


def _values(value):
    """A trace's array as a list (plotly's base64 typed arrays decoded);
    None for a single value."""
    import base64

    import numpy as np
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]),
                              dtype=_DTYPES[value["dtype"]])
        if "shape" in value:
            shape = [int(n) for n in str(value["shape"]).split(",")]
            array = array.reshape(shape)
        return array.tolist()
    if isinstance(value, str) or not hasattr(value, "__len__"):
        return None
    return value.tolist() if hasattr(value, "tolist") else list(value)


def _text(value) -> str:
    if isinstance(value, dict):
        value = value.get("text")
    return re.sub(r"<[^>]+>", " ", str(value or "")).strip()


def chart_title(fig_dict: dict) -> str:
    return _text(fig_dict.get("layout", {}).get("title"))


def chart_frame(fig_dict: dict):
    """The data a chart draws: one row per point of each trace (a heatmap:
    one row per cell), with the trace's name and the values it plots."""
    import pandas as pd
    layout = fig_dict.get("layout", {})
    frames = []
    for number, trace in enumerate(fig_dict.get("data", []), start=1):
        axis = "yaxis" + str(trace.get("yaxis", "y"))[1:]
        name = (trace.get("name") or _text(layout.get(axis, {}).get("title"))
                or f"trace {number}")
        columns = {}
        z = _values(trace.get("z"))
        if z is not None and z and isinstance(z[0], (list, tuple)):
            x = _values(trace.get("x")) or list(range(len(z[0])))
            y = _values(trace.get("y")) or list(range(len(z)))
            columns = {"y": [y[i] for i in range(len(z)) for _ in z[i]],
                       "x": [x[j] for i in range(len(z))
                             for j in range(len(z[i]))],
                       "z": [v for row in z for v in row]}
        else:
            for field in POINT_FIELDS:
                values = _values(trace.get(field))
                if values is not None:
                    columns[field] = values
            for outer, inner in NESTED_FIELDS:
                values = _values((trace.get(outer) or {}).get(inner))
                if values is not None:
                    columns[f"{outer}_{inner}"] = values
        if not columns:
            continue
        length = max(len(v) for v in columns.values())
        columns = {k: v for k, v in columns.items() if len(v) == length}
        frame = pd.DataFrame(columns)
        frame.insert(0, "type", trace.get("type", "scatter"))
        frame.insert(0, "trace", name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame({"trace": []})
    return pd.concat(frames, ignore_index=True)


#: keys whose strings are plotly templates: a chapter writes their ``<br>``
#: and ``%{x}``, but plotly express also writes a colour group's value into
#: them, so only their markup is kept (``_TEMPLATE_TAGS``)
_TEMPLATES = ("hovertemplate", "texttemplate")
#: the tags a template may hold: no attributes, so no link and no style
_TEMPLATE_TAGS = re.compile(r"<(?!/?(br|b|i|em|sup|sub|extra)\s*/?>)")


def escaped_figure(value, key: str = ""):
    """A figure's dict with every text escaped for plotly (``escape.chart``),
    its templates keeping only the tags of ``_TEMPLATE_TAGS``, its theme
    (``template``) as it is."""
    from ..escape import chart
    if key == "template":
        return value
    if key in _TEMPLATES and isinstance(value, str):
        return _TEMPLATE_TAGS.sub("&lt;", value)
    if isinstance(value, dict):
        return {k: escaped_figure(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [escaped_figure(v, key) for v in value]
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "OUS":
        return [escaped_figure(v, key) for v in value.tolist()]
    return chart(value)


#: a chart's height in the site, in pixels
CHART_HEIGHT = 440


def chart_html(fig_dict: dict) -> str:
    """A chart for the site: an empty ``<div>`` and its figure as JSON data
    (``<script type="application/json">``, which a browser never runs);
    ``_static/charts.js`` draws it with the site's ``plotly.min.js``.

    plotly's own ``to_html`` writes an inline script per chart (and a
    MathJax script from a CDN, which fails offline); pages without inline
    scripts let the site's Content-Security-Policy refuse any
    (``datagen.publish.csp``).
    """
    import uuid

    from plotly.io import to_json
    figure = escaped_figure(fig_dict)
    figure["config"] = {"displaylogo": False, "responsive": True}
    # the JSON sits inside a <script> element: no "<", ">" or "&" in it,
    # so no "</script>" or "<!--" can end or change it
    data = (to_json(figure, validate=False).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))
    ident = str(uuid.uuid4())
    # the figure's own size where it sets one (its layout's, else its
    # theme's), as plotly's to_html sizes its <div>
    layout = fig_dict.get("layout", {})
    theme = layout.get("template", {}).get("layout", {})
    height = _css_size(layout.get("height", theme.get("height",
                                                      CHART_HEIGHT)))
    width = _css_size(layout.get("width", theme.get("width", "100%")))
    return (f'<div class="wh-chart" style="height:{height}; width:{width};">'
            f'<div id="{ident}" class="plotly-graph-div" '
            'style="height:100%; width:100%;"></div><script '
            f'type="application/json" class="wh-chart-data" '
            f'data-for="{ident}">{data}</script></div>')


def _css_size(value) -> str:
    """A plotly size as CSS: a number in pixels, else as given (``100%``)."""
    try:
        return f"{float(value):g}px"
    except (TypeError, ValueError):
        return str(value)


def _book_renderer():
    """The renderer for the site: ``chart_html`` and, in a book build, the
    link to the chart's CSV."""
    from plotly.io._base_renderers import MimetypeRenderer

    from .tables import write_csv

    class BookRenderer(MimetypeRenderer):
        def to_mimebundle(self, fig_dict):
            link = write_csv(chart_frame(fig_dict), "chart",
                             chart_title(fig_dict) or None,
                             "Download the data of this chart")
            return {"text/html": chart_html(fig_dict) + link}

    return BookRenderer()


def _mimetype_renderer():
    """plotly's own output for notebooks (``plotly_mimetype``), escaped."""
    from plotly.io._base_renderers import PlotlyRenderer

    class EscapedPlotlyRenderer(PlotlyRenderer):
        def to_mimebundle(self, fig_dict):
            return super().to_mimebundle(escaped_figure(fig_dict))

    return EscapedPlotlyRenderer(config={"displaylogo": False})


def setup_plotly() -> None:
    """Offline rendering for the site and the book's chart template."""
    import plotly.graph_objects as go
    import plotly.io as pio

    pio.renderers["book"] = _book_renderer()
    pio.renderers["book_mimetype"] = _mimetype_renderer()
    pio.renderers.default = "book_mimetype+book"
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
