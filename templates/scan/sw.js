/* kitlog service worker: the scan station, the delivery page and the monitoring survey
 * work with no network.
 *
 * Rendered by kitlog/blueprints/scan/routes.py (GET /sw.js). VERSION is a hash of every
 * file it precaches and of this file, so a deploy that changes any of them installs a new
 * worker, which fills new caches and deletes the old ones.
 *
 * - /static/: cache first (the files are precached at install).
 * - Pages: network first; offline, the cached copy, else the offline page (kept with the
 *   shell: it names no user). Only the offline pages (the station, the delivery page, the
 *   survey list) are kept, and every survey page (/pdm/survey/<code>) fetched while online:
 *   opened from the list, or fetched by the list's "Save the surveys on this phone"
 *   (pdm.js), which is not a navigation; a survey the server no longer offers (answered:
 *   409) is forgotten. A parcel page /p/<token> opened offline gets the delivery page,
 *   which reads the token from the address.
 * - Never the API, never anything but GET.
 * - A POST to log in, log out or switch language clears the cached pages: they belong to
 *   the user (and the language) that loaded them.
 */
"use strict";

var VERSION = {{ version | tojson }};
var SHELL = "kitlog-shell-" + VERSION;
var PAGES = "kitlog-pages-" + VERSION;
var SHELL_URLS = {{ shell_urls | tojson }};
var PAGE_URLS = {{ page_urls | tojson }};
var OFFLINE_URL = {{ offline_url | tojson }};
var DELIVER_URL = {{ deliver_url | tojson }};
var PARCEL_PREFIX = {{ parcel_prefix | tojson }};
var SURVEY_PREFIX = {{ survey_prefix | tojson }};
var STATIC_PREFIX = {{ static_prefix | tojson }};
var API_PREFIX = {{ api_prefix | tojson }};
var CLEAR_ON_POST = {{ clear_on_post | tojson }};

function isOurs(name) {
  return name.indexOf("kitlog-") === 0;
}

// A page is only worth keeping when it is the page itself, as the user sees it now.
function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function precachePages(cache) {
  // One by one, and forgiving: a page this user may not open (403), or one not built
  // yet (404), or the login form after a redirect, is simply not kept.
  return Promise.all(
    PAGE_URLS.map(function (url) {
      return fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (keepable(response)) return cache.put(url, response);
          return null;
        })
        .catch(function () {
          return null;
        });
    })
  );
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    Promise.all([
      caches.open(SHELL).then(function (cache) {
        return cache.addAll(
          SHELL_URLS.map(function (url) {
            return new Request(url, { cache: "no-cache" });
          })
        );
      }),
      caches.open(PAGES).then(precachePages),
    ]).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return isOurs(name) && name !== SHELL && name !== PAGES;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function clearPages() {
  return caches.keys().then(function (names) {
    return Promise.all(
      names
        .filter(function (name) {
          return name.indexOf("kitlog-pages-") === 0;
        })
        .map(function (name) {
          return caches.delete(name);
        })
    );
  });
}

self.addEventListener("message", function (event) {
  if (event.data === "clear-pages") {
    event.waitUntil(
      clearPages().then(function () {
        if (event.ports && event.ports[0]) event.ports[0].postMessage("cleared");
      })
    );
  }
});

function pageKey(url) {
  return url.pathname; // ?mode=load&manifest=3 is the same page, preset differently
}

function isParcelPage(url) {
  return url.pathname.indexOf(PARCEL_PREFIX) === 0 && url.pathname.length > PARCEL_PREFIX.length;
}

function isSurveyPage(url) {
  return (
    !!SURVEY_PREFIX &&
    url.pathname.indexOf(SURVEY_PREFIX) === 0 &&
    url.pathname.length > SURVEY_PREFIX.length
  );
}

function isKept(url) {
  return PAGE_URLS.indexOf(pageKey(url)) !== -1 || isSurveyPage(url);
}

// A survey the server refuses now (answered, not delivered, gone) is not shown offline.
function forgotten(response) {
  return response && [403, 404, 409, 410].indexOf(response.status) !== -1;
}

function cachedPage(url) {
  var offline = function () {
    return caches.open(SHELL).then(function (cache) {
      return cache.match(OFFLINE_URL);
    });
  };
  return caches.open(PAGES).then(function (cache) {
    return cache.match(pageKey(url)).then(function (hit) {
      if (hit) return hit;
      if (isParcelPage(url) && DELIVER_URL) {
        return cache.match(DELIVER_URL).then(function (deliver) {
          return deliver || offline();
        });
      }
      return offline();
    });
  });
}

function networkFirst(event, url) {
  return fetch(event.request)
    .then(function (response) {
      var kept = null;
      if (isKept(url) && keepable(response)) {
        var copy = response.clone();
        kept = caches.open(PAGES).then(function (cache) {
          return cache.put(pageKey(url), copy);
        });
      } else if (isSurveyPage(url) && forgotten(response)) {
        kept = caches.open(PAGES).then(function (cache) {
          return cache.delete(pageKey(url));
        });
      }
      if (!kept) return response;
      // A page saving the surveys (not a navigation) hears back once the copy is kept,
      // so that "saved" means saved; a navigation is not held up.
      if (event.request.mode !== "navigate") {
        return kept.then(
          function () {
            return response;
          },
          function () {
            return response;
          }
        );
      }
      event.waitUntil(kept);
      return response;
    })
    .catch(function (error) {
      return cachedPage(url).then(function (hit) {
        if (hit) return hit;
        throw error;
      });
    });
}

function cacheFirst(event) {
  var request = event.request;
  return caches.match(request, { ignoreSearch: true }).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        event.waitUntil(
          caches.open(SHELL).then(function (cache) {
            return cache.put(request, copy);
          })
        );
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (CLEAR_ON_POST.indexOf(url.pathname) !== -1) event.waitUntil(clearPages());
    return; // the network, untouched
  }
  if (url.pathname.indexOf(API_PREFIX) === 0) return;
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(cacheFirst(event));
    return;
  }
  if (request.mode === "navigate" || isSurveyPage(url)) {
    event.respondWith(networkFirst(event, url));
  }
});
