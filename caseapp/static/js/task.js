/* Task forms: show only the fields that belong to the chosen decision (all stay in the page
   without JavaScript). A block marked data-show-when="name=value" is shown when that radio or
   select has that value. */
(function () {
  "use strict";
  var form = document.getElementById("task-form");
  if (!form) { return; }
  var blocks = form.querySelectorAll("[data-show-when]");

  function valueOf(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var select = form.querySelector('select[name="' + name + '"]');
    return select ? select.value : "";
  }

  function update() {
    blocks.forEach(function (block) {
      var rule = block.getAttribute("data-show-when").split("=");
      var shown = valueOf(rule[0]) === rule[1];
      block.hidden = !shown;
    });
  }

  form.addEventListener("change", update);
  update();
}());
