// The board pages through what does not fit, instead of cutting it: the topics, and the
// agenda's rooms and rows. What fits is measured here, in the browser, at the size the
// projector shows; a page holds whole rows, and every PAGE_MS the next page shows. A frame
// re-renders a region: it is measured again and stays on the page it was on.
// The region says where it is (data-page, data-pages on [data-pager]; "2 / 5" in .board-pager);
// window.boardPager.next() turns every region's page at once (the tests use it).
(function () {
  "use strict";

  var PAGE_MS = 12000;
  var pageOf = { topics: 0, agenda: 0 };  // survives the frames that replace the regions

  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var rem = function () { return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16; };

  // Split rows ({top, bottom, els, keep}) into pages at most `room` px high. A row taller than
  // a page gets a page of its own; a row marked keep stays with the one after it.
  function split(rows, room) {
    var pages = [];
    var current = [];
    var top = 0;
    for (var i = 0; i < rows.length; i += 1) {
      var unit = [rows[i]];
      while (rows[i].keep && i + 1 < rows.length) { i += 1; unit.push(rows[i]); }
      var bottom = unit[unit.length - 1].bottom;
      if (current.length && bottom - top > room) { pages.push(current); current = []; }
      if (!current.length) { top = unit[0].top; }
      current = current.concat(unit);
    }
    if (current.length) { pages.push(current); }
    return pages;
  }

  function show(elements, visible) {
    each(elements, function (el) { el.classList.toggle("paged-out", !visible); });
  }

  function label(region, pager, pages, name) {
    var page = Math.min(pageOf[name], pages - 1);
    pageOf[name] = page;
    region.setAttribute("data-page", String(page + 1));
    region.setAttribute("data-pages", String(pages));
    if (pager) {
      pager.hidden = pages < 2;
      pager.textContent = (page + 1) + " / " + pages;
    }
    return page;
  }

  /* --- the topics: a grid of cards, paged by whole rows ---------------------------------- */
  function topicRows(list) {
    var rows = [];
    each(list.children, function (item) {
      if (item.classList.contains("paged-out")) { return; }
      var top = item.offsetTop;
      var bottom = top + item.offsetHeight;
      var row = rows.length ? rows[rows.length - 1] : null;
      if (row && Math.abs(row.top - top) < 2) {
        row.bottom = Math.max(row.bottom, bottom);
        row.els.push(item);
      } else {
        rows.push({ top: top, bottom: bottom, els: [item], keep: false });
      }
    });
    return rows;
  }

  function layoutTopics() {
    var list = document.querySelector('[data-pager="topics"]');
    if (!list) { return; }
    var pager = list.parentNode.querySelector(".board-pager");
    show(list.children, true);
    pager.hidden = true;
    var pages = [topicRows(list)];
    if (list.scrollHeight > list.clientHeight + 1) {
      pager.hidden = false;  // its line is taken from the list's room before measuring
      pages = split(topicRows(list), list.clientHeight);
    }
    var page = label(list, pager, pages.length, "topics");
    show(list.children, false);
    pages[page].forEach(function (row) { show(row.els, true); });
  }

  /* --- the agenda: rooms in groups as wide as legible, then rows as high as fit ----------- */
  function layoutAgenda() {
    var table = document.querySelector('[data-pager="agenda"]');
    if (!table) { return; }
    var region = table.closest(".board-agenda");
    var pager = region.querySelector(".board-pager");
    var rooms = table.querySelectorAll("thead th[data-col]").length;
    var timeCol = table.querySelector(".board-time-col");
    var free = table.clientWidth - (timeCol ? timeCol.offsetWidth : 0);
    var fit = Math.max(1, Math.floor(free / (20 * rem())));  // a room column: 20rem at least
    var groups = Math.max(1, Math.ceil(rooms / fit));
    var size = Math.ceil(rooms / groups) || 1;
    var body = table.tBodies[0];
    var unplaced = table.querySelector("tbody.board-unplaced");
    var pages = [];
    for (var group = 0; group < groups; group += 1) {
      var shown = columns(table, group, size);
      show(table.querySelectorAll("tbody tr"), true);
      if (unplaced) { show(unplaced.rows, group === groups - 1); }
      // The last row keeps its border-spacing below it: a rem of slack.
      var room = region.getBoundingClientRect().bottom - body.getBoundingClientRect().top - rem();
      var rows = [];
      each(table.querySelectorAll("tbody tr:not(.paged-out)"), function (row) {
        rows.push({ top: row.offsetTop, bottom: row.offsetTop + row.offsetHeight, els: [row], keep: row.hasAttribute("data-keep-with-next") });
      });
      split(rows, room).forEach(function (chunk) { pages.push({ group: group, rows: chunk, shown: shown }); });
    }
    var page = label(table, pager, pages.length, "agenda");
    columns(table, pages[page].group, size);
    show(table.querySelectorAll("tbody tr"), false);
    pages[page].rows.forEach(function (row) { show(row.els, true); });
  }

  // Show one group of room columns; the cells that span the rooms span as many as show.
  function columns(table, group, size) {
    var shown = 0;
    each(table.querySelectorAll("[data-col]"), function (cell) {
      var visible = Math.floor(Number(cell.getAttribute("data-col")) / size) === group;
      cell.classList.toggle("paged-out", !visible);
      if (visible && cell.tagName === "TH") { shown += 1; }
    });
    each(table.querySelectorAll("[data-span]"), function (cell) {
      cell.colSpan = Math.max(1, shown) + Number(cell.getAttribute("data-span") || 0);
    });
    return shown;
  }

  function layout() {
    layoutTopics();
    layoutAgenda();
  }

  function next() {
    each(document.querySelectorAll("[data-pager]"), function (region) {
      var name = region.getAttribute("data-pager");
      var pages = Number(region.getAttribute("data-pages") || 1);
      if (pages < 2) { return; }
      pageOf[name] = (pageOf[name] + 1) % pages;
      region.classList.remove("page-turned");
      void region.offsetWidth;  // restart the fade (none with reduced motion, see app.css)
      region.classList.add("page-turned");
    });
    layout();
  }

  window.boardPager = { next: next, layout: layout };

  ["htmx:wsAfterMessage", "htmx:oobAfterSwap", "htmx:afterSettle"].forEach(function (name) {
    document.addEventListener(name, layout);
  });
  window.addEventListener("resize", layout);
  document.addEventListener("DOMContentLoaded", function () {
    layout();
    // Web fonts and photos change heights after the first measure.
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(layout); }
    window.addEventListener("load", layout);
    setInterval(next, PAGE_MS);
  });
})();
