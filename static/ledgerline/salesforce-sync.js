// Follows a Salesforce sync run: polls its progress JSON every second, updates the bar,
// the counts and the log, and stops when the run is finished.
(function () {
  var card = document.getElementById("run-progress");
  if (!card || card.dataset.finished === "1") { return; }
  var after = parseInt(card.dataset.after || "0", 10);
  var bar = card.querySelector(".progress > span");
  var log = document.querySelector("#run-log tbody");
  var status = document.getElementById("run-status");

  function setField(name, value) {
    card.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) { el.textContent = value; });
  }

  function addLine(line) {
    var row = document.createElement("tr");
    row.className = "log-" + line.level;
    [line.at.slice(11, 19), line.level, line.sf_id ? line.sf_object + " " + line.sf_id : "", line.code, line.message]
      .forEach(function (text) { var cell = document.createElement("td"); cell.textContent = text; row.appendChild(cell); });
    log.appendChild(row);
  }

  function poll() {
    fetch(card.dataset.progressUrl + "?after=" + after, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (p) {
        bar.style.width = p.percent + "%";
        ["percent", "status_label", "phase", "processed", "total", "http_requests", "attempts", "summary"].forEach(function (k) { setField(k, p[k]); });
        Object.keys(p.counts).forEach(function (k) {
          var cell = card.querySelector('[data-count="' + k + '"]');
          if (cell) { cell.textContent = p.counts[k]; }
        });
        var error = document.getElementById("run-error");
        error.textContent = p.error;
        error.classList.toggle("hidden", !p.error);
        status.textContent = p.status_label;
        status.className = "pill sync-" + p.status;
        p.log.forEach(function (line) { addLine(line); after = line.id; });
        if (p.finished) {
          var note = document.getElementById("progress-note");
          if (note) { note.textContent = "Finished."; }
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
