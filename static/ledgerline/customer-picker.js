// Customer type-ahead of a form (record a payment): typing asks the lookup for at most
// 20 customers; arrows move in the list, Enter or a click picks one and puts its id in
// the hidden input the form posts. Typing again clears the id, so a changed name is
// never posted with the old customer.
(function () {
  "use strict";
  function setUp(picker) {
    var box = picker.querySelector(".customer-picker-box");
    var value = picker.querySelector(".customer-picker-value");
    var list = picker.querySelector(".customer-picker-list");
    var url = picker.getAttribute("data-lookup-url");
    var timer = null;
    var asked = 0;
    var active = -1;

    function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }
    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(at) {
      var all = options();
      if (!all.length) { return; }
      active = (at + all.length) % all.length;
      all.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      box.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function pick(li) {
      value.value = li.getAttribute("data-id");
      box.value = li.getAttribute("data-label");
      close();
    }
    function show(data) {
      list.textContent = "";
      data.results.forEach(function (row, i) {
        var li = document.createElement("li");
        li.id = box.id + "_choice_" + i;
        li.setAttribute("role", "option");
        li.setAttribute("data-id", row.id);
        li.setAttribute("data-label", row.label);
        li.textContent = row.label;
        if (row.detail) {
          var small = document.createElement("small");
          small.textContent = " " + row.detail;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(li); });
        list.appendChild(li);
      });
      var note = null;
      if (!data.results.length) { note = "No customer matches."; }
      else if (data.more) { note = "More match: type more of the name or id."; }
      if (note) {
        var hint = document.createElement("li");
        hint.className = "customer-picker-note";
        hint.textContent = note;
        list.appendChild(hint);
      }
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      active = -1;
    }
    function lookUp() {
      var query = box.value.trim();
      if (query.length < 2) { close(); return; }
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && ticket === asked) { show(data); } })
        .catch(function () { close(); });
    }
    box.addEventListener("input", function () {
      value.value = "";
      clearTimeout(timer);
      timer = setTimeout(lookUp, 150);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { lookUp(); return; }
        mark(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && !list.hidden) {
        var all = options();
        if (active >= 0 && all[active]) { event.preventDefault(); pick(all[active]); }
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    box.addEventListener("blur", close);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".customer-picker"), setUp);
}());
