// The facilitator's map page: drag a card onto a cluster, a category's loose cards or "new
// cluster". A drop selects the card and presses that zone's own button, so drag and drop takes
// exactly the keyboard path's route (and its answer, with or without htmx).
(function () {
  "use strict";

  var dragged = null;

  function closest(node, selector) {
    var element = node && node.nodeType === 1 ? node : node && node.parentElement;
    return element ? element.closest(selector) : null;
  }

  function clearMarks() {
    Array.prototype.forEach.call(document.querySelectorAll(".drag-over"), function (zone) {
      zone.classList.remove("drag-over");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = closest(event.target, ".work-card[data-card]");
    if (!card) { return; }
    dragged = card.getAttribute("data-card");
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged);
  });

  document.addEventListener("dragend", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".dragging"), function (card) {
      card.classList.remove("dragging");
    });
    clearMarks();
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    var zone = closest(event.target, ".drop-zone[data-target]");
    if (!zone || !dragged) { return; }
    event.preventDefault();  // this is a drop target
    event.dataTransfer.dropEffect = "move";
    if (!zone.classList.contains("drag-over")) {
      clearMarks();
      zone.classList.add("drag-over");
    }
  });

  document.addEventListener("drop", function (event) {
    var zone = closest(event.target, ".drop-zone[data-target]");
    if (!zone || !dragged) { return; }
    event.preventDefault();
    clearMarks();
    var radio = document.getElementById("select-card-" + dragged);
    var target = zone.getAttribute("data-target");
    var buttons = zone.querySelectorAll('button[form="move-form"]');
    var button = Array.prototype.filter.call(buttons, function (b) { return b.value === target; })[0];
    if (!radio || !button) { return; }
    radio.checked = true;
    button.click();  // a click, not requestSubmit(): htmx sends the pressed button's value
  });
})();
