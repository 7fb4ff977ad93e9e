// Every visible element of the board inside the viewport; every visible title (selector) whole:
// inside each box that clips it, not scrolled, no ellipsis or line clamp, at a legible size
// (28px at 1080 lines, in proportion below). Returns the titles shown and the problems found.
// Used by test_board_layout.py through page.evaluate.
(selector) => {
  const vw = window.innerWidth, vh = window.innerHeight, problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > vw || root.scrollHeight > vh) problems.push(`page scrolls ${root.scrollWidth}x${root.scrollHeight}`);
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("main.board *")) {
    if (!shown(el) || el.closest("svg") || el.classList.contains("visually-hidden")) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1)
      problems.push(`${el.tagName}.${el.className} outside the screen: ${Math.round(r.left)},${Math.round(r.top)},${Math.round(r.right)},${Math.round(r.bottom)}`);
  }
  for (const region of document.querySelectorAll("[data-pager]")) {
    if (shown(region) && region.scrollHeight > region.clientHeight + 1) problems.push(`${region.dataset.pager} overflows`);
  }
  const visible = [];
  const minPx = 28 * Math.min(vh / 1080, vw / 1920) - 0.5;
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (el.clientHeight && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) problems.push(`scrolled: ${el.textContent}`);
    if (style.textOverflow === "ellipsis" || (style.webkitLineClamp && style.webkitLineClamp !== "none")) problems.push(`clamped: ${el.textContent}`);
    if (parseFloat(style.fontSize) < minPx) problems.push(`small (${style.fontSize}): ${el.textContent}`);
    for (let box = el.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflow === "visible") continue;
      const b = box.getBoundingClientRect();
      if (r.top < b.top - 1 || r.bottom > b.bottom + 1 || r.left < b.left - 1 || r.right > b.right + 1)
        problems.push(`cut by ${box.tagName}.${box.className}: ${el.textContent}`);
    }
    visible.push(el.textContent.trim());
  }
  return {visible, problems};
}
