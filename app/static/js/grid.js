/* The facilitator's grid: native drag and drop, and the keyboard path (select a topic, then a
   cell). Every move posts what the screen showed (where the topic was, which topic the target
   cell held): the server refuses a move that no longer matches and answers with the grid as it
   is. Without this script the same forms work with page loads. */
(function () {
  "use strict";

  function area() { return document.getElementById("grid"); }

  function post(path, values) {
    var grid = area();
    htmx.ajax("POST", "/o/" + grid.getAttribute("data-slug") + "/grid/" + path, {
      target: "#grid", swap: "outerHTML", values: values
    });
  }

  function card(topicId) { return document.getElementById("grid-topic-" + topicId); }

  function moveValues(topicId, target) {
    var from = card(topicId);
    return {
      topic: topicId,
      from_block: from ? from.getAttribute("data-block") : "",
      from_room: from ? from.getAttribute("data-room") : "",
      to_block: target ? target.getAttribute("data-block") : "",
      to_room: target ? target.getAttribute("data-room") : "",
      holds: target ? target.getAttribute("data-holds") : ""
    };
  }

  function say(text) {
    var message = document.getElementById("grid-message");
    if (message) { message.textContent = text; }
  }

  /* --- select, then place (keyboard and pointer) ------------------------------------- */
  /* The selection lives in data attributes, never in class: htmx's settle step puts a swapped
     element's class back as the server sent it, and would drop a selection made meanwhile. */
  function select(topicId) {
    var grid = area();
    var previous = grid.getAttribute("data-selected");
    Array.prototype.forEach.call(grid.querySelectorAll(".grid-topic[data-chosen]"), function (el) {
      el.removeAttribute("data-chosen");
      var pick = el.querySelector(".grid-pick");
      if (pick) { pick.setAttribute("aria-pressed", "false"); }
    });
    var chosen = topicId ? card(topicId) : null;
    var pick = chosen ? chosen.querySelector(".grid-pick") : null;
    if (!pick || topicId === previous) {
      grid.setAttribute("data-selected", "");
      return;
    }
    chosen.setAttribute("data-chosen", "");
    pick.setAttribute("aria-pressed", "true");
    grid.setAttribute("data-selected", topicId);
    say(grid.getAttribute("data-moving-label"));
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("#grid .grid-pick");
    if (pick) {
      event.preventDefault();
      select(pick.closest(".grid-topic").getAttribute("data-topic"));
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var grid = area();
    if (!grid || !grid.contains(form)) { return; }
    if (form.classList.contains("grid-place") || form.classList.contains("grid-off")) {
      var selected = grid.getAttribute("data-selected");
      if (!selected) { return; }  // the server's own selection (page loaded with ?topic=)
      event.preventDefault();
      var target = form.classList.contains("grid-place") ? form.closest("[data-drop=cell]") : null;
      post("move", moveValues(selected, target));
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && area() && area().getAttribute("data-selected")) {
      select("");
      say("");
    }
  });

  /* --- drag and drop ------------------------------------------------------------------- */
  var dragging = null;

  document.addEventListener("dragstart", function (event) {
    var topic = event.target.closest && event.target.closest("#grid .grid-topic[draggable=true]");
    if (!topic) { return; }
    dragging = topic.getAttribute("data-topic");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragging);
    topic.classList.add("dragging");
  });

  document.addEventListener("dragend", function (event) {
    if (event.target.classList) { event.target.classList.remove("dragging"); }
    dragging = null;
    Array.prototype.forEach.call(document.querySelectorAll(".drop-over"), function (el) {
      el.classList.remove("drop-over");
    });
  });

  function dropZone(event) {
    return event.target.closest && event.target.closest("#grid [data-drop]");
  }

  document.addEventListener("dragover", function (event) {
    var zone = dropZone(event);
    if (!zone || !dragging) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("drop-over");
  });

  document.addEventListener("dragleave", function (event) {
    var zone = dropZone(event);
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("drop-over"); }
  });

  document.addEventListener("drop", function (event) {
    var zone = dropZone(event);
    if (!zone || !dragging) { return; }
    event.preventDefault();
    var topicId = dragging;
    dragging = null;
    var isCell = zone.getAttribute("data-drop") === "cell";
    var from = card(topicId);
    if (isCell && zone.getAttribute("data-holds") === topicId) { return; }  // dropped where it was
    if (!isCell && from && !from.getAttribute("data-block")) { return; }  // already unscheduled
    post("move", moveValues(topicId, isCell ? zone : null));
  });

  /* --- another facilitator changed the grid: fetch it, unless this one is mid-move ------ */
  var pending = 0;  // this screen's own grid requests: their answers bring the new grid
  var latest = "";  // the revision the staff frame announced last

  function catchUp() {
    var grid = area();
    if (!grid || !latest || pending || dragging || grid.getAttribute("data-selected")) { return; }
    if (Number(latest) <= Number(grid.getAttribute("data-revision"))) { return; }
    var query = document.getElementById("grid-q");
    htmx.ajax("GET", "/o/" + grid.getAttribute("data-slug") + "/grid/fragment", {
      target: "#grid", swap: "outerHTML", values: { q: query ? query.value : "", changed: "1" }
    });
  }

  var kept = "";  // a selection made while a refetch was on its way: the new grid gets it back

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "grid") { pending += 1; }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var grid = area();
    var refetch = event.detail.requestConfig && event.detail.requestConfig.verb === "get";
    kept = grid && refetch && event.detail.target === grid ? grid.getAttribute("data-selected") || "" : "";
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!kept || event.target.id !== "grid") { return; }
    var topicId = kept;
    kept = "";
    if (area().getAttribute("data-selected") !== topicId) { select(topicId); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "grid") {
      pending = Math.max(0, pending - 1);
      setTimeout(catchUp, 0);
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var marker = event.detail && event.detail.target;
    if (!marker || marker.id !== "grid-revision") { return; }
    latest = marker.getAttribute("data-revision") || "";
    catchUp();
  });

  /* --- search the unscheduled list as one types ---------------------------------------- */
  document.addEventListener("input", function (event) {
    if (event.target.id !== "grid-q") { return; }
    var needle = event.target.value.trim().toLowerCase();
    Array.prototype.forEach.call(document.querySelectorAll(".grid-waiting .grid-topic"), function (el) {
      var title = el.querySelector(".grid-topic-title").textContent.toLowerCase();
      el.hidden = needle !== "" && title.indexOf(needle) < 0;
    });
  });
})();
