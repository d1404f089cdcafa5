// Sortable plan comparison: a heading's button sorts its column (numbers by data-value).
(function () {
  "use strict";
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead button[data-sort]").forEach(function (button, index) {
      button.addEventListener("click", function () {
        var th = button.closest("th");
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var numeric = button.dataset.sort === "number";
        rows.sort(function (a, b) {
          var x = a.cells[index], y = b.cells[index];
          var vx = numeric ? parseFloat(x.dataset.value || "0") : x.textContent.trim();
          var vy = numeric ? parseFloat(y.dataset.value || "0") : y.textContent.trim();
          var order = numeric ? vx - vy : String(vx).localeCompare(String(vy));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
