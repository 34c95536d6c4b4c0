/* The process modeler: bpmn-js Modeler with the Camunda 7 properties panel (camunda-bpmn-js),
   checked on the server as the designer draws (debounced POST /process/check), saved as a draft,
   compared with the active version, deployed. The instance is window.casebridgeModeler. */
(function () {
  "use strict";
  var dataElt = document.getElementById("modeler-data");
  var textsElt = document.getElementById("modeler-texts");
  var statusElt = document.getElementById("modeler-status");
  if (!dataElt || !textsElt) { return; }
  var data = JSON.parse(dataElt.textContent);
  var t = textsElt.dataset;
  var texts = {error: t.error, warning: t.warning, noProblems: t.noProblems, counts: t.counts,
               added: t.added, removed: t.removed, changed: t.changed, noDiff: t.noDiff};
  var marks = window.CasebridgeMarks;
  var $ = function (id) { return document.getElementById(id); };
  var CHECK_DELAY_MS = 800;

  function say(text, kind) {
    statusElt.textContent = text;
    statusElt.dataset.kind = kind || "info";
  }
  if (typeof window.BpmnModeler === "undefined") { say(t.loadFailed, "error"); return; }

  var modeler = new window.BpmnModeler({
    container: "#modeler-canvas",
    propertiesPanel: {parent: "#modeler-properties"}
  });
  window.casebridgeModeler = modeler;

  function post(url, body) {
    return window.fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": t.csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return {status: response.status, ok: response.ok, json: json};
      });
    });
  }

  function currentXml() {
    return modeler.saveXML({format: true}).then(function (result) { return result.xml; });
  }

  /* ---- problems while drawing ---- */
  var checkTimer = null, checkSeq = 0;
  function showProblems(problems) {
    var counts = marks.showProblems(modeler, $("modeler-problems"), $("modeler-problem-count"),
                                    texts, problems || []);
    $("modeler-canvas").dataset.checked = String(checkSeq);
    return counts;
  }
  function check() {
    var seq = ++checkSeq;
    say(t.checking);
    return currentXml().then(function (xml) {
      return post(data.urls.check, {xml: xml});
    }).then(function (r) {
      if (seq !== checkSeq) { return; }  // an older answer: a newer check is on its way
      if (!r.ok || !r.json.problems) { say(t.checkFailed, "error"); return; }
      showProblems(r.json.problems);
      say("");
    }).catch(function () { say(t.checkFailed, "error"); });
  }
  function scheduleCheck() {
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(check, CHECK_DELAY_MS);
  }

  /* ---- drafts ---- */
  function save() {
    return currentXml().then(function (xml) {
      return post(data.urls.save, {xml: xml, title: $("draft-title").value,
                                   draft_id: data.draft_id, based_on: data.based_on});
    }).then(function (r) {
      if (!r.ok) {
        var reason = (r.json.error && r.json.error.message) || String(r.status);
        say(t.saveFailed.replace("REASON", reason), "error");
        throw new Error(reason);
      }
      data.draft_id = r.json.draft.id;
      window.history.replaceState(null, "", data.urls.open_draft.replace("{id}", data.draft_id));
      say(t.saved.replace("TIME", new Date().toLocaleTimeString()), "success");
      return data.draft_id;
    });
  }

  function deploy() {
    say(t.deploying);
    return save().then(function (draftId) {
      return post(data.urls.deploy.replace("{id}", draftId),
                  {accept_warnings: $("modeler-accept-warnings").checked});
    }).then(function (r) {
      if (r.status === 201) {
        say(t.deployed.replace("V", r.json.version), "success");
      } else if (r.status === 200 && r.json.already_deployed) {
        say(t.already, "info");
      } else {
        if (r.json.problems) { showProblems(r.json.problems); }
        say(t.refused, "error");
      }
      return r;
    }).catch(function () { /* save() said why */ });
  }

  function diff() {
    return currentXml().then(function (xml) {
      return post(data.urls.diff, {xml: xml, against: data.active_version_id});
    }).then(function (r) {
      if (!r.ok) { say(t.diffFailed, "error"); return; }
      $("modeler-diff-box").hidden = false;
      marks.showDiff(modeler, $("modeler-diff-list"), texts, r.json);
    }).catch(function () { say(t.diffFailed, "error"); });
  }

  function download() {
    return currentXml().then(function (xml) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([xml], {type: "application/xml"}));
      link.download = ($("draft-title").value || "diagram").replace(/[^\w.-]+/g, "_") + ".bpmn";
      document.body.appendChild(link);
      link.click();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
    });
  }

  $("modeler-save").addEventListener("click", function () { save().catch(function () {}); });
  $("modeler-validate").addEventListener("click", check);
  $("modeler-diff").addEventListener("click", diff);
  $("modeler-deploy").addEventListener("click", deploy);
  $("modeler-download").addEventListener("click", download);

  modeler.importXML(data.xml).then(function () {
    modeler.get("canvas").zoom("fit-viewport", "auto");
    modeler.get("eventBus").on("commandStack.changed", scheduleCheck);
    $("modeler-canvas").dataset.ready = "true";
    check();
  }).catch(function (err) {
    $("modeler-canvas").dataset.ready = "error";
    say(t.loadFailed, "error");
    if (window.console) { window.console.error(err); }
  });
  window.casebridgeModelerActions = {save: save, check: check, deploy: deploy, diff: diff};
}());
