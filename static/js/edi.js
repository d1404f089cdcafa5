// Enrollment file pages: reload while Humana is still processing the file (progressive enhancement).
(function () {
  "use strict";
  var note = document.querySelector(".js-edi-refresh");
  if (!note) { return; }
  var seconds = parseInt(note.getAttribute("data-refresh-seconds"), 10) || 5;
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
