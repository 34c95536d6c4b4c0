/* The leaders' dashboard: draws a Chart.js chart beside each table, and refreshes the figures
 * every 30 s (and when a filter changes) from the JSON the page came with, without a reload.
 * The tables always hold the numbers, so the page reads without colour and without script. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  var form = document.getElementById("dashboard-filters");
  var dataBlock = document.getElementById("dashboard-data");
  if (!root || !form || !dataBlock) { return; }

  var refreshMs = (parseInt(root.dataset.refreshSeconds, 10) || 30) * 1000;
  var status = document.getElementById("dashboard-status");
  var texts = document.getElementById("dashboard-updated-text");
  var charts = {};
  var timer = null;
  var inFlight = null;

  // Distinct colours AND distinct shapes (dashes, point styles, borders) per series.
  var PALETTE = ["#1f5fa8", "#c2410c", "#15803d", "#7c3aed", "#a16207"];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 1]];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "cross"];

  function labelOf(row, spec) {
    var cols = Array.isArray(spec.label) ? spec.label : [spec.label];
    return cols.map(function (c) { return row[c] === null ? "—" : String(row[c]); }).join(" – ");
  }

  function chartConfig(table) {
    var spec = table.chart;
    var line = spec.type === "line";
    var datasets = spec.values.map(function (col, i) {
      var colour = PALETTE[i % PALETTE.length];
      return {
        label: table.columns[col],
        data: table.rows.map(function (row) { return row[col] === null ? 0 : row[col]; }),
        backgroundColor: line ? colour : colour + "cc",
        borderColor: colour,
        borderWidth: line ? 2 : (i === 0 ? 0 : 2),
        borderDash: line ? DASHES[i % DASHES.length] : [],
        pointStyle: POINTS[i % POINTS.length],
        pointRadius: line ? 3 : 0
      };
    });
    var horizontal = !!spec.horizontal;
    var valueAxis = horizontal ? "x" : "y";
    var scales = {};
    scales[valueAxis] = {beginAtZero: true, stacked: !!spec.stacked, ticks: {precision: 0}};
    scales[horizontal ? "y" : "x"] = {stacked: !!spec.stacked};
    return {
      type: line ? "line" : "bar",
      data: {labels: table.rows.map(function (row) { return labelOf(row, spec); }), datasets: datasets},
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {legend: {display: datasets.length > 1, labels: {usePointStyle: true}}}
      }
    };
  }

  function sizeBox(table) {
    var canvas = document.getElementById("chart-" + table.id);
    if (!canvas) { return null; }
    var box = canvas.parentNode;
    var rows = Math.max(table.rows.length, 1);
    var height = table.chart.horizontal ? Math.min(60 + rows * 28, 600) : 260;
    box.style.height = height + "px";
    return canvas;
  }

  function drawChart(table) {
    if (!table.chart || typeof window.Chart === "undefined") { return; }
    var canvas = sizeBox(table);
    if (!canvas) { return; }
    canvas.parentNode.hidden = table.rows.length === 0;  // an empty chart says nothing the table does not
    var config = chartConfig(table);
    var chart = charts[table.id];
    if (chart) {
      chart.data = config.data;
      chart.options = config.options;
      chart.update("none");
    } else {
      charts[table.id] = new window.Chart(canvas, config);
    }
    canvas.parentNode.dataset.rows = String(table.rows.length);
  }

  function caseLink(code) {
    var a = document.createElement("a");
    a.href = root.dataset.caseUrl.replace("CODE", encodeURIComponent(code));
    var c = document.createElement("code");
    c.textContent = code;
    a.appendChild(c);
    return a;
  }

  function fillTable(table) {
    var element = document.getElementById("table-" + table.id);
    if (!element) { return; }
    var body = element.tBodies[0];
    var fresh = document.createElement("tbody");
    table.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (cell, index) {
        var td = document.createElement("td");
        if (index === table.link && cell !== null) {
          td.appendChild(caseLink(String(cell)));
        } else if (typeof cell === "number") {
          td.className = "num";
          td.textContent = String(cell);
        } else {
          td.textContent = cell === null ? "—" : String(cell);
        }
        tr.appendChild(td);
      });
      fresh.appendChild(tr);
    });
    if (!table.rows.length) {
      var keep = body.querySelector("tr.empty");
      var tr = document.createElement("tr");
      tr.className = "empty";
      var td = document.createElement("td");
      td.colSpan = table.columns.length;
      td.className = "muted";
      td.textContent = keep ? keep.textContent : "—";
      tr.appendChild(td);
      fresh.appendChild(tr);
    }
    element.replaceChild(fresh, body);
    element.dataset.rows = String(table.rows.length);
  }

  function fillCards(cards) {
    Object.keys(cards).forEach(function (key) {
      var el = root.querySelector('[data-card="' + key + '"]');
      if (el) { el.textContent = String(cards[key]); }
    });
  }

  function query() {
    var params = new URLSearchParams();
    ["from", "to", "agency", "category", "district"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) { params.set(name, field.value); }
    });
    return params;
  }

  function fillExportLinks(params) {
    root.querySelectorAll("a[data-export]").forEach(function (a) {
      var url = root.dataset.exportUrl.replace("TABLE", a.dataset.export).replace("FMT", a.dataset.format);
      var qs = params.toString();
      a.href = url + (qs ? "?" + qs : "");
    });
  }

  function say(template, seconds) {
    var now = new Date();
    var hh = String(now.getHours()).padStart(2, "0");
    var mm = String(now.getMinutes()).padStart(2, "0");
    status.textContent = template.replace("TIME", hh + ":" + mm);
  }

  function render(payload) {
    fillCards(payload.cards);
    payload.tables.forEach(function (table) { fillTable(table); drawChart(table); });
    root.dataset.generatedAt = payload.generated_at;
  }

  function refresh() {
    var params = query();
    if (inFlight) { inFlight.abort(); }
    inFlight = new AbortController();
    root.setAttribute("aria-busy", "true");
    return fetch(root.dataset.url + "?" + params.toString(), {
      headers: {"Accept": "application/json"}, credentials: "same-origin", signal: inFlight.signal
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (!result.ok) {
        status.textContent = (result.body.error && result.body.error.message) || texts.dataset.failed;
        return;
      }
      render(result.body);
      fillExportLinks(params);
      var qs = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : "") + window.location.hash);
      say(texts.dataset.text);
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      say(texts.dataset.failed);
    }).then(function () {
      root.removeAttribute("aria-busy");
      schedule();
    });
  }

  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, refreshMs);
  }

  form.addEventListener("change", function () { refresh(); });
  form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });

  try {
    render(JSON.parse(dataBlock.textContent));
  } catch (error) {
    say(texts.dataset.failed);
  }
  schedule();
}());
