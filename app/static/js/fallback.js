// Venues often have no internet: when a pinned CDN script did not arrive (offline, blocked,
// or its SRI hash did not match), load our vendored copy of the same file instead.
// document.write keeps the scripts in order, which a dynamically added <script> would not.
(function () {
  var me = document.currentScript;
  var cdnScript = me && me.previousElementSibling;
  var name = me && me.getAttribute("data-for");
  var present = {
    "htmx": function () { return !!window.htmx; },
    "htmx-ws": function () { return !!(window.htmx && window.htmx.createWebSocket); }
  };
  if (!cdnScript || !present[name] || present[name]()) { return; }
  var local = cdnScript.getAttribute("data-fallback");
  if (local && local.charAt(0) === "/") {
    document.write('<script src="' + local + '"><\/script>');
  }
})();
