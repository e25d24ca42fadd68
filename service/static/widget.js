/* polysearch widget loader. Paste into an intranet page:
 *
 *   <div data-polysearch></div>
 *   <script src="https://search.example/widget.js" data-endpoint="https://search.example"></script>
 *
 * Options on the <script>: data-endpoint (the service origin; default: where this file came
 * from), data-target (a CSS selector for the element(s) to fill; default: [data-polysearch]).
 * Options on a target: data-k (passages shown, default 5), data-label (the search box label),
 * data-lang (en or ru; default: the browser's preferred language).
 * The widget lives in a shadow root, defines no globals and adds no styles to the host page.
 * The host's origin must be in the service's POLYSEARCH_CORS_ORIGINS.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src, window.location.href).origin;
  var endpoint = new URL(script.getAttribute("data-endpoint") || origin, window.location.href).href.replace(/\/+$/, "");
  var selector = script.getAttribute("data-target") || "[data-polysearch]";

  function start() {
    var targets;
    try {
      targets = Array.prototype.slice.call(document.querySelectorAll(selector));
    } catch (error) {
      console.error("polysearch widget: data-target is not a valid selector:", selector);
      return;
    }
    if (!targets.length) {
      console.warn("polysearch widget: no element matches " + selector + "; add <div data-polysearch></div>");
      return;
    }
    import(endpoint + "/static/js/widget-ui.js").then(
      function (ui) {
        targets.forEach(function (target) {
          ui.mount(target, { endpoint: endpoint });
        });
      },
      function (error) {
        console.error("polysearch widget: could not load from " + endpoint + " (is this origin allowed?)", error);
      }
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
