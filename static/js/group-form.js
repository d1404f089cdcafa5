// The employer forms: check the carrier's rules as the broker types (the portal's check endpoint
// runs them without saving) and show each problem, with its rule ID and fix, beside its field.
// Saving needs no script: every step link is a submit button of the form (a draft save).
(function () {
  "use strict";
  var form = document.querySelector("form[data-check-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-check-url");
  var timer = null;

  function problemItem(p) {
    var li = document.createElement("li");
    if (p.severity === "warning") { li.className = "warning"; }  // a finalize rule still open, not a block
    var code = document.createElement("span");
    code.className = "rule-id";
    code.textContent = p.code;
    li.appendChild(code);
    li.appendChild(document.createTextNode(" " + p.message + " "));
    var fix = document.createElement("span");
    fix.className = "fix";
    fix.textContent = p.fix;
    li.appendChild(fix);
    return li;
  }

  function show(name, problems) {
    var block = document.getElementById("field-" + name);
    if (!block) { return; }
    var list = block.querySelector("ul.live-errors");
    var server = block.querySelector("ul.errorlist:not(.live-errors)");
    if (server) { server.remove(); }
    if (!list) {
      list = document.createElement("ul");
      list.className = "errorlist live-errors";
      list.setAttribute("aria-live", "polite");
      block.appendChild(list);
    }
    list.replaceChildren.apply(list, problems.map(problemItem));
    block.classList.toggle("field-invalid", problems.length > 0);
  }

  function check() {
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        Object.keys(body.fields).forEach(function (name) { show(name, body.fields[name]); });
      })
      .catch(function () { /* the server checks again on save */ });
  }

  form.addEventListener("change", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  });
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 800);
  });
})();
