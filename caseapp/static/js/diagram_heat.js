/* The process page's live diagram: on each task a badge with the cases waiting now, the overdue
   ones and the median / 90th-percentile time spent there (bpmn-js overlays), coloured calm to
   hot (classes heat-0..heat-4, see app.css), the same figures in the table beside it, a filter
   form and a refresh every 30 seconds by fetch (no reload). Data: #live-data, #process-live. */
(function () {
  "use strict";
  var root = document.getElementById("process-live");
  var canvasElt = document.getElementById("bpmn-canvas");
  var dataBlock = document.getElementById("live-data");
  if (!root || !canvasElt || !dataBlock) { return; }
  var form = document.getElementById("live-filters");
  var status = document.getElementById("live-status");
  var texts = document.getElementById("live-texts");
  var refreshMs = (parseInt(root.dataset.refreshSeconds, 10) || 30) * 1000;
  var viewer = null;
  var current = JSON.parse(dataBlock.textContent);
  var timer = null;
  var inFlight = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function drawOverlays(payload) {
    if (!viewer) { return; }
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    overlays.remove({type: "cb-heat"});
    payload.tasks.forEach(function (task) {
      if (!registry.get(task.id)) { return; }
      var box = el("div", "heat-badge heat-" + task.heat);
      box.dataset.task = task.id;
      var counts = el("div", "heat-counts");
      var waiting = el("span", "", "");
      waiting.appendChild(el("b", "heat-waiting", String(task.waiting)));
      waiting.appendChild(document.createTextNode(" " + texts.dataset.waiting));
      counts.appendChild(waiting);
      var overdue = el("span", "", "⚠ ");
      overdue.appendChild(el("b", "heat-overdue", String(task.overdue)));
      overdue.appendChild(document.createTextNode(" " + texts.dataset.overdue));
      counts.appendChild(overdue);
      box.appendChild(counts);
      if (task.median_text) {
        box.appendChild(el("div", "heat-times", texts.dataset.median + " " + task.median_text +
                           " · " + texts.dataset.p90 + " " + task.p90_text));
      }
      overlays.add(task.id, "cb-heat", {position: {top: -34, left: 0}, html: box});
    });
    canvasElt.dataset.heat = "drawn";
  }

  function fillTable(payload) {
    payload.tasks.forEach(function (task) {
      var row = root.querySelector('#live-table tr[data-task="' + task.id + '"]');
      if (!row) { return; }
      row.className = "heat-" + task.heat;
      ["waiting", "overdue", "completed", "median_text", "p90_text"].forEach(function (key) {
        var cell = row.querySelector('[data-col="' + key + '"]');
        var value = task[key];
        if (cell) { cell.textContent = (value === null || value === undefined) ? "–" : String(value); }
      });
    });
  }

  function render(payload) {
    current = payload;
    fillTable(payload);
    drawOverlays(payload);
    root.dataset.generatedAt = payload.generated_at;
  }

  function say(template) {
    var time = new Date().toLocaleTimeString(document.documentElement.lang || "vi",
                                             {hour: "2-digit", minute: "2-digit"});
    status.textContent = template.replace("TIME", time);
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value) { params.set(key, value); } });
    return params;
  }

  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, refreshMs);
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

  canvasElt.addEventListener("diagram:ready", function (event) {
    viewer = event.detail.viewer;
    drawOverlays(current);
  });
  if (form) {
    form.addEventListener("change", function () { refresh(); });
    form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  }
  schedule();
}());
