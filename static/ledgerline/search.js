// Global search: "/" focuses the top-bar box (unless typing in a field); on the results
// page the arrow keys move between results and Enter follows the focused one.
(function () {
  "use strict";
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("global-search");
    if (!box) { return; }
    if (event.key === "/" && !typing(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var hits = Array.prototype.slice.call(document.querySelectorAll(".search-hit"));
    if (!hits.length) { return; }
    var at = hits.indexOf(document.activeElement);
    // From the search box or from nowhere in particular; never out of another field.
    if (at === -1 && document.activeElement !== box && typing(document.activeElement)) { return; }
    event.preventDefault();
    var next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) { box.focus(); return; }
    hits[Math.min(next, hits.length - 1)].focus();
  });
}());
