/* The case's BPMN diagram in the bpmn-js NavigatedViewer, with the current task(s) and the
   completed ones marked (CSS classes cb-ready / cb-completed, see app.css). */
(function () {
  "use strict";
  var canvasElt = document.getElementById("bpmn-canvas");
  var dataElt = document.getElementById("diagram-data");
  var errorElt = document.getElementById("diagram-error");
  if (!canvasElt || !dataElt || typeof window.BpmnJS === "undefined") {
    if (errorElt) { errorElt.hidden = false; }
    return;
  }
  var data = JSON.parse(dataElt.textContent);
  var viewer = new window.BpmnJS({ container: canvasElt });

  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var marks = data.marks || {};
    Object.keys(marks).forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marks[id] === "ready" ? "cb-ready" : "cb-completed");
      }
    });
    canvas.zoom("fit-viewport", "auto");
    // the process page's live figures (diagram_heat.js) draw their overlays on this viewer
    canvasElt.dispatchEvent(new CustomEvent("diagram:ready", {detail: {viewer: viewer}}));
    canvasElt.dataset.ready = "true";
  }).catch(function (err) {
    if (errorElt) { errorElt.hidden = false; }
    canvasElt.dataset.ready = "error";
    if (window.console) { window.console.error(err); }
  });
}());
