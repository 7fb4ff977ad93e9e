// Session notes: autosave with a draft kept on the device (sent again when the connection is
// back), who is editing, fresh notes when the live frame says someone else saved, a box to
// merge appeared or left, or the headcount changed. Also the closing circle: slides on the
// board, keys and clickers on the facilitator's control page.
// Without this script every form still works by plain submission.
(function () {
  "use strict";

  var DEBOUNCE_MS = 1200;
  var HEARTBEAT_MS = 20000;
  var PRESENCE_S = 60;
  var RETRY_MS = 15000;  // a save that got no answer is tried again after this

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }

  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), "Accept": "application/json" }
    });
  }

  // --- the notes page ---------------------------------------------------------------------

  function NotesPage(root) {
    this.root = root;
    this.subject = root.getAttribute("data-subject");  // its key in the live frame's map
    this.store = root.getAttribute("data-store");
    this.revision = Number(root.getAttribute("data-revision") || 0);
    this.status = document.getElementById("notes-autosave");
    this.fields = {};
    this.timers = {};
    this.sending = {};
    this.pausedUntil = 0;  // after a 429: no save is sent before this time (ms)
    this.heartbeat = null;
    var self = this;
    Array.prototype.forEach.call(root.querySelectorAll("[data-notes-field]"), function (el) {
      var name = el.getAttribute("data-notes-field");
      self.fields[name] = el;
      el.setAttribute("data-server", el.value);  // the saved text this field started from
      var draft = self.draft(name);
      if (draft && draft.value !== el.value) {
        el.value = draft.value;
        el.setAttribute("data-base", String(draft.base));
        self.schedule(name, 10);
      } else if (draft) {
        self.forget(name);
      }
      el.addEventListener("input", function () {
        self.keep(name);
        self.schedule(name, DEBOUNCE_MS);
      });
      el.addEventListener("focus", function () { self.present(name); });
      el.addEventListener("blur", function () { self.absent(); });
    });
    window.addEventListener("online", function () { self.resendAll(); });
    window.addEventListener("pagehide", function () { self.flushAll(); });
    this.showEditors();
  }

  NotesPage.prototype.key = function (name) { return this.store + ":" + name; };

  NotesPage.prototype.draft = function (name) {
    try { return JSON.parse(localStorage.getItem(this.key(name)) || "null"); } catch (e) { return null; }
  };

  NotesPage.prototype.keep = function (name) {
    var el = this.fields[name];
    try {
      localStorage.setItem(this.key(name), JSON.stringify({
        value: el.value, base: Number(el.getAttribute("data-base") || 0), at: Date.now()
      }));
    } catch (e) { /* storage full or off: the autosave still runs */ }
  };

  NotesPage.prototype.forget = function (name) {
    try { localStorage.removeItem(this.key(name)); } catch (e) { /* nothing kept */ }
  };

  NotesPage.prototype.say = function (kind) {
    if (this.status) { this.status.textContent = this.status.getAttribute("data-" + kind) || ""; }
  };

  NotesPage.prototype.schedule = function (name, delay) {
    var self = this;
    delay = Math.max(delay, this.pausedUntil - Date.now());
    clearTimeout(this.timers[name]);
    this.timers[name] = setTimeout(function () { self.send(name); }, delay);
  };

  NotesPage.prototype.flushAll = function () {
    var self = this;
    Object.keys(this.timers).forEach(function (name) {
      clearTimeout(self.timers[name]);
      if (self.draft(name)) { self.send(name); }
    });
  };

  NotesPage.prototype.resendAll = function () {
    var self = this;
    Object.keys(this.fields).forEach(function (name) {
      if (self.draft(name)) { self.schedule(name, 10); }
    });
  };

  NotesPage.prototype.fieldError = function (name, message) {
    var el = this.fields[name];
    var id = name + "-error";
    var box = document.getElementById(id);
    if (!message) {
      if (box) { box.remove(); }
      el.removeAttribute("aria-invalid");
      return;
    }
    if (!box) {
      box = document.createElement("p");
      box.className = "field-error";
      box.id = id;
      box.setAttribute("role", "alert");
      el.insertAdjacentElement("afterend", box);
    }
    box.textContent = message;
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", id);
  };

  NotesPage.prototype.send = function (name) {
    var self = this;
    var el = this.fields[name];
    if (this.sending[name]) { this.schedule(name, DEBOUNCE_MS); return; }
    var sent = el.value;
    var base = Number(el.getAttribute("data-base") || 0);
    var fields = { base_revision: String(base) };
    fields[name] = sent;
    this.sending[name] = true;
    this.say("saving");
    post(this.root.getAttribute("data-save"), fields).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      self.sending[name] = false;
      var data = answer.data || {};
      if (answer.status === 409 && data.reload) { window.location.reload(); return; }
      if (answer.status === 429) {
        // Too many saves: nothing was saved and nothing is dropped. The draft stays on the
        // phone (localStorage) and this field is sent again when the server says so.
        var wait = Math.max(Number(data.retry_after) || 0, 1) * 1000;
        self.pausedUntil = Date.now() + wait;
        self.keep(name);
        self.say("limited");
        self.schedule(name, wait);
        return;
      }
      if (answer.status === 422 && data.errors) {
        self.fieldError(name, data.errors[name] || data.errors.base_revision || "");
        self.say("failed");
        return;
      }
      if (answer.status !== 200) { self.say("offline"); return; }
      self.fieldError(name, "");
      var server = data.values[name];
      var conflict = data.conflicts.indexOf(name) >= 0;
      if (el.value === sent) {
        // Nothing typed meanwhile: show what is saved now (merged, or theirs on a conflict:
        // ours is kept on the server, shown in the box to merge).
        el.value = server;
        el.setAttribute("data-server", server);
        el.setAttribute("data-base", String(data.revision));
        self.forget(name);
      } else if (data.applied.indexOf(name) >= 0) {
        // Typed on meanwhile, on top of what was saved as sent: that save is the new base.
        el.setAttribute("data-server", server);
        el.setAttribute("data-base", String(data.revision));
        self.keep(name);
      }  // else: merged or kept aside while typing on; the old base merges the rest next time
      self.revision = Math.max(self.revision, data.revision);
      self.say(conflict ? "conflict" : (data.merged.indexOf(name) >= 0 ? "merged" : "saved"));
      if (conflict || data.merged.length) { self.fetchFresh(); }
    }).catch(function () {
      self.sending[name] = false;
      self.say("offline");  // the draft stays in localStorage; "online" sends it again
      self.schedule(name, RETRY_MS);  // ...and so does a retry, for Wi-Fi that never says
    });
  };

  NotesPage.prototype.present = function (name) {
    var self = this;
    var url = this.root.getAttribute("data-presence");
    clearInterval(this.heartbeat);
    clearTimeout(this.leaving);
    var beat = function () { post(url, { field: name }).catch(function () {}); };
    beat();
    this.heartbeat = setInterval(beat, HEARTBEAT_MS);
  };

  NotesPage.prototype.absent = function () {
    var self = this;
    clearInterval(this.heartbeat);
    // Moving to the next field is not leaving: wait a moment before saying so.
    this.leaving = setTimeout(function () {
      var active = document.activeElement;
      if (active && active.hasAttribute && active.hasAttribute("data-notes-field")) { return; }
      post(self.root.getAttribute("data-leave"), {}).catch(function () {});
    }, 1500);
  };

  NotesPage.prototype.fetchFresh = function () {
    var url = this.root.getAttribute("data-fresh");
    if (this.fetching) { this.again = true; return; }
    this.fetching = true;
    var self = this;
    htmx.ajax("GET", url, { source: this.root, swap: "none" }).then(function () {
      self.fetching = false;
      if (self.again) { self.again = false; self.fetchFresh(); }
    }, function () { self.fetching = false; });
  };

  // The fresh regions came in: put the saved text into every field nobody here is changing.
  NotesPage.prototype.applyValues = function () {
    var box = document.getElementById("notes-values");
    if (!box) { return; }
    var revision = Number(box.getAttribute("data-revision") || 0);
    var self = this;
    Array.prototype.forEach.call(box.querySelectorAll("[data-field]"), function (span) {
      var name = span.getAttribute("data-field");
      var el = self.fields[name];
      if (!el || Number(el.getAttribute("data-base") || 0) >= revision) { return; }
      var untouched = el.value === el.getAttribute("data-server") && !self.draft(name) && !self.sending[name];
      if (untouched) {
        el.value = span.textContent;
        el.setAttribute("data-server", span.textContent);
        el.setAttribute("data-base", String(revision));
      }
    });
    this.revision = Math.max(this.revision, revision);
  };

  NotesPage.prototype.liveEntry = function () {
    var live = document.getElementById("notes-live");
    if (!live) { return null; }
    try { return JSON.parse(live.getAttribute("data-notes") || "{}")[this.subject] || null; }
    catch (e) { return null; }
  };

  NotesPage.prototype.showEditors = function () {
    var box = document.getElementById("notes-editors");
    var entry = this.liveEntry();
    if (!box || !entry) { return; }
    var now = Date.now() / 1000;
    var names = (entry.e || []).filter(function (item) { return now - item[1] < PRESENCE_S; })
      .map(function (item) { return item[0]; });
    box.textContent = names.length ? box.getAttribute("data-label") + " " + names.join(", ") : "";
  };

  function idList(ids) {
    return ids.map(Number).sort(function (a, b) { return a - b; }).join(",");
  }

  // Does the frame know more than this page shows? A newer revision, other boxes to merge
  // (someone's save conflicted, or someone merged one), another headcount.
  NotesPage.prototype.stale = function (entry) {
    entry = entry || {};
    if ((entry.r || 0) > this.revision) { return true; }
    var shown = Array.prototype.map.call(document.querySelectorAll("[data-conflict-id]"), function (box) {
      return box.getAttribute("data-conflict-id");
    });
    if (idList(entry.c || []) !== idList(shown)) { return true; }
    var counted = document.getElementById("notes-attendance");
    return !!counted && (
      Number(counted.getAttribute("data-here") || 0) !== (entry.h || 0) ||
      Number(counted.getAttribute("data-during") || 0) !== (entry.n || 0));
  };

  NotesPage.prototype.onFrame = function () {
    this.showEditors();
    if (this.stale(this.liveEntry())) { this.fetchFresh(); }
  };

  // --- the board: closing circle slides ---------------------------------------------------

  // The slide showing now, from the position set last moved on by the automatic advance
  // (closing.current_index on the server): the board and the facilitator's page both count so.
  function currentSlide(element, count) {
    var position = Number(element.getAttribute("data-position") || 0);
    var auto = Number(element.getAttribute("data-auto") || 0);
    var since = Number(element.getAttribute("data-since") || 0);
    if (auto > 0) { position += Math.max(Math.floor((Date.now() / 1000 - since) / auto), 0); }
    return ((position % count) + count) % count;
  }

  function showSlide() {
    var closing = document.getElementById("board-closing");
    if (!closing) { return; }
    var slides = closing.querySelectorAll("[data-slide]");
    if (!slides.length) { return; }
    var current = currentSlide(closing, slides.length);
    Array.prototype.forEach.call(slides, function (slide, index) { slide.hidden = index !== current; });
  }

  // The facilitator's page follows the board: the live frame brings the same numbers.
  function followSlide() {
    var follow = document.getElementById("closing-follow");
    if (!follow) { return; }
    var items = document.querySelectorAll("[data-closing-slide]");
    if (!items.length) { return; }
    var current = currentSlide(follow, items.length);
    Array.prototype.forEach.call(items, function (item, index) {
      item.classList.toggle("current", index === current);
      if (index === current) { item.setAttribute("aria-current", "true"); } else { item.removeAttribute("aria-current"); }
    });
    var label = document.getElementById("closing-current");
    var showing = items[current].getAttribute("data-showing") || "";
    if (label && label.textContent !== showing) { label.textContent = showing; }
  }

  // --- the facilitator's control page: keys and clickers -----------------------------------

  function closingKeys(event) {
    if (!document.querySelector("[data-closing-keys]")) { return; }
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var next = ["ArrowRight", "PageDown", " ", "Spacebar"].indexOf(event.key) >= 0;
    var previous = ["ArrowLeft", "PageUp"].indexOf(event.key) >= 0;
    if (!next && !previous) { return; }
    if (event.key === " " && target && target.tagName === "BUTTON") { return; }
    event.preventDefault();
    var form = document.getElementById(next ? "closing-next" : "closing-previous");
    if (form) { form.submit(); }
  }

  // --- wiring --------------------------------------------------------------------------------

  var page = null;
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-notes-page]");
    if (root) { page = new NotesPage(root); }
    showSlide();
    followSlide();
    setInterval(function () { showSlide(); followSlide(); }, 1000);
    setInterval(function () { if (page) { page.showEditors(); } }, 5000);
  });
  document.addEventListener("keydown", closingKeys);
  document.addEventListener("htmx:wsAfterMessage", function () {
    if (page) { page.onFrame(); }
    showSlide();
    followSlide();
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (page && target && target.id === "notes-values") { page.applyValues(); }
    if (target && target.id === "board-closing") { showSlide(); }
    if (target && target.id === "closing-follow") { followSlide(); }
  });
})();
