"""What every page of a book must not do, checked in headless Chromium.

``page_problems(page, profile)`` opens nothing itself: it asks a page
already loaded (``tools.browser``'s ``Page``) for its charts as plotly drew
them and for its text, and returns one line per problem:

- a chart without data (no point in any of its traces);
- a chart of one bar (its bars at a single position) or of one cell (a
  heatmap with one value);
- sub-day ticks over daily or monthly data: a date axis whose data are
  whole days with a tick between two midnights, or whose data are months
  with a tick that is not the first of a month;
- a sentence about something the data profile says is unknown: each
  capability's claims (``CLAIMS``, regular expressions) are looked for in
  the page's text when ``data_known`` marks the capability unknown;
- a path of the machine that built it: the clone's folder, in any of the
  page's text (a folded cell's output too), such as the tip jupysql
  printed naming the clone's pyproject.toml.
"""

from __future__ import annotations

import re

from conftest import ROOT
from datagen.chapters.needs import Profile

#: every plotly chart of the page: its title, its traces' kinds and
#: points, and each date axis's ticks and the data drawn on it (in ms, as
#: plotly converts them: a date without a zone is taken as UTC)
CHARTS_JS = r"""
Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const layout = gd._fullLayout || {};
  const traces = (gd._fullData || []).filter(t => t.visible !== false);
  const size = v => (v && v.length !== undefined) ? v.length : 0;
  const axes = {};
  for (const t of traces) {
    const name = 'xaxis' + (t.xaxis || 'x').slice(1);
    const axis = layout[name];
    if (!axis || axis.type !== 'date') continue;
    const entry = axes[name] = axes[name] || {
      ticks: (axis._vals || []).map(v => v.x),
      labels: (axis._vals || []).map(v => v.text), data: []};
    for (const x of Array.from(t.x || [])) {
      const ms = axis.d2c(x);
      if (Number.isFinite(ms)) entry.data.push(ms);
    }
  }
  return {
    title: ((layout.title || {}).text || '').replace(/<[^>]+>/g, ' '),
    traces: traces.map(t => {
      let cells = 0;
      if (t.type === 'heatmap') {
        for (const row of (t.z || [])) for (const v of (row || []))
          if (v !== null && v !== undefined && !Number.isNaN(v)) cells += 1;
      }
      const position = t.orientation === 'h' ? t.y : t.x;
      return {type: t.type, cells,
              points: Math.max(size(t.x), size(t.y), size(t.z),
                               size(t.values), size(t.labels)),
              positions: Array.from(position || []).map(String)};
    }),
    axes};
})
"""

DAY = 86_400_000


def _month_start(ms: float) -> bool:
    import datetime as dt
    when = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)
    return when.day == 1 and when.time() == dt.time()


def chart_problems(charts: list[dict]) -> list[str]:
    """The problems of the charts ``CHARTS_JS`` returned."""
    problems = []
    for chart in charts:
        name = chart["title"] or "a chart without a title"
        traces = chart["traces"]
        if not traces or sum(t["points"] for t in traces) == 0:
            problems.append(f"{name}: a chart without data")
            continue
        bars = [t for t in traces if t["type"] == "bar"]
        if bars and len(bars) == len(traces) and len(
                {p for t in bars for p in t["positions"]}) <= 1:
            problems.append(f"{name}: a chart of one bar")
        heatmaps = [t for t in traces if t["type"] == "heatmap"]
        if heatmaps and sum(t["cells"] for t in heatmaps) <= 1:
            problems.append(f"{name}: a heatmap of one cell")
        for axis, found in chart["axes"].items():
            data, ticks = found["data"], found["ticks"]
            if data and all(ms % DAY == 0 for ms in data):
                between = [label for tick, label in zip(ticks, found["labels"])
                           if tick % DAY]
                if between:
                    problems.append(f"{name}: ticks between days on {axis} "
                                    f"over daily data: {between[:3]}")
            if data and all(_month_start(ms) for ms in data):
                inside = [label for tick, label in zip(ticks, found["labels"])
                          if not _month_start(tick)]
                if inside:
                    problems.append(f"{name}: ticks inside months on {axis} "
                                    f"over monthly data: {inside[:3]}")
    return problems


#: what a page may not say when the data profile marks a capability
#: unknown: claims, not words (a sentence that steps back names what the
#: data lacks, and may name it)
CLAIMS: dict[str, tuple[str, ...]] = {
    "prices": (r"of net revenue from", r"average order was worth",
               r"brought the most revenue", r"Revenue is concentrated",
               r"reconciles to the cent", r"has spent", r"strongest month",
               r"best month was", r"It forecasts"),
    "costs": (r"gross margin was \d", r"highest gross margin rate",
              r"Gross margin rate by category"),
    "returns": (r"\d% (of orders were )?returned", r"No order was returned",
                r"Returned orders per month"),
    "cancellations": (r"\d% of orders were cancelled",
                      r"No order was cancelled", r"Cancelled( and returned)? "
                      r"orders per month", r"\d% cancelled"),
    "channels": (r"brought the most revenue", r"paid channels brought",
                 r"come back most often", r"per month by channel",
                 r"within 90 days, by acquisition channel"),
    "categories": (r"seasonal by the stated measure",
                   r"strongest three-month season", r"by category",
                   r"highest gross margin rate"),
    "customers": (r"customers who bought", r"Revenue is concentrated",
                  r"The best customer", r"largest cohort",
                  r"completes another order", r"Champions", r"K-Means splits",
                  r"who signed up completed", r"Platinum customer"),
    "dates": (r"busiest days", r"strongest month", r"best month was",
              r"In the latest year", r"Against the year before",
              r"same month a year earlier", r"largest cohort",
              r"placed between", r"per month"),
    "quantities": (r"[Uu]nits sold", r"best-selling products"),
}


def claims_about_unknowns(text: str, profile: Profile) -> list[str]:
    """The claims of ``text`` about what ``profile`` says is unknown."""
    text = " ".join(text.split())
    found = []
    for capability, claims in CLAIMS.items():
        if profile.knows(capability):
            continue
        for claim in claims:
            match = re.search(claim, text)
            if match:
                start = max(match.start() - 60, 0)
                found.append(f"{capability} unknown, but: "
                             f"...{text[start:match.end() + 60]}...")
    return found


def page_problems(page, profile: Profile) -> list[str]:
    """Every problem of the loaded ``page`` (``tools.browser.Page``)."""
    problems = [f"console: {error}" for error in page.errors]
    problems += chart_problems(page.evaluate(CHARTS_JS))
    text = page.evaluate(
        "(document.querySelector('main article') || document.body)"
        ".innerText")
    # the introduction's table of what the data knows quotes the source
    # on each capability: its words are the data's, not the book's claims
    text = re.sub(r"What the data knows.*?How much data there is", " ",
                  text, flags=re.S)
    problems += claims_about_unknowns(text, profile)
    everything = page.evaluate("document.body.textContent")
    if str(ROOT) in everything:
        at = everything.index(str(ROOT))
        problems.append("the clone's path: ..."
                        + " ".join(everything[max(at - 60, 0):at + 80].split())
                        + "...")
    return problems
