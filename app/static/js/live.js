// Live pages: greet the WebSocket with the last frame we have, show this person's own dots on
// the shared topic cards, keep vote clicks idempotent across retries, run board countdowns.
(function () {
  "use strict";

  function randomKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);  // works on plain http too, unlike crypto.randomUUID
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // A frame carries every live region of its audience (one render serves every page of the
  // channel); a page takes the regions it has. Regions it lacks are dropped before htmx swaps,
  // instead of each raising htmx:oobErrorNoTarget. Only socket frames (no xhr) are filtered:
  // an htmx response is made for its page and must match it. Enabled on <body> (base.html).
  htmx.defineExtension("live-frame", {
    transformResponse: function (text, xhr) {
      if (xhr) { return text; }
      var frame = document.createElement("template");
      frame.innerHTML = text;
      Array.prototype.forEach.call(Array.prototype.slice.call(frame.content.children), function (region) {
        if (!region.id || !document.getElementById(region.id)) { region.remove(); }
      });
      return frame.innerHTML;
    }
  });

  // A dropped socket (its node died, Wi-Fi came back) reconnects after a random wait up to 1,
  // 2, 4 s after the 1st, 2nd, 3rd … failure in a row, never more than 5 s ("full jitter" with
  // a cap; htmx's own doubles up to 64 s). Once at the cap, a crowd of N phones retrying comes
  // back at N / 5 s: README, "Running it for real", says why that is the number (what a node
  // accepts per second). bench/phones.py imitates it.
  var RECONNECT_BASE_MS = 1000;
  var RECONNECT_CAP_MS = 5000;
  htmx.config.wsReconnectDelay = function (retryCount) {
    return Math.random() * Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * Math.pow(2, Math.min(retryCount, 16)));
  };

  document.addEventListener("htmx:wsOpen", function (event) {
    var sync = document.getElementById("live-sync");
    var hello = {
      type: "hello",
      epoch: sync ? (sync.getAttribute("data-epoch") || "") : "",
      version: sync ? Number(sync.getAttribute("data-version") || 0) : 0
    };
    event.detail.socketWrapper.send(JSON.stringify(hello));
    document.body.classList.remove("offline");
  });

  document.addEventListener("htmx:wsClose", function (event) {
    document.body.classList.add("offline");
    // 1008: our ticket is no longer accepted (expired, event gone): a fresh page gets a new one.
    if (event.detail.event && event.detail.event.code === 1008) {
      setTimeout(function () { window.location.reload(); }, 5000 + Math.random() * 5000);
    }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-idempotent")) {
      if (!elt.getAttribute("data-key")) { elt.setAttribute("data-key", randomKey()); }
      event.detail.headers["Idempotency-Key"] = elt.getAttribute("data-key");
    }
  });

  // Send an idempotent request again with the same key, so the server counts it at most once:
  // after no answer (Wi-Fi dropped), a 503 (the server's database restarting; the flash says
  // so meanwhile), or a 502 or 504 (a balancer lost the node that had the request, which may
  // have counted it before it died). False once out of tries.
  var RETRIED_STATUSES = [502, 503, 504];
  function retryLater(elt) {
    var tries = Number(elt.getAttribute("data-retries") || 0);
    if (tries >= 4) { return false; }
    elt.setAttribute("data-retries", String(tries + 1));
    setTimeout(function () { htmx.trigger(elt, "retry"); }, 700 * (tries + 1));
    return true;
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!elt || !elt.removeAttribute || !xhr || xhr.status === 0) { return; }
    if (RETRIED_STATUSES.indexOf(xhr.status) >= 0 && elt.hasAttribute("data-idempotent") && retryLater(elt)) { return; }
    elt.removeAttribute("data-key");
    elt.removeAttribute("data-retries");
  });

  document.addEventListener("htmx:sendError", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute("data-idempotent") || retryLater(elt)) { return; }
    var flash = document.getElementById("flash");
    if (flash) { flash.textContent = flash.getAttribute("data-offline") || ""; }
  });

  function applyMyState() {
    var state = document.getElementById("my-state");
    if (!state) { return; }
    var votes = {};
    try { votes = JSON.parse(state.getAttribute("data-votes") || "{}"); } catch (e) { votes = {}; }
    var left = Number(state.getAttribute("data-left") || 0);
    var max = Number(state.getAttribute("data-max") || 1);
    var cards = document.querySelectorAll(".topic-card[data-topic]");
    var active = document.activeElement;
    Array.prototype.forEach.call(cards, function (card) {
      var mine = votes[card.getAttribute("data-topic")] || 0;
      var count = card.querySelector(".my-dots");
      if (count) { count.textContent = String(mine); }
      card.classList.toggle("voted", mine > 0);
      var add = card.querySelector(".vote-add");
      var remove = card.querySelector(".vote-remove");
      if (add) { add.disabled = left <= 0 || mine >= max; }
      if (remove) { remove.disabled = mine <= 0; }
    });
    if (active && active.disabled) { restoreFocus(active.id); }
    refetchMovedDots(votes, cards);
  }

  // A frame replaces the topic cards, and a spent "+" gets disabled: either would drop a
  // keyboard or screen reader user's focus to the top of the page. Put it back on the same
  // control (found by its id: the buttons of the topic cards and of "now and next" have one),
  // or on its neighbour when that one is disabled now.
  function restoreFocus(id) {
    var target = id ? document.getElementById(id) : null;
    if (target && target.disabled) {
      var group = target.closest(".vote-controls");
      target = group ? group.querySelector("button:not([disabled])") : null;
    }
    if (target && document.activeElement !== target) { target.focus({ preventScroll: true }); }
  }

  var focusedBeforeFrame = "";
  document.addEventListener("htmx:wsBeforeMessage", function () {
    var active = document.activeElement;
    focusedBeforeFrame = active && active.id ? active.id : "";
  });

  // Dots on a topic that left the list were moved (merge) or given back (hide) by the server;
  // ask once for this phone's own state rather than guess.
  var lastMissing = "";
  function refetchMovedDots(votes, cards) {
    var present = {};
    Array.prototype.forEach.call(cards, function (card) { present[card.getAttribute("data-topic")] = true; });
    var missing = Object.keys(votes).filter(function (id) { return votes[id] > 0 && !present[id]; }).sort().join(",");
    var box = document.getElementById("my-dots");
    var url = box && box.getAttribute("data-refresh");
    if (missing && missing !== lastMissing && url) {
      htmx.ajax("GET", url, { source: box, swap: "none" });
    }
    lastMissing = missing;
  }

  // "You're next" on the convener's own phone: the frame says whose turn it is, shared by all.
  function applyPitchTurn() {
    var root = document.querySelector("[data-participant]");
    var pitch = document.getElementById("pitch-now");
    if (!root || !pitch) { return; }
    var me = root.getAttribute("data-participant");
    var isIn = function (name) { return (pitch.getAttribute(name) || "").split(" ").indexOf(me) >= 0; };
    var now = pitch.querySelector(".pitch-turn-now");
    var next = pitch.querySelector(".pitch-turn-next");
    if (now) { now.hidden = !isIn("data-current"); }
    if (next) { next.hidden = !isIn("data-next"); }
  }

  // The page was rendered in one phase; the shared frame says which actions are open now.
  function applyPhase() {
    var banner = document.getElementById("phase-banner");
    if (!banner) { return; }
    var parts = document.querySelectorAll("[data-open-when]");
    Array.prototype.forEach.call(parts, function (part) {
      part.hidden = !banner.hasAttribute("data-" + part.getAttribute("data-open-when"));
    });
    var home = banner.getAttribute("data-home");
    Array.prototype.forEach.call(document.querySelectorAll("[data-home-part]"), function (part) {
      part.hidden = part.getAttribute("data-home-part") !== home;
    });
  }

  // The mapping workshop: this phone's own cards and +1s on the shared cards of a frame.
  var lastMissingPlus = "";
  function applyMapState() {
    var plusBox = document.getElementById("my-map-plus");
    var mineBox = document.getElementById("my-map-mine");
    if (!plusBox || !mineBox) { return; }
    var split = function (value) { return (value || "").split(" ").filter(Boolean); };
    var plussed = split(plusBox.getAttribute("data-plus"));
    var mine = split(mineBox.getAttribute("data-mine"));
    var active = document.activeElement;
    var present = {};
    Array.prototype.forEach.call(document.querySelectorAll(".map-card[data-card]"), function (card) {
      var id = card.getAttribute("data-card");
      var isMine = mine.indexOf(id) >= 0;
      var isPlussed = plussed.indexOf(id) >= 0;
      present[id] = true;
      card.classList.toggle("mine", isMine);
      card.classList.toggle("plussed", isPlussed);
      var add = card.querySelector(".plus-add");
      var remove = card.querySelector(".plus-remove");
      var badge = card.querySelector(".mine-badge");
      if (add) { add.hidden = isMine || isPlussed; }
      if (remove) { remove.hidden = !isPlussed; }
      if (badge) { badge.hidden = !isMine; }
    });
    // "+1" became "✓ +1" (or back) under a keyboard user's focus: keep it on the card.
    if (active && active.closest && active.closest("form[hidden]")) {
      var shown = active.closest(".map-card").querySelector("form:not([hidden]) button");
      if (shown) { shown.focus({ preventScroll: true }); }
    }
    // A card this phone supported left the map (merged): ask once where the +1 went.
    var missing = plussed.filter(function (id) { return !present[id]; }).sort().join(",");
    var url = mineBox.getAttribute("data-refresh");
    if (missing && missing !== lastMissingPlus && url) {
      htmx.ajax("GET", url, { source: mineBox, swap: "none" });
    }
    lastMissingPlus = missing;
  }

  // A convener's place in the pitch queue, from the frame's queue (topic ids, first first).
  function applyPitchPlace() {
    var pitch = document.getElementById("pitch-now");
    if (!pitch) { return; }
    var queue = (pitch.getAttribute("data-queue") || "").split(" ").filter(Boolean);
    var current = pitch.getAttribute("data-current-topic") || "";
    Array.prototype.forEach.call(document.querySelectorAll(".pitch-mine[data-topic]"), function (mine) {
      var id = mine.getAttribute("data-topic");
      var place = queue.indexOf(id) + 1;
      var number = mine.querySelector(".pitch-place-n");
      if (number && place) { number.textContent = String(place); }
      mine.querySelectorAll(".pitch-place, .pitch-leave").forEach(function (part) { part.hidden = !place; });
      var lineUp = mine.querySelector(".pitch-line-up");
      if (lineUp) { lineUp.hidden = place > 0 || id === current; }
    });
  }

  // "Ask to co-host" on others' cards; "Request sent" where this person asked already.
  function applyCohost() {
    var root = document.querySelector("[data-participant]");
    var requests = document.getElementById("my-requests");
    if (!root) { return; }
    var me = root.getAttribute("data-participant");
    var split = function (value) { return (value || "").split(" ").filter(Boolean); };
    var pending = requests ? split(requests.getAttribute("data-pending")) : [];
    var declined = requests ? split(requests.getAttribute("data-declined")) : [];
    Array.prototype.forEach.call(document.querySelectorAll(".topic-card[data-topic] .cohost"), function (box) {
      var id = box.closest(".topic-card").getAttribute("data-topic");
      var hosting = split(box.getAttribute("data-conveners")).indexOf(me) >= 0;
      box.hidden = hosting;
      var ask = box.querySelector(".cohost-ask");
      var sent = box.querySelector(".cohost-pending");
      var no = box.querySelector(".cohost-declined");
      if (ask) { ask.hidden = pending.indexOf(id) >= 0 || declined.indexOf(id) >= 0; }
      if (sent) { sent.hidden = pending.indexOf(id) < 0; }
      if (no) { no.hidden = declined.indexOf(id) < 0; }
    });
  }

  // "Now and next": where this phone's person is checked in.
  function applyHere() {
    var here = document.getElementById("my-here");
    var topic = here ? here.getAttribute("data-topic") || "" : "";
    Array.prototype.forEach.call(document.querySelectorAll(".now-session[data-topic]"), function (item) {
      var isHere = item.getAttribute("data-topic") === topic;
      item.classList.toggle("here", isHere);
      var button = item.querySelector(".here-button");
      var badge = item.querySelector(".here-badge");
      if (button) { button.hidden = isHere; }
      if (badge) { badge.hidden = !isHere; }
    });
  }

  // The bottom bar arrives with frames too (its links follow the phase); mark this page's.
  function applyNav() {
    var main = document.querySelector("main[data-nav-current]");
    var current = main ? main.getAttribute("data-nav-current") : "";
    Array.prototype.forEach.call(document.querySelectorAll("#phone-nav a[data-nav]"), function (link) {
      if (link.getAttribute("data-nav") === current) { link.setAttribute("aria-current", "page"); }
      else { link.removeAttribute("aria-current"); }
    });
  }

  function refresh() {
    applyPhase();
    applyMyState();
    applyPitchTurn();
    applyPitchPlace();
    applyCohost();
    applyHere();
    applyNav();
    applyMapState();
  }

  // The socket nudged: this person's own state changed elsewhere (their other phone, a
  // convener's answer). Ask once for it, however many nudges arrive in a burst.
  var ownTimer = null;
  function fetchOwn() {
    var box = document.getElementById("my-dots");
    var url = box && box.getAttribute("data-refresh");
    if (!url) { return; }
    clearTimeout(ownTimer);
    ownTimer = setTimeout(function () {
      htmx.ajax("GET", url.replace(/\/dots$/, "/own"), { source: box, swap: "none" });
    }, 250);
  }
  var lastNudge = "";
  document.addEventListener("htmx:wsAfterMessage", function () {
    var nudge = document.getElementById("my-nudge");
    var at = nudge ? nudge.getAttribute("data-at") || "" : "";
    if (at && at !== lastNudge) { lastNudge = at; fetchOwn(); }
  });

  // Messages ("Dot placed.") go away by themselves after a few seconds; they stay in the
  // page's live region, so a screen reader has read them. The offline notice stays.
  var FLASH_MS = 4000;
  var flashTimer = null;
  function watchFlash() {
    var flash = document.getElementById("flash");
    if (!flash || flash.getAttribute("role") === "alert") { return; }
    var schedule = function () {
      clearTimeout(flashTimer);
      flash.classList.remove("fading");
      var text = flash.textContent.trim();
      if (!text || text === flash.getAttribute("data-offline")) { return; }
      flashTimer = setTimeout(function () {
        flash.classList.add("fading");
        var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        setTimeout(function () { flash.textContent = ""; flash.classList.remove("fading"); }, reduced ? 0 : 400);
      }, FLASH_MS);
    };
    new MutationObserver(schedule).observe(flash, { childList: true, characterData: true, subtree: true });
    schedule();
  }

  // A button that shows or hides a part of the page (the propose form).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-toggles]") : null;
    if (!button) { return; }
    var part = document.getElementById(button.getAttribute("data-toggles"));
    if (!part) { return; }
    part.hidden = !part.hidden;
    button.setAttribute("aria-expanded", part.hidden ? "false" : "true");
    var field = part.hidden ? null : part.querySelector("input:not([type=hidden]), textarea");
    if (field) { field.focus(); }
  });

  // The on-screen keyboard leaves little room: the bottom bar steps aside while typing, and
  // stays aside on that form's buttons, or it would pop up under the finger tapping "Propose".
  var TEXT = "input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=file]), textarea, select";
  var typing = function (target) {
    if (!target || !target.matches) { return false; }
    var form = target.closest("form");
    return target.matches(TEXT) || !!(form && form.querySelector(TEXT));
  };
  document.addEventListener("focusin", function (event) {
    document.body.classList.toggle("typing", !!typing(event.target));
  });
  document.addEventListener("focusout", function () {
    setTimeout(function () { document.body.classList.toggle("typing", !!typing(document.activeElement)); }, 0);
  });

  // What a screen reader hears of the live frames: the regions htmx swaps on every frame are
  // not live regions themselves (each swap would be read out); an element of a frame with
  // data-announce speaks through #announcer when that value changes: the phase at once, the
  // tallies (data-announce-quiet) at most once per quiet interval (#announcer's data-quiet-ms,
  // which any announcement starts anew), with the latest summary.
  var announced = {};
  var quietUntil = 0;
  var quietTimer = null;
  function speak(text) {
    var announcer = document.getElementById("announcer");
    if (!announcer || !text) { return; }
    announcer.textContent = text;
    quietUntil = Date.now() + (Number(announcer.getAttribute("data-quiet-ms")) || 0);
  }
  function spoken(element) {
    return (element.getAttribute("data-announce-text") || element.textContent).replace(/\s+/g, " ").trim();
  }
  function announce(first) {
    var pending = null;
    Array.prototype.forEach.call(document.querySelectorAll("[data-announce]"), function (element) {
      var key = element.getAttribute("data-announce");
      var before = announced[element.id];
      announced[element.id] = key;
      if (first || before === key) { return; }
      if (!element.hasAttribute("data-announce-quiet")) { speak(spoken(element)); return; }
      pending = element;
    });
    if (!pending) { return; }
    var text = spoken(pending);
    var wait = quietUntil - Date.now();
    clearTimeout(quietTimer);
    if (wait <= 0) { speak(text); } else { quietTimer = setTimeout(function () { speak(text); }, wait); }
  }
  document.addEventListener("htmx:wsAfterMessage", function () { announce(false); });

  function tick() {
    var now = Date.now() / 1000;
    var clocks = document.querySelectorAll("[data-ends-at]");
    Array.prototype.forEach.call(clocks, function (clock) {
      var left = Math.max(0, Math.round(Number(clock.getAttribute("data-ends-at")) - now));
      clock.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      clock.classList.toggle("over", left === 0);
    });
  }

  // After the settle step too: it puts back the class attributes the server sent.
  ["htmx:wsAfterMessage", "htmx:oobAfterSwap", "htmx:afterSwap", "htmx:afterSettle"].forEach(function (name) {
    document.addEventListener(name, refresh);
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    var active = document.activeElement;
    if (!active || active === document.body) { restoreFocus(focusedBeforeFrame); }
    focusedBeforeFrame = "";
  });
  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    announce(true);
    watchFlash();
    tick();
    setInterval(tick, 250);
  });
})();
