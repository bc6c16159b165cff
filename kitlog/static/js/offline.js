/* kitlog offline: registers the service worker (/sw.js) that keeps the scan station and
 * the delivery page working with no network, and empties its page cache at logout.
 *
 * Include on every page that must work offline, with the worker's address in data-sw and
 * its scope in data-scope: templates/_macros/outbox.html scan_scripts() does, linking this
 * file or, on the delivery page's first load, writing it into the page (kitlog/stylesheet.py:
 * nothing in it may close the element).
 *
 * Service workers need a secure context (HTTPS, or localhost): on plain HTTP over a LAN
 * this does nothing and the pages need the network (README: "Phone cameras need HTTPS").
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var swUrl = (script && script.getAttribute("data-sw")) || "/sw.js";
  var scope = (script && script.getAttribute("data-scope")) || "/";

  function clearPageCaches() {
    if (!window.caches) return Promise.resolve();
    return window.caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) {
            return name.indexOf("kitlog-pages-") === 0;
          })
          .map(function (name) {
            return window.caches.delete(name);
          })
      );
    });
  }

  // The pages in the cache were rendered for the user who is leaving: never show them
  // to the next one. kitlog.js holds the logout form until this is done (with the saved
  // trips); the service worker also clears them when it sees the POST.
  function guardLogout() {
    (window.kitlogBeforeLogout = window.kitlogBeforeLogout || []).push(clearPageCaches);
  }

  // The worker keeps kitlog.css with the rest of the shell: once one is active, the
  // server may link the stylesheet instead of writing it into the page (kitlog/stylesheet.py).
  function noteStylesheetKept() {
    var version = script && script.getAttribute("data-stylesheet");
    if (!version) return;
    navigator.serviceWorker.ready.then(function () {
      document.cookie =
        "kitlog_css=" + version + "; path=" + scope + "; max-age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    });
  }

  function register() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker
      .register(swUrl, { scope: scope, updateViaCache: "none" })
      .then(noteStylesheetKept, function (error) {
        if (window.console) console.warn("kitlog: the service worker did not register", error);
      });
  }

  guardLogout();
  if (document.readyState === "complete") {
    register();
  } else {
    window.addEventListener("load", register);
  }
})();
