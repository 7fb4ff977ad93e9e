// The board pages through what does not fit, instead of cutting it: the topics, the
// agenda's rooms and rows, and the cards of a map. What fits is measured here, in the browser, at the size the
// projector shows; a page holds whole rows, and every PAGE_MS the next page shows. A frame
// re-renders a region: it is measured again and stays on the page it was on.
// The region says where it is (data-page, data-pages on [data-pager]; "2 / 5" in .board-pager);
// window.boardPager.next() turns every region's page at once (the tests use it).
(function () {
  "use strict";

  var PAGE_MS = 12000;
  var pageOf = { topics: 0, agenda: 0, map: 0 };  // survives the frames that replace the regions

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

  /* --- the map: category columns side by side, paged down all of them at once ----------- */
  // The room compares the categories, so a page shows every column with its next whole cards
  // (a cluster's name again on each page its cards continue on) rather than one column a page;
  // only categories too many for columns of 20rem come in groups, like the agenda's rooms.
  // A matrix pages its rows, a row's cards taken in turns from its cells, so a row split over
  // two pages shows the most supported cards of every cell first. What fits is found by
  // adding one card at a time until the box overflows: exact, whatever the card heights.
  function layoutMap() {
    var region = document.querySelector('[data-pager="map"]');
    if (!region) { return; }
    var pager = region.closest(".board-map").querySelector(".board-pager");
    var matrix = region.querySelector(".board-matrix");
    var heads = region.querySelectorAll(matrix ? "thead th[data-col]" : ".board-map-column");
    show(region.querySelectorAll("[data-col], [data-unit], [data-units]"), true);
    pager.hidden = true;
    var overflows = function (box) { return box.scrollHeight > box.clientHeight + 1; };
    var free = region.clientWidth - (matrix ? matrix.querySelector("thead th").offsetWidth : 0);
    var fit = Math.max(1, Math.floor(free / (20 * rem())));
    var groups = Math.max(1, Math.ceil(heads.length / fit));
    var size = Math.ceil(heads.length / groups) || 1;
    var needed = groups > 1 || overflows(region) || Array.prototype.some.call(heads, overflows);
    pager.hidden = !needed;  // its line is taken from the map's room before measuring
    var pages = [];
    for (var group = 0; group < groups; group += 1) {
      columns(region, group, size);
      var flows = matrix ? [{ box: region, units: matrixUnits(matrix) }] : [];
      if (!matrix) {
        each(region.querySelectorAll(".board-map-column:not(.paged-out)"), function (column) {
          flows.push({ box: column, units: column.querySelectorAll("[data-unit]") });
        });
      }
      var cut = flows.map(function (flow) { return fill(flow.box, flow.units); });
      var count = Math.max.apply(null, cut.map(function (chunks) { return chunks.length; }).concat([1]));
      for (var n = 0; n < count; n += 1) {
        pages.push({ group: group, units: cut.reduce(function (all, chunks) { return all.concat(chunks[n] || []); }, []) });
      }
    }
    var page = label(region, pager, pages.length, "map");
    columns(region, pages[page].group, size);
    showUnits(region.querySelectorAll("[data-unit]"), false);
    showUnits(pages[page].units, true);
  }

  // A matrix row's head (place, counts, cluster names) shows with any of its cards; a row
  // without cards is a unit itself.
  function matrixUnits(matrix) {
    var units = [];
    each(matrix.tBodies[0].rows, function (row) {
      var cells = Array.prototype.map.call(row.querySelectorAll("td:not(.paged-out)"), function (cell) {
        return cell.querySelectorAll("[data-unit]");
      });
      var before = units.length;
      for (var rank = 0; cells.some(function (cards) { return rank < cards.length; }); rank += 1) {
        cells.forEach(function (cards) { if (rank < cards.length) { units.push(cards[rank]); } });
      }
      if (units.length === before) { units.push(row); }
    });
    return units;
  }

  function showUnits(units, visible) {
    each(units, function (unit) {
      unit.classList.toggle("paged-out", !visible);
      var box = unit.parentNode.closest("[data-units]");
      if (box) { box.classList.toggle("paged-out", !box.querySelector("[data-unit]:not(.paged-out)")); }
    });
  }

  // Split units into pages of what fits in box, adding one at a time: a unit that does not
  // fit starts the next page (and has one of its own if it is taller than the box).
  function fill(box, units) {
    showUnits(units, false);
    var pages = [];
    var current = [];
    each(units, function (unit) {
      showUnits([unit], true);
      if (current.length && box.scrollHeight > box.clientHeight + 1) {
        showUnits(current, false);
        pages.push(current);
        current = [];
      }
      current.push(unit);
    });
    if (current.length) { pages.push(current); }
    showUnits(units, true);
    return pages;
  }

  function layout() {
    layoutTopics();
    layoutAgenda();
    layoutMap();
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
