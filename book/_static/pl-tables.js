// policylib tables: sorting by a header click and a row filter on the big tables (>= 8 rows).
// Offline, no library; text is read and written with textContent only.
(function () {
  "use strict";
  var MIN_ROWS = 8;

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function compare(a, b) {
    var na = parseFloat(a.replace(/^[^0-9-]*/, "")), nb = parseFloat(b.replace(/^[^0-9-]*/, ""));
    if (!isNaN(na) && !isNaN(nb) && na !== nb) { return na - nb; }
    return a.localeCompare(b, "zh");
  }

  function makeSortable(table) {
    var body = table.tBodies[0];
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      th.classList.add("pl-sortable");
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "Sort by this column");
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(cellText(r1, index), cellText(r2, index));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }

  function addFilter(table) {
    var body = table.tBodies[0];
    var tools = document.createElement("div");
    tools.className = "pl-table-tools";
    var label = document.createElement("label");
    label.textContent = "Filter rows: ";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "e.g. Guizhou, 低保, 2021";
    input.setAttribute("aria-label", "Filter the rows of the table below");
    var count = document.createElement("span");
    function update() {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = shown + " of " + body.rows.length + " rows";
    }
    input.addEventListener("input", update);
    label.appendChild(input);
    tools.appendChild(label);
    tools.appendChild(count);
    table.parentNode.insertBefore(tools, table);
    update();
  }

  function setup() {
    document.querySelectorAll("table.pl-table").forEach(function (table) {
      if (!table.tBodies.length || table.closest("details")) { return; }
      if (table.tBodies[0].rows.length >= MIN_ROWS) {
        makeSortable(table);
        addFilter(table);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
