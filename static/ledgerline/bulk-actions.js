// Bulk issue/send on a billing run's page: posts the chosen invoices in chunks and shows
// progress. Each chunk may be re-posted safely: the server does each invoice once.
(function () {
  "use strict";
  var form = document.getElementById("run-bulk");
  if (!form) { return; }
  var progress = document.getElementById("bulk-progress");
  var status = document.getElementById("bulk-status");
  var selectAll = document.getElementById("select-all");
  var clicked = null;
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      form.querySelectorAll(".bulk-pick").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }
  form.querySelectorAll("button[formaction]").forEach(function (button) {
    button.addEventListener("click", function () { clicked = button; });
  });
  function chosen(button) {
    var wanted = button.getAttribute("data-status");
    var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-invoice]"));
    if (button.value === "all") {
      rows = rows.filter(function (row) { return row.getAttribute("data-status") === wanted; });
    } else {
      rows = rows.filter(function (row) { var box = row.querySelector(".bulk-pick"); return box && box.checked; });
    }
    return rows.map(function (row) { return row.getAttribute("data-invoice"); });
  }
  function post(url, ids) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    ids.forEach(function (id) { body.append("invoice", id); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); });
  }
  form.addEventListener("submit", function (event) {
    var button = event.submitter || clicked;
    if (!button || !window.fetch) { return; }  // no script support: the plain form post
    event.preventDefault();
    // "All": every invoice of the run in that status, not only this page's rows.
    var idsUrl = button.value === "all" && button.getAttribute("data-ids-url");
    if (idsUrl) {
      status.textContent = "Finding the invoices…";
      fetch(idsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (body) { run(button, (body.invoices || []).map(String)); },
              function () { status.textContent = "The connection failed; try again."; });
      return;
    }
    run(button, chosen(button));
  });
  function run(button, ids) {
    if (!ids.length) { status.textContent = button.value === "all" ? "Nothing to do." : "Select invoices first."; return; }
    var size = parseInt(form.getAttribute("data-chunk"), 10) || 10;
    var chunks = [];
    for (var i = 0; i < ids.length; i += size) { chunks.push(ids.slice(i, i + size)); }
    var totals = { done: 0, skipped: 0, refused: [] };
    progress.max = ids.length; progress.value = 0; progress.hidden = false;
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var url = button.getAttribute("formaction");
    chunks.reduce(function (previous, chunk) {
      return previous.then(function () {
        return post(url, chunk).then(function (outcome) {
          totals.done += (outcome.done || []).length;
          totals.skipped += (outcome.skipped || []).length;
          (outcome.refused || []).forEach(function (r) { totals.refused.push("#" + r.invoice + ": " + r.message); });
          if (outcome.message) { totals.refused.push(outcome.message); }
          progress.value += chunk.length;
          status.textContent = progress.value + " of " + ids.length + " done";
        });
      });
    }, Promise.resolve()).then(function () {
      status.textContent = totals.done + " done, " + totals.skipped + " already done" +
        (totals.refused.length ? ", refused: " + totals.refused.join("; ") : "") + ". Reloading…";
      window.setTimeout(function () { window.location.reload(); }, totals.refused.length ? 4000 : 600);
    }, function () {
      status.textContent = "The connection failed; run it again: nothing is done twice.";
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  }
}());
