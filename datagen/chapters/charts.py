"""Charts: plotly offline in the built site, in the book's colours.

Owns how a chapter's charts render: ``plotly_mimetype`` for the notebook
and an HTML renderer without the library for the site, which loads one
``plotly.min.js`` from ``_static``, and a template readable in the light
and the dark theme.
"""

from __future__ import annotations

#: qualitative colours with enough contrast on white and on the dark theme
COLORWAY = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2",
            "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC")
#: sequential scale for heatmaps (light to dark blue, readable on both)
HEATMAP_SCALE = "Blues"


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
