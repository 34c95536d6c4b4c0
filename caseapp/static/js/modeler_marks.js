/* The modeler's lists and marks: problems (error red, warning amber) and the differences from the
   active version (added green, changed blue, removed listed only), each on its element.
   window.CasebridgeMarks is used by modeler.js; texts come from #modeler-texts data-* attributes. */
(function () {
  "use strict";
  var PROBLEM_CLASSES = ["cb-problem-error", "cb-problem-warning"];
  var DIFF_CLASSES = ["cb-diff-added", "cb-diff-changed"];

  function clearMarkers(modeler, classes) {
    var canvas = modeler.get("canvas");
    modeler.get("elementRegistry").getAll().forEach(function (element) {
      classes.forEach(function (cls) { canvas.removeMarker(element, cls); });
    });
  }

  function mark(modeler, id, cls) {
    var element = id ? modeler.get("elementRegistry").get(id) : null;
    if (element) { modeler.get("canvas").addMarker(element, cls); }
    return element;
  }

  function selectElement(modeler, id) {
    var element = modeler.get("elementRegistry").get(id);
    if (!element) { return; }
    modeler.get("selection").select(element);
    try { modeler.get("canvas").scrollToElement(element); } catch (e) { /* a root or a label */ }
  }

  function item(text, cls) {
    var li = document.createElement("li");
    if (cls) { li.className = cls; }
    li.textContent = text;
    return li;
  }

  function describe(el) {
    return (el.name ? el.name + " " : "") + "(" + (el.id || "") + ")";
  }

  /* problems: [{severity, rule, element_id, element_name, message, title}] */
  function showProblems(modeler, list, counter, texts, problems) {
    clearMarkers(modeler, PROBLEM_CLASSES);
    list.textContent = "";
    var errors = 0, warnings = 0;
    problems.forEach(function (p) {
      var severity = p.severity === "warning" ? "warning" : "error";
      if (severity === "warning") { warnings += 1; } else { errors += 1; }
      var li = item("", "problem-" + severity);
      li.dataset.elementId = p.element_id || "";
      li.dataset.rule = p.rule || "";
      var badge = document.createElement("span");
      badge.className = "problem-badge";
      badge.textContent = texts[severity];
      li.appendChild(badge);
      var where = p.element_id ? " " + describe({id: p.element_id, name: p.element_name}) + ": " : " ";
      if (p.element_id && mark(modeler, p.element_id, "cb-problem-" + severity)) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button-link";
        button.textContent = where.trim();
        button.addEventListener("click", function () { selectElement(modeler, p.element_id); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(button);
        li.appendChild(document.createTextNode(" "));
      } else {
        li.appendChild(document.createTextNode(where));
      }
      /* the rule's title and advice in the reader's language, then the English detail */
      if (p.title) {
        var title = document.createElement("strong");
        title.textContent = p.title;
        li.appendChild(title);
        if (p.advice) { li.appendChild(document.createTextNode(". " + p.advice)); }
      }
      if (p.message) {
        var detail = document.createElement("span");
        detail.className = "problem-detail muted small";
        detail.textContent = p.message;
        li.appendChild(detail);
      }
      list.appendChild(li);
    });
    if (!problems.length) { list.appendChild(item(texts.noProblems, "problem-none")); }
    counter.textContent = texts.counts.replace("E", errors).replace("W", warnings);
    return {errors: errors, warnings: warnings};
  }

  /* diff: {added: [{id, name, type}], removed: [...], changed: [{..., changes: [{what, before, after}]}]} */
  function showDiff(modeler, list, texts, diff) {
    clearMarkers(modeler, DIFF_CLASSES);
    list.textContent = "";
    [["added", "cb-diff-added"], ["changed", "cb-diff-changed"], ["removed", null]].forEach(function (kind) {
      (diff[kind[0]] || []).forEach(function (el) {
        if (kind[1]) { mark(modeler, el.id, kind[1]); }
        var li = item(texts[kind[0]] + ": " + describe(el), "diff-" + kind[0]);
        li.dataset.elementId = el.id || "";
        (el.changes || []).forEach(function (c) {
          var sub = document.createElement("ul");
          sub.appendChild(item(c.what + ": " + (c.before == null ? "–" : c.before) + " → " +
                               (c.after == null ? "–" : c.after)));
          li.appendChild(sub);
        });
        list.appendChild(li);
      });
    });
    if (!list.children.length) { list.appendChild(item(texts.noDiff, "diff-none")); }
  }

  window.CasebridgeMarks = {showProblems: showProblems, showDiff: showDiff,
                            selectElement: selectElement};
}());
