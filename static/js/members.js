// Family form: the waiver reason is asked only when a line is waived.
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
})();
