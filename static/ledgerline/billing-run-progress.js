/* Billing run page: follow a queued or running run by polling its progress endpoint
   once a second, then reload to show the summary when it has finished. */
(function () {
  "use strict";
  var card = document.getElementById("run-progress");
  if (!card || card.dataset.finished === "1") { return; }
  var url = card.dataset.progressUrl;
  var bar = card.querySelector(".progress > span");
  var meter = card.querySelector(".progress");
  var status = document.getElementById("run-status");

  function show(data) {
    card.querySelectorAll("[data-field]").forEach(function (el) {
      var value = data[el.dataset.field];
      if (value !== undefined && value !== null) { el.textContent = value; }
    });
    bar.style.width = data.percent + "%";
    meter.setAttribute("aria-valuenow", data.percent);
    if (status) {
      status.textContent = data.status_label;
      status.className = "pill run-" + data.status;
    }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 1000);
})();
