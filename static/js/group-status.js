// The group page: while the carrier works on the group (creating, finalizing, or receiving changes),
// poll the portal's status endpoint and reload once it is done. Without JavaScript the page has a plain
// "Reload" link.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || box.getAttribute("data-pending") !== "1" || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var message = box.querySelector(".status-message");
  var delay = 1500;
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        if (message) { message.textContent = body.message; }
        if (!body.pending) { window.location.reload(); return; }
        delay = Math.min(delay * 1.5, 15000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 15000); });
  }
  window.setTimeout(poll, delay);
})();
