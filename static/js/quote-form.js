// County picker: lists the counties of the ZIP entered (from the rate file) and fills a single one.
(function () {
  "use strict";
  var zip = document.getElementById("id_zip5");
  var county = document.getElementById("id_county_fips");
  var note = document.getElementById("county-choices");
  if (!zip || !county || !note) { return; }
  zip.addEventListener("change", function () {
    if (!/^\d{5}$/.test(zip.value)) { return; }
    fetch(note.dataset.countiesUrl + "?zip=" + encodeURIComponent(zip.value), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var list = data.counties.map(function (c) { return c.countyFips; });
        if (list.length === 1) { county.value = list[0]; }
        note.textContent = list.length ? note.dataset.label + " " + list.join(", ") : note.dataset.missing;
      });
  });
})();
