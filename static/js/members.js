// Family form: the waiver reason is asked only when a line is waived; "Add another dependent" adds a
// blank dependent in the page (without this script the button asks the server for the same page with
// one more, keeping what was typed).
(function () {
  "use strict";
  function sync(block) {
    var plan = block.querySelector("select[name$='-plan_id']");
    var reason = block.querySelector("select[name$='-waiver_reason']");
    if (!plan || !reason) return;
    var field = reason.closest(".field") || reason.parentNode;
    field.hidden = plan.value !== "WAIVE";
  }
  document.querySelectorAll(".election-form").forEach(function (block) {
    sync(block);
    block.addEventListener("change", function () { sync(block); });
  });

  var button = document.querySelector("button[data-add-dependent]");
  var template = document.getElementById("dependent-template");
  var list = document.getElementById("dependent-forms");
  var total = document.querySelector("input[name$='-TOTAL_FORMS']");
  var max = document.querySelector("input[name$='-MAX_NUM_FORMS']");
  if (!button || !template || !list || !total || !("content" in template)) return;
  button.addEventListener("click", function (event) {
    var count = parseInt(total.value, 10) || 0;
    var limit = max ? parseInt(max.value, 10) || 0 : 0;
    event.preventDefault();
    if (limit && count >= limit) { button.disabled = true; return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(count));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var block = holder.firstElementChild;
    list.appendChild(block);
    total.value = String(count + 1);
    if (limit && count + 1 >= limit) { button.disabled = true; }
    var first = block.querySelector("select, input:not([type=hidden])");
    if (first) { first.focus(); }
  });
})();
