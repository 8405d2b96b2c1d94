// Draws the book's plotly charts (no library of its own, works offline).
// datagen/chapters/charts.py writes each chart as an empty
// <div class="plotly-graph-div" id="..."> and its figure as data, never as
// code: <script type="application/json" class="wh-chart-data"
// data-for="...">, so that the pages hold no inline script of their own
// and the site's Content-Security-Policy (datagen/publish/csp.py) can
// refuse every inline script inside an article.
//
// On paper a scatter's points lose their own opacity and take it as the
// opacity of their fill and stroke instead: the same marks, but Chromium
// prints an element with an opacity below 1 as a transparency group of
// its own, and 3,000 of them made a page 2 MB and twice as slow to print.
(function () {
  "use strict";

  function flatten() {
    document.querySelectorAll(".js-plotly-plot .point").forEach(function (p) {
      var style = p.style, opacity = parseFloat(style.opacity);
      if (!(opacity < 1)) return;
      ["fillOpacity", "strokeOpacity"].forEach(function (name) {
        var own = parseFloat(style[name]);
        style[name] = String((isNaN(own) ? 1 : own) * opacity);
      });
      style.opacity = "1";
    });
  }

  function draw() {
    if (!window.Plotly) return;
    var drawn = [];
    document.querySelectorAll("script.wh-chart-data").forEach(function (data) {
      var target = document.getElementById(data.getAttribute("data-for"));
      if (!target || target.classList.contains("js-plotly-plot")) return;
      var figure = JSON.parse(data.textContent);
      drawn.push(window.Plotly.newPlot(target, figure.data,
                                       figure.layout || {},
                                       figure.config || {}));
    });
    // the printer waits for this mark (datagen/publish/chromium.py)
    Promise.all(drawn).then(function () {
      if (window.matchMedia("print").matches) flatten();
      document.documentElement.setAttribute("data-wh-charts", "drawn");
    });
  }

  window.addEventListener("beforeprint", flatten);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
