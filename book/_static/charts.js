// Draws the book's plotly charts (no library of its own, works offline).
// datagen/chapters/charts.py writes each chart as an empty
// <div class="plotly-graph-div" id="..."> and its figure as data, never as
// code: <script type="application/json" class="wh-chart-data"
// data-for="...">, so that the pages hold no inline script of their own
// and the site's Content-Security-Policy (datagen/publish/csp.py) can
// refuse every inline script inside an article.
(function () {
  "use strict";

  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll("script.wh-chart-data").forEach(function (data) {
      var target = document.getElementById(data.getAttribute("data-for"));
      if (!target || target.classList.contains("js-plotly-plot")) return;
      var figure = JSON.parse(data.textContent);
      window.Plotly.newPlot(target, figure.data, figure.layout || {},
                            figure.config || {});
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
