/* Contract entry in the admin: the product picker fills a line's list price and currency
   from the product's price in the contract currency; rows editors (ramp steps, custom
   billing plan) add and remove rows; the billing plan shows its running total. */
(function () {
  "use strict";

  function listPrices() {
    var el = document.getElementById("product-list-prices");
    return el ? JSON.parse(el.textContent) : {};
  }

  function contractCurrency() {
    var el = document.getElementById("id_currency");
    return el ? el.value : "";
  }

  function lineField(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function priceNote(row) {
    var picker = lineField(row, "product");
    var note = row.querySelector(".list-price-note");
    if (!note && picker) {
      note = document.createElement("div");
      note.className = "list-price-note help";
      picker.parentNode.appendChild(note);
    }
    return note;
  }

  function fillLine(row, productChanged) {
    var picker = lineField(row, "product");
    var price = lineField(row, "unit_price");
    var currencyPicker = lineField(row, "currency");
    if (!picker || !price) return;
    var currency = contractCurrency();
    var note = priceNote(row);
    if (currencyPicker && currency) currencyPicker.value = currency;
    if (!picker.value) { note.textContent = ""; return; }
    if (!currency) { note.textContent = "Choose the contract currency to fill the list price."; return; }
    var listPrice = (listPrices()[picker.value] || {})[currency];
    var untouched = !price.value || price.value === price.dataset.listPrice;
    if (listPrice) {
      if (productChanged || untouched) {
        price.value = listPrice;
        price.dataset.listPrice = listPrice;
      }
      note.textContent = "List price " + listPrice + " " + currency;
    } else {
      if (untouched) price.value = "";
      delete price.dataset.listPrice;
      note.textContent = "No " + currency + " list price for this product: enter the price.";
    }
  }

  function lineRows() {
    return document.querySelectorAll("#lines-group tr.form-row:not(.empty-form), #lines-group .inline-related:not(.empty-form)");
  }

  function runningTotals(editor) {
    if (!editor.classList.contains("billing-plan")) return;
    var total = 0;
    editor.querySelectorAll("tbody tr").forEach(function (tr) {
      var input = tr.querySelector('input[name$="__percent"]');
      var cell = tr.querySelector(".running-total");
      var value = input ? input.value.trim().replace(/%$/, "") : "";
      if (!cell) return;
      if (value === "") { cell.textContent = ""; return; }
      var n = Number(value);
      if (!isFinite(n)) { cell.textContent = "—"; return; }
      total = Math.round((total + n) * 1e6) / 1e6;
      cell.textContent = total + "%";
    });
    var foot = editor.querySelector(".plan-total");
    if (foot) {
      foot.textContent = total + "%";
      foot.dataset.complete = total === 100 ? "yes" : "no";
    }
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest(".rows-add");
    var remove = event.target.closest(".rows-remove");
    if (add) {
      var tbody = add.parentNode.querySelector("tbody");
      var last = tbody.querySelector("tr:last-child");
      var fresh = last.cloneNode(true);
      fresh.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      fresh.querySelectorAll(".running-total").forEach(function (c) { c.textContent = ""; });
      tbody.appendChild(fresh);
      var first = fresh.querySelector("input");
      if (first) first.focus();
    } else if (remove) {
      var tr = remove.closest("tr");
      var body = tr.parentNode;
      if (body.children.length > 1) {
        body.removeChild(tr);
      } else {
        tr.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      }
      runningTotals(body.closest(".rows-editor"));
    }
  });

  document.addEventListener("input", function (event) {
    var editor = event.target.closest(".rows-editor");
    if (editor) runningTotals(editor);
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "id_currency") {
      lineRows().forEach(function (row) { fillLine(row, false); });
    } else if (target.name && /^lines-\d+-product$/.test(target.name)) {
      fillLine(target.closest("tr, .inline-related"), true);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".rows-editor").forEach(runningTotals);
  });
})();
