// Global search: "/" focuses the top-bar box (unless typing in a field). While the user
// types, a dropdown shows the top matches per kind (from the same search as the results
// page): arrows move, Enter opens the highlighted one (or the results page), Esc closes.
// On the results page the arrow keys move between results and Enter follows the focused one.
(function () {
  "use strict";
  var DEBOUNCE_MS = 150;
  var MIN_LENGTH = 2;

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function typeAhead(box, list) {
    var timer = null;
    var pending = null;
    var active = -1;

    function options() { return Array.prototype.slice.call(list.querySelectorAll("a[role=option]")); }
    function isOpen() { return !list.hidden; }

    function close() {
      list.hidden = true;
      active = -1;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
    }

    function highlight(at) {
      var all = options();
      all.forEach(function (option, i) {
        option.classList.toggle("active", i === at);
        option.setAttribute("aria-selected", i === at ? "true" : "false");
      });
      active = at;
      if (at >= 0) {
        box.setAttribute("aria-activedescendant", all[at].id);
        all[at].scrollIntoView({ block: "nearest" });
      } else {
        box.removeAttribute("aria-activedescendant");
      }
    }

    function option(url, label, detail, index) {
      var link = element("a", "suggest-hit");
      link.href = url;
      link.id = "search-suggest-" + index;
      link.setAttribute("role", "option");
      link.appendChild(element("strong", "", label));
      if (detail) { link.appendChild(element("span", "muted", detail)); }
      return link;
    }

    function render(answer) {
      list.textContent = "";
      var index = 0;
      answer.groups.forEach(function (group) {
        var section = element("div", "suggest-group");
        section.setAttribute("data-kind", group.kind);
        section.appendChild(element("div", "suggest-kind", group.title));
        group.hits.forEach(function (hit) {
          section.appendChild(option(hit.url, hit.label, hit.detail, index));
          index += 1;
        });
        list.appendChild(section);
      });
      if (!answer.groups.length) {
        list.appendChild(element("div", "suggest-none", "Nothing matches yet."));
      }
      var all = option(answer.all_url, "All results for \u201c" + answer.query + "\u201d", "", index);
      all.classList.add("suggest-all");
      list.appendChild(all);
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    function fetchSuggestions() {
      var query = box.value.trim();
      if (query.length < MIN_LENGTH) { close(); return; }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      var url = box.getAttribute("data-suggest-url") + "?q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: pending.signal })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          // An answer to an older query (the user typed on) is dropped.
          if (answer && answer.query === box.value.trim()) { render(answer); }
        })
        .catch(function () { /* aborted or offline: the form still submits */ });
    }

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });
    box.addEventListener("keydown", function (event) {
      if (!isOpen()) { return; }
      var all = options();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        event.stopPropagation();
        var next = event.key === "ArrowDown" ? active + 1 : active - 1;
        if (next >= all.length) { next = 0; }
        if (next < -1) { next = all.length - 1; }
        highlight(next);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(all[active].href);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    box.addEventListener("blur", function () {
      // Later than a click on an option, which must still land.
      window.setTimeout(function () {
        if (!list.contains(document.activeElement)) { close(); }
      }, 200);
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    return isOpen;
  }

  var box = document.getElementById("global-search");
  var list = document.getElementById("search-suggest");
  var suggestionsOpen = box && list ? typeAhead(box, list) : function () { return false; };

  document.addEventListener("keydown", function (event) {
    if (!box) { return; }
    if (event.key === "/" && !typing(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    if (suggestionsOpen()) { return; }
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
