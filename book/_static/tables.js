// Sortable, searchable tables for the book (no library, works offline).
// datagen/chapters/tables.py writes <div class="wh-table [wh-search]"><table
// class="wh-sortable">; cells may carry data-sort with the raw value.
(function () {
  "use strict";

  function sortKey(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) return cell.textContent.trim().toLowerCase();
    var number = Number(raw);
    return isNaN(number) ? raw : number;
  }

  function compare(a, b) {
    if (a === b) return 0;
    if (a === "") return 1;          // blanks last
    if (b === "") return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b));
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, column) {
      th.setAttribute("role", "button");
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "Sort by " + th.textContent.trim());
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) {
          other.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var order = compare(sortKey(r1.cells[column]),
                              sortKey(r2.cells[column]));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sort();
        }
      });
    });
  }

  function makeSearchable(wrapper, table) {
    var rows = table.tBodies[0].rows;
    var bar = document.createElement("div");
    bar.className = "wh-searchbar";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "Search the table";
    input.setAttribute("aria-label", "Search the table");
    var count = document.createElement("span");
    count.className = "wh-count";
    function filter() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.style.display = match ? "" : "none";
        if (match) shown += 1;
      });
      count.textContent = shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", filter);
    bar.appendChild(input);
    bar.appendChild(count);
    wrapper.insertBefore(bar, wrapper.firstChild);
    filter();
  }

  // a table wider than the page scrolls sideways: a line above it says so
  // (and goes when the window is wide enough)
  function markWide(wrapper, table) {
    var note = wrapper.previousElementSibling;
    if (!note || !note.classList.contains("wh-wider")) {
      note = document.createElement("p");
      note.className = "wh-wider";
      note.hidden = true;
      wrapper.parentNode.insertBefore(note, wrapper);
    }
    var columns = table.tHead ? table.tHead.rows[0].cells.length : 0;
    var wide = wrapper.scrollWidth > wrapper.clientWidth + 1;
    note.textContent = "This table is wider than the page: scroll it " +
      "sideways to see all " + columns + " columns.";
    note.hidden = !wide;
  }

  function init() {
    var tables = [];
    document.querySelectorAll("div.wh-table").forEach(function (wrapper) {
      var table = wrapper.querySelector("table.wh-sortable");
      if (!table || wrapper.getAttribute("data-ready")) return;
      wrapper.setAttribute("data-ready", "1");
      makeSortable(table);
      if (wrapper.classList.contains("wh-search")) {
        makeSearchable(wrapper, table);
      }
      tables.push([wrapper, table]);
    });
    function check() {
      tables.forEach(function (pair) { markWide(pair[0], pair[1]); });
    }
    check();
    window.addEventListener("resize", check);
  }

  // printing: always the light theme (book.css does the same for print
  // media), and the charts redrawn at the printed width
  var theme = null;
  function resizeCharts() {
    if (!window.Plotly) return;
    document.querySelectorAll(".js-plotly-plot").forEach(function (chart) {
      try { window.Plotly.Plots.resize(chart); } catch (e) { /* not drawn */ }
    });
  }
  window.addEventListener("beforeprint", function () {
    theme = document.documentElement.dataset.theme || null;
    if (theme === "dark") document.documentElement.dataset.theme = "light";
    resizeCharts();
  });
  window.addEventListener("afterprint", function () {
    if (theme === "dark") document.documentElement.dataset.theme = theme;
    resizeCharts();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
