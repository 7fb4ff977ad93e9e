/* The agenda as time passes and frames arrive: the board's now-line and its countdown to the
   next slot (board.js pages it); on phones "my agenda", now/next and notices when a session one
   follows moves. Frames are shared by every screen; what is personal comes from the page
   (data-follow on #my-agenda). Everything here also reads fine without this script. */
(function () {
  "use strict";

  var each = function (selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); };
  var seconds = function () { return Date.now() / 1000; };

  /* --- rows: past, now (with the line), next --------------------------------------------- */
  function markRows() {
    var t = seconds();
    each(".agenda-block[data-start], .board-row[data-start]", function (row) {
      var start = Number(row.getAttribute("data-start"));
      var end = Number(row.getAttribute("data-end"));
      var now = start <= t && t < end;
      row.classList.toggle("past", end <= t);
      row.classList.toggle("now", now);
      if (now) { row.style.setProperty("--now", ((t - start) / (end - start) * 100).toFixed(1) + "%"); }
    });
    var clock = document.querySelector("[data-next-slot]");
    if (!clock) { return; }
    var next = null;
    each(".board-row.block-slot[data-start]", function (row) {
      var start = Number(row.getAttribute("data-start"));
      if (start > t && (next === null || start < next)) { next = start; }
    });
    var box = clock.closest(".board-next");
    box.hidden = next === null;
    if (next !== null) {
      var left = Math.round(next - t);
      var hours = Math.floor(left / 3600);
      var minutes = Math.floor((left % 3600) / 60);
      var secs = left % 60;
      clock.textContent = (hours ? hours + ":" + ("0" + minutes).slice(-2) : minutes) + ":" + ("0" + secs).slice(-2);
    }
  }

  /* --- phones: "Now and next" keeps the item running now and the next one -------------------- */
  function markNowNext() {
    var box = document.getElementById("now-live");
    if (!box) { return; }
    var t = seconds();
    var next = null;
    var shown = 0;
    box.querySelectorAll(".now-block[data-start]").forEach(function (row) {
      var start = Number(row.getAttribute("data-start"));
      if (start > t && next === null) { next = row; }
    });
    box.querySelectorAll(".now-block[data-start]").forEach(function (row) {
      var isNow = row.classList.contains("now");
      row.classList.toggle("next", row === next);
      row.hidden = !(isNow || row === next);
      if (!row.hidden) { shown += 1; }
    });
    var empty = box.querySelector(".now-empty");
    if (empty) { empty.hidden = shown > 0; }
    var ids = followed();
    box.querySelectorAll(".now-session[data-topic]").forEach(function (item) {
      item.classList.toggle("followed", !!ids[item.getAttribute("data-topic")]);
    });
  }

  /* --- phones: my agenda, now/next, notices -------------------------------------------------- */
  function followed() {
    var box = document.getElementById("my-agenda");
    var raw = box ? box.getAttribute("data-follow") || "" : "";
    var ids = {};
    raw.split(" ").forEach(function (id) { if (id) { ids[id] = true; } });
    // Dots placed since the page was drawn count too (the phone's own state, see live.js).
    var state = document.getElementById("my-state");
    if (state) {
      try {
        var votes = JSON.parse(state.getAttribute("data-votes") || "{}");
        Object.keys(votes).forEach(function (id) { if (votes[id] > 0) { ids[id] = true; } });
      } catch (e) { /* a malformed state adds nothing */ }
    }
    return ids;
  }

  function buildMyAgenda() {
    var box = document.getElementById("my-agenda");
    var full = document.getElementById("agenda-live");
    if (!box || !full) { return; }
    var ids = followed();
    box.hidden = full.hidden;
    var list = box.querySelector(".my-agenda-list");
    var mine = [];
    Array.prototype.forEach.call(full.querySelectorAll(".agenda-session[data-topic]"), function (item) {
      var id = item.getAttribute("data-topic");
      item.classList.toggle("followed", !!ids[id]);
      if (ids[id]) { mine.push(item); }
    });
    mine.sort(function (a, b) { return Number(a.getAttribute("data-start")) - Number(b.getAttribute("data-start")); });
    list.textContent = "";
    var t = seconds();
    var current = null;
    var next = null;
    mine.forEach(function (item) {
      var copy = item.cloneNode(true);
      copy.classList.remove("followed");
      list.appendChild(copy);
      var start = Number(item.getAttribute("data-start"));
      var end = Number(item.getAttribute("data-end"));
      if (start <= t && t < end && !current) { current = copy; }
      if (start > t && !next) { next = copy; }
    });
    each("#my-agenda .now-flag", function (flag) { flag.remove(); });
    [[current, box.getAttribute("data-now-label")], [next, box.getAttribute("data-next-label")]].forEach(function (pair) {
      if (!pair[0]) { return; }
      var flag = document.createElement("strong");
      flag.className = "now-flag";
      flag.textContent = pair[1] + " ";
      pair[0].insertBefore(flag, pair[0].firstChild);
    });
    var empty = box.querySelector(".my-agenda-empty");
    if (empty) { empty.hidden = mine.length > 0; }
    showNotices(box, full, ids);
  }

  function showNotices(box, full, ids) {
    var notices = document.getElementById("agenda-notices");
    var changes = document.getElementById("agenda-changes");
    if (!notices || !changes) { return; }
    var key = "osl-notices-" + location.pathname.split("/")[2] + "-" + full.getAttribute("data-version");
    var dismissed = false;
    try { dismissed = window.localStorage.getItem(key) === "1"; } catch (e) { dismissed = false; }
    notices.textContent = "";
    if (dismissed) { return; }
    var shown = 0;
    Array.prototype.forEach.call(changes.querySelectorAll("li[data-topic]"), function (change) {
      if (!ids[change.getAttribute("data-topic")]) { return; }
      var note = document.createElement("p");
      note.className = "agenda-notice";
      note.textContent = change.textContent.trim();
      notices.appendChild(note);
      shown += 1;
      var item = full.querySelector('.agenda-session[data-topic="' + change.getAttribute("data-topic") + '"]');
      if (item) { item.classList.add("moved"); }
    });
    if (shown) {
      var ok = document.createElement("button");
      ok.type = "button";
      ok.className = "small";
      ok.textContent = box.getAttribute("data-dismiss-label");
      ok.addEventListener("click", function () {
        try { window.localStorage.setItem(key, "1"); } catch (e) { /* private mode: just hide */ }
        notices.textContent = "";
      });
      notices.appendChild(ok);
    }
  }

  function refresh() {
    markRows();
    markNowNext();
    buildMyAgenda();
  }

  // After the settle step too: it puts back the class attributes the server sent.
  ["htmx:wsAfterMessage", "htmx:oobAfterSwap", "htmx:afterSettle"].forEach(function (name) {
    document.addEventListener(name, refresh);
  });
  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    setInterval(function () { markRows(); markNowNext(); }, 1000);
    setInterval(function () { buildMyAgenda(); }, 30000);
  });
})();
