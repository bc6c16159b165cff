/* kitlog: the post-distribution monitoring survey, with or without a signal.
 *
 * The survey list (/pdm/, [data-pdm-save]):
 * - "Save the surveys on this phone" fetches every survey the list links to, one by one:
 *   the service worker (templates/scan/sw.js) keeps each page it fetches, so a survey
 *   opens again with no signal. The button says how far it got ("3 of 12 saved"), counting
 *   a survey as saved only once it is in the phone's cache; then the result, or why
 *   nothing could be saved (no signal, the session ended, a browser that keeps no pages).
 * - A household whose answer waits in the outbox says so, and one the server has since
 *   recorded says it answered: the list may be the phone's copy from before.
 *
 * The survey form ([data-pdm-survey]) works without this file: a plain POST with its CSRF
 * token, answered by the server. With it:
 * - the missing items are shown only when the kit was not complete;
 * - when the outbox (outbox.js) knows answers of kind "pdm", the answers are queued
 *   there (kept on the phone, sent when there is a signal, once: the outbox gives each
 *   its idempotency key) and the page says what became of them: waiting, recorded, or
 *   refused with the server's reason; otherwise the form is posted as usual.
 *
 * The words come from the page (data-messages), in its language.
 */
(function () {
  "use strict";

  function messagesOf(el) {
    try {
      return JSON.parse(el.getAttribute("data-messages") || "{}");
    } catch (e) {
      return {};
    }
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values && values[key] != null ? values[key] : "";
    });
  }

  function formatNumber(n) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || "id").format(n);
    } catch (ignored) {
      return String(n);
    }
  }

  function outboxTakesPdm() {
    var outbox = window.kitlogOutbox;
    return !!(outbox && outbox.kinds && outbox.kinds.indexOf("pdm") >= 0);
  }

  function shortOf(code) {
    return String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
  }

  // --- the survey list: save the surveys on this phone --------------------------------

  function startList(section) {
    var messages = messagesOf(section);
    var button = section.querySelector("[data-pdm-save-button]");
    var status = section.querySelector("[data-pdm-save-status]");
    var keeps = "serviceWorker" in navigator && window.isSecureContext && !!window.caches;

    function say(text, state) {
      status.textContent = text || "";
      status.hidden = !text;
      status.setAttribute("data-state", state || "");
    }

    function links() {
      var seen = {};
      var urls = [];
      document.querySelectorAll("a[data-pdm-survey-link]").forEach(function (a) {
        var url = new URL(a.getAttribute("href"), window.location.href);
        if (url.origin !== window.location.origin || seen[url.pathname]) return;
        seen[url.pathname] = true;
        urls.push(url.pathname);
      });
      return urls;
    }

    // The service worker in charge of this page: only then do the fetches go through it.
    function controlled() {
      if (navigator.serviceWorker.controller) return Promise.resolve(true);
      return navigator.serviceWorker.ready.then(function () {
        if (navigator.serviceWorker.controller) return true;
        return new Promise(function (resolve) {
          var timer = window.setTimeout(function () {
            resolve(!!navigator.serviceWorker.controller);
          }, 10000);
          navigator.serviceWorker.addEventListener("controllerchange", function () {
            window.clearTimeout(timer);
            resolve(true);
          });
        });
      });
    }

    function kept(path) {
      return window.caches.match(path).then(
        function (hit) {
          return !!hit;
        },
        function () {
          return false;
        }
      );
    }

    // One survey: fetched (and kept by the worker), then found in the cache.
    function save(path) {
      return window
        .fetch(path, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
        .then(
          function (response) {
            if (response.redirected) return "login"; // to the login form: the session ended
            return response.ok ? kept(path).then(function (hit) {
              return hit ? "saved" : "failed";
            }) : "failed";
          },
          function () {
            return "failed";
          }
        );
    }

    function run() {
      var urls = links();
      var total = urls.length;
      if (!navigator.onLine) {
        say(messages.offline, "offline");
        return Promise.resolve();
      }
      button.disabled = true;
      section.setAttribute("aria-busy", "true");
      var saved = 0;
      var login = false;
      var progress = function () {
        say(fill(messages.progress, { saved: formatNumber(saved), total: formatNumber(total) }), "saving");
      };
      progress();
      return controlled()
        .then(function (ready) {
          if (!ready) return false;
          var next = function (i) {
            if (i >= urls.length || login) return Promise.resolve(true);
            return save(urls[i]).then(function (outcome) {
              if (outcome === "saved") saved += 1;
              if (outcome === "login") login = true;
              progress();
              return next(i + 1);
            });
          };
          return next(0);
        })
        .then(function (ready) {
          var values = { saved: formatNumber(saved), total: formatNumber(total) };
          if (!ready) {
            say(messages.unsupported, "error");
          } else if (login) {
            say(messages.login, "error");
          } else if (saved === total) {
            say(fill(messages.done, values), "done");
          } else if (!navigator.onLine && saved === 0) {
            say(messages.offline, "offline");
          } else {
            say(fill(messages.partial, values), "partial");
          }
        })
        .then(function () {
          button.disabled = false;
          section.removeAttribute("aria-busy");
        });
    }

    // Each household's answer that waits on this phone, or that the server has recorded
    // since the list was kept.
    function showAnswers() {
      var box = window.kitlogOutbox;
      if (!box || !box.recent) return;
      box.recent(200).then(function (entries) {
        var latest = {};
        entries.forEach(function (entry) {
          if (entry.kind !== "pdm") return;
          var code = shortOf(entry.parcel);
          if (!latest[code]) latest[code] = entry; // newest first
        });
        document.querySelectorAll("li[data-parcel]").forEach(function (li) {
          var badge = li.querySelector("[data-pdm-badge]");
          var entry = latest[shortOf(li.getAttribute("data-parcel"))];
          if (!badge || !entry) return;
          if (entry.state === "waiting") {
            badge.textContent = messages.waiting || "";
            badge.className = "badge badge-warn";
          } else if (entry.state === "ok" || entry.state === "duplicate") {
            badge.textContent = messages.answered || "";
            badge.className = "badge badge-ok";
          } else {
            return;
          }
          badge.setAttribute("data-state", entry.state);
        });
      });
    }

    section.hidden = false;
    if (!keeps) {
      button.hidden = true;
      say(messages.unsupported, "error");
    } else {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        if (!button.disabled) run();
      });
    }
    function watch() {
      var box = window.kitlogOutbox;
      if (!box || !box.on) return;
      box.on("change", showAnswers);
      showAnswers();
    }
    // outbox.js is loaded after this file's page starts: look once every script has run.
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", watch);
    } else {
      watch();
    }
  }

  // --- the survey form --------------------------------------------------------------

  function startSurvey(form) {
    var messages = messagesOf(form);
    var items = form.querySelector("[data-pdm-items]");
    var status = form.querySelector("[data-pdm-status]");
    var back = form.querySelector("[data-pdm-back]");
    var TONES = { waiting: "alert-warning", ok: "alert-ok", duplicate: "alert-ok" };
    var queued = null; // the idempotency key of the answer this page queued

    function chosen(name) {
      var input = form.querySelector('input[name="' + name + '"]:checked');
      return input ? input.value : null;
    }

    function showItems() {
      if (!items) return;
      items.hidden = chosen("received_complete") !== "no";
    }

    function say(text, state) {
      if (!status) return;
      status.textContent = text || "";
      status.hidden = !text;
      status.className = "pdm-status alert " + (TONES[state] || "alert-error");
      status.setAttribute("data-state", state || "");
    }

    // What became of the queued answer.
    function render(entry, lastSync) {
      var state = entry.state || "waiting";
      if (state === "waiting") {
        say(lastSync && lastSync.error === "login" ? messages.login : messages.saved_offline, "waiting");
      } else if (state === "ok" || state === "duplicate") {
        say(messages.recorded, state);
      } else {
        say(fill(messages.refused, { detail: entry.detail || "" }), state);
      }
    }

    form.querySelectorAll("[data-pdm-complete]").forEach(function (input) {
      input.addEventListener("change", showItems);
    });
    showItems();

    form.addEventListener("submit", function (event) {
      if (!outboxTakesPdm()) return; // the plain POST: the server answers
      var complete = chosen("received_complete");
      var satisfaction = chosen("satisfaction");
      if (complete === null) {
        event.preventDefault();
        say(messages.complete_required, "invalid");
        return;
      }
      if (satisfaction === null) {
        event.preventDefault();
        say(messages.satisfaction_required, "invalid");
        return;
      }
      event.preventDefault();
      var missing = [];
      if (complete === "no") {
        form.querySelectorAll('input[name="items_missing"]:checked').forEach(function (input) {
          missing.push(parseInt(input.value, 10));
        });
      }
      var comment = form.querySelector('[name="comment"]');
      var box = window.kitlogOutbox;
      box
        .add({
          kind: "pdm",
          parcel: form.getAttribute("data-parcel"),
          received_complete: complete === "yes",
          items_missing: missing,
          satisfaction: parseInt(satisfaction, 10),
          comment: comment ? comment.value : "",
        })
        .then(function (entry) {
          queued = entry.idempotency_key;
          form.querySelectorAll("input, textarea, button").forEach(function (el) {
            el.disabled = true;
          });
          if (back) back.hidden = false;
          return box.get(queued).then(function (now) {
            render(now || entry, box.lastSync);
          });
        })
        .catch(function () {
          if (queued) return; // kept: only showing it failed
          say(messages.save_failed, "error");
          form.submit(); // the phone could not keep it: send it now, as a plain form
        });
    });

    function watch() {
      var box = window.kitlogOutbox;
      if (!box || !box.on) return;
      box.on("change", function (info) {
        if (!queued) return;
        (info.entries || []).forEach(function (entry) {
          if (entry.idempotency_key === queued) render(entry, info.lastSync);
        });
        if (info.lastSync && info.lastSync.error === "login" && status.getAttribute("data-state") === "waiting") {
          say(messages.login, "waiting");
        }
      });
    }
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", watch);
    } else {
      watch();
    }
  }

  var list = document.querySelector("[data-pdm-save]");
  if (list) startList(list);
  var form = document.querySelector("[data-pdm-survey]");
  if (form) startSurvey(form);
})();
