/* Moving running cases: the apply form is sent without leaving the page, then the run's
   progress (GET /process/moves/<run_id>, JSON) is polled until it is done. */
(function () {
  "use strict";
  var panel = document.getElementById("moves-progress");
  var form = document.getElementById("moves-apply-form");
  if (!panel) { return; }
  var stateText = document.getElementById("moves-progress-state");
  var bar = document.getElementById("moves-progress-bar");
  var link = document.getElementById("moves-run-link");
  var pollMs = 1000 * Number((form && form.dataset.pollSeconds) || 2);
  var timer = null;

  function show(run) {
    panel.hidden = false;
    ["total", "moved", "blocked", "failed"].forEach(function (name) {
      var cell = panel.querySelector('[data-count="' + name + '"]');
      if (cell) { cell.textContent = String(run[name]); }
    });
    bar.max = Math.max(1, run.total);
    bar.value = run.done;
    panel.dataset.state = run.state;
    stateText.textContent = run.state === "done" ? panel.dataset.textDone : panel.dataset.textRunning;
    link.hidden = run.state !== "done";
  }

  function poll() {
    if (!panel.dataset.url) { return; }
    fetch(panel.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (run) {
        show(run);
        if (run.state !== "done") { timer = window.setTimeout(poll, pollMs); }
      })
      .catch(function () {
        stateText.textContent = panel.dataset.textFailed;
        timer = window.setTimeout(poll, pollMs);
      });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().then(function (body) { return {ok: response.ok, body: body}; });
        })
        .then(function (result) {
          if (!result.ok) {
            panel.hidden = false;
            stateText.textContent = (result.body.error && result.body.error.message) || panel.dataset.textFailed;
            button.disabled = false;
            return;
          }
          panel.dataset.url = result.body.progress;
          link.href = result.body.page;
          show(result.body.run);
          if (timer) { window.clearTimeout(timer); }
          timer = window.setTimeout(poll, 200);
        })
        .catch(function () {
          panel.hidden = false;
          stateText.textContent = panel.dataset.textFailed;
          button.disabled = false;
        });
    });
  }
  if (panel.dataset.url && panel.dataset.state !== "done") { poll(); }
}());
