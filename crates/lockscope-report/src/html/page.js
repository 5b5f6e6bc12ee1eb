// report.html: sorting and filtering of the users table, and opening a user's evidence when a
// link points at it. Everything is readable without this script; it only adds conveniences.
// It reads the page, never writes HTML: text goes in through textContent only.
(function () {
  "use strict";
  var errors = document.getElementById("js-errors");
  window.addEventListener("error", function (e) {
    if (errors) {
      errors.hidden = false;
      errors.textContent += "script error: " + e.message + "\n";
    }
  });

  var table = document.getElementById("users-table");
  var body = table && table.tBodies[0];
  var rows = body ? Array.prototype.slice.call(body.rows) : [];
  var filter = document.getElementById("user-filter");
  var verdict = document.getElementById("verdict-filter");
  var count = document.getElementById("user-count");

  // The sort key of a cell: its data-key when it has one (times, verdict order), else its text.
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) return "";
    return cell.hasAttribute("data-key") ? cell.getAttribute("data-key") : cell.textContent;
  }

  function sortBy(th, col) {
    var numeric = th.getAttribute("data-type") === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (c) {
      c.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = key(a, col);
      var y = key(b, col);
      var d = numeric ? parseFloat(x) - parseFloat(y) : x < y ? -1 : x > y ? 1 : 0;
      // Ties keep the case's order (by user), so a sort is the same on every run.
      if (d === 0) d = Number(a.getAttribute("data-i")) - Number(b.getAttribute("data-i"));
      return ascending ? d : -d;
    });
    rows.forEach(function (r) {
      body.appendChild(r);
    });
  }

  function applyFilter() {
    var text = filter ? filter.value.trim().toLowerCase() : "";
    var wanted = verdict ? verdict.value : "";
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!wanted || r.getAttribute("data-verdict") === wanted) &&
        (!text || r.textContent.toLowerCase().indexOf(text) !== -1);
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    if (count) count.textContent = shown + " of " + rows.length + " users shown";
  }

  if (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = th.querySelector("button");
      if (button) button.addEventListener("click", function () { sortBy(th, col); });
    });
    if (filter) filter.addEventListener("input", applyFilter);
    if (verdict) verdict.addEventListener("change", applyFilter);
    var controls = document.getElementById("user-controls");
    if (controls) controls.hidden = false;
    applyFilter();
  }

  // A link to #u-N or #inc-… opens the <details> it points at.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") el.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  function setAll(open) {
    Array.prototype.forEach.call(document.querySelectorAll("#evidence details.user"), function (d) {
      d.open = open;
    });
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand && collapse) {
    expand.addEventListener("click", function () { setAll(true); });
    collapse.addEventListener("click", function () { setAll(false); });
    expand.parentNode.hidden = false;
  }

  document.body.setAttribute("data-js", "ready");
})();
