/* kitlog: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  // The menu is a <details>: a drop-down on phones, an open sidebar on desks.
  function menu() {
    var details = document.querySelector("[data-menu]");
    if (!details || !window.matchMedia) return;
    var wide = window.matchMedia("(min-width: 64em)");
    function sync() {
      details.open = wide.matches;
    }
    sync();
    if (wide.addEventListener) wide.addEventListener("change", sync);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && details.open && !wide.matches) {
        details.open = false;
        details.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (details.open && !wide.matches && !details.contains(event.target)) {
        details.open = false;
      }
    });
  }

  // A refused form: start from the list of what went wrong (its links lead to the fields).
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary || summary.closest("[hidden]")) return;
    summary.focus();
  }

  // Forms that ask before they act (revoking a token).
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  // Kit contents: show the filled lines and one empty line; a button adds more.
  function contentLines() {
    var fieldset = document.querySelector("[data-lines]");
    if (!fieldset) return;
    var lines = Array.prototype.slice.call(fieldset.querySelectorAll("[data-line]"));
    var button = fieldset.querySelector("[data-add-line]");
    function isEmpty(line) {
      return Array.prototype.every.call(line.querySelectorAll("input"), function (input) {
        return input.value.trim() === "";
      });
    }
    var lastUsed = -1;
    lines.forEach(function (line, i) {
      if (!isEmpty(line) || line.classList.contains("has-error")) lastUsed = i;
    });
    var shown = Math.max(lastUsed + 2, 3);
    function render() {
      lines.forEach(function (line, i) {
        line.hidden = i >= shown;
      });
      button.hidden = shown >= lines.length;
    }
    button.addEventListener("click", function () {
      shown += 1;
      render();
      var input = lines[shown - 1].querySelector("input");
      if (input) input.focus();
    });
    render();
  }

  // Receiving: show the stock on hand after receipt as the numbers are typed.
  function receiptResult() {
    var form = document.querySelector("[data-receive]");
    if (!form) return;
    var received = form.querySelector("[name=quantity_received]");
    var damaged = form.querySelector("[name=quantity_damaged]");
    var result = form.querySelector("[data-receipt-result]");
    var template = result.getAttribute("data-template");
    var format = window.Intl ? new Intl.NumberFormat(document.documentElement.lang) : null;
    function update() {
      var r = parseInt(received.value, 10);
      var d = parseInt(damaged.value || "0", 10);
      if (isNaN(r) || isNaN(d) || r < 0 || d < 0 || d > r) {
        result.hidden = true;
        return;
      }
      var kits = format ? format.format(r - d) : String(r - d);
      result.textContent = template.replace("{kits}", kits);
      result.hidden = false;
    }
    received.addEventListener("input", update);
    damaged.addEventListener("input", update);
    update();
  }

  // The new API token: a copy button.
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.value).then(function () {
          button.textContent = button.getAttribute("data-copied");
        });
      });
    });
  }

  // A PDF that takes seconds to make (labels): fetched here, so that the page can say it
  // is being prepared, count the seconds, and say when it has arrived. Without this script
  // (or when the answer is not a PDF) the link or button works as a plain request.
  function preparing() {
    var status = document.querySelector("[data-preparing-status]");
    if (!status || !window.fetch || !window.URL || !URL.createObjectURL) return;
    var busy = false;
    function say(text) {
      status.textContent = text;
      status.hidden = false;
    }
    function target(trigger) {
      if (trigger.tagName === "A") return trigger.href;
      var form = trigger.form;
      var query = new URLSearchParams(new FormData(form)).toString();
      return trigger.getAttribute("formaction") + (query ? "?" + query : "");
    }
    function filename(response) {
      var found = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      return found ? found[1] : "kitlog.pdf";
    }
    document.querySelectorAll("[data-preparing]").forEach(function (trigger) {
      if (trigger.form) {
        // a button disabled for the counted choice: another choice may be printable
        trigger.form.addEventListener("change", function () {
          trigger.disabled = false;
        });
      }
      trigger.addEventListener("click", function (event) {
        if (trigger.disabled) return;
        event.preventDefault();
        if (busy) return;
        busy = true;
        var url = target(trigger);
        var started = Date.now();
        var message = trigger.getAttribute("data-preparing");
        var elapsed = status.getAttribute("data-elapsed") || "{s}";
        function tick() {
          var seconds = Math.floor((Date.now() - started) / 1000);
          say(message + " " + elapsed.replace("{s}", String(seconds)));
        }
        tick();
        var timer = window.setInterval(tick, 1000);
        fetch(url, { credentials: "same-origin" })
          .then(function (response) {
            var type = response.headers.get("Content-Type") || "";
            if (!response.ok || type.indexOf("application/pdf") !== 0) {
              throw new Error("not a PDF");
            }
            return response.blob().then(function (blob) {
              var link = document.createElement("a");
              link.href = URL.createObjectURL(blob);
              link.download = filename(response);
              document.body.appendChild(link);
              link.click();
              link.remove();
              window.setTimeout(function () {
                URL.revokeObjectURL(link.href);
              }, 60000);
              say(status.getAttribute("data-ready").replace("{name}", link.download));
            });
          })
          .catch(function () {
            status.hidden = true;
            window.location.href = url; // the server's own answer: the form and its message
          })
          .then(function () {
            window.clearInterval(timer);
            busy = false;
          });
      });
    });
  }

  // The labels page: a new choice (a village, which parcels, the printer) is counted at
  // once, from the page that "Count the labels" would load; no submit is needed. Without
  // this script the button counts. The download button stays as `preparing` leaves it: a
  // choice too big for one file gets the server's own answer, the form and its parts.
  function liveCount() {
    var form = document.querySelector("form[data-live-count]");
    var area = form && form.querySelector("[data-label-count]");
    if (!area || !window.fetch || !window.DOMParser || !window.URLSearchParams) return;
    var latest = 0;
    form.addEventListener("change", function () {
      var query = new URLSearchParams(new FormData(form)).toString();
      var url = form.getAttribute("action") + (query ? "?" + query : "");
      var asked = ++latest;
      area.setAttribute("aria-busy", "true");
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          return response.text();
        })
        .then(function (html) {
          if (asked !== latest) return; // a newer choice is being counted
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector("[data-label-count]");
          if (!fresh) return;
          area.innerHTML = fresh.innerHTML;
        })
        .catch(function () {})
        .then(function () {
          if (asked === latest) area.removeAttribute("aria-busy");
        });
    });
  }

  // Filters that fold away on phones stand open on wider screens.
  function openWide() {
    if (!window.matchMedia || !window.matchMedia("(min-width: 48em)").matches) return;
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
      details.open = true;
    });
  }

  /* Trips saved on this phone for delivery with no signal (IndexedDB "kitlog-trips", see
     deliver.js) hold households' names: they are deleted at logout, on any page seen
     logged out, and after 7 days. The scans waiting to be sent ("kitlog-outbox") are
     never touched here: they are not lost. */
  var TRIPS_DB = "kitlog-trips";
  var TRIP_DAYS = 7;

  function tripsExist() {
    if (!window.indexedDB) return Promise.resolve(false);
    if (!indexedDB.databases) return Promise.resolve(true);
    return indexedDB.databases().then(
      function (list) {
        return list.some(function (info) {
          return info.name === TRIPS_DB;
        });
      },
      function () {
        return true;
      }
    );
  }

  // Delete the saved trips `doomed(trip)` picks; resolves to how many were deleted.
  function deleteTrips(doomed) {
    return tripsExist().then(function (exist) {
      if (!exist) return 0;
      return new Promise(function (resolve) {
        var request = indexedDB.open(TRIPS_DB, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("trips", { keyPath: "id" }); // as deliver.js does
        };
        request.onerror = function () {
          resolve(0);
        };
        request.onsuccess = function () {
          var db = request.result;
          var deleted = 0;
          var tx;
          try {
            tx = db.transaction("trips", "readwrite");
          } catch (error) {
            db.close();
            resolve(0);
            return;
          }
          var cursor = tx.objectStore("trips").openCursor();
          cursor.onsuccess = function () {
            var at = cursor.result;
            if (!at) return;
            if (doomed(at.value)) {
              at.delete();
              deleted += 1;
            }
            at.continue();
          };
          tx.oncomplete = function () {
            db.close();
            resolve(deleted);
          };
          tx.onerror = tx.onabort = function () {
            db.close();
            resolve(0);
          };
        };
      });
    });
  }

  function tooOld(trip) {
    var saved = Date.parse((trip && trip.downloaded_at) || "");
    return !(saved > Date.now() - TRIP_DAYS * 24 * 3600 * 1000);
  }

  function everyTrip() {
    return true;
  }

  function say(message) {
    var main = document.querySelector("main");
    if (!main || !message) return;
    var flashes = main.querySelector(".flashes");
    if (!flashes) {
      flashes = document.createElement("div");
      flashes.className = "flashes";
      main.insertBefore(flashes, main.firstChild);
    }
    var note = document.createElement("p");
    note.className = "flash flash-info";
    note.setAttribute("role", "status");
    note.setAttribute("data-trips-expired", "");
    note.textContent = message;
    flashes.appendChild(note);
  }

  function forgetTrips() {
    if (!document.body.classList.contains("signed-in")) {
      // logged out (the login page after a logout, even if the logout's script did not run)
      deleteTrips(everyTrip);
      return;
    }
    var logout = document.querySelector("form[data-trips-expired]");
    deleteTrips(tooOld).then(function (deleted) {
      if (deleted && logout) say(logout.getAttribute("data-trips-expired"));
    });
  }

  // Before the logout form is sent: delete every saved trip, and whatever else a script
  // asked for (offline.js empties the page cache), then send it; never wait long.
  function guardLogout() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form || form.tagName !== "FORM" || event.defaultPrevented) return;
      var action = new URL(form.getAttribute("action") || "", document.baseURI).pathname;
      if (!/\/logout\/?$/.test(action) || form.getAttribute("data-cleared") === "yes") return;
      event.preventDefault();
      var sent = false;
      var send = function () {
        if (sent) return;
        sent = true;
        form.setAttribute("data-cleared", "yes");
        form.submit(); // does not fire "submit" again
      };
      var work = [deleteTrips(everyTrip)];
      (window.kitlogBeforeLogout || []).forEach(function (task) {
        try {
          work.push(Promise.resolve(task()));
        } catch (error) {
          /* one failed task must not keep the user logged in */
        }
      });
      Promise.all(work).then(send, send);
      window.setTimeout(send, 1500);
    });
  }

  guardLogout();

  function start() {
    forgetTrips();
    menu();
    openWide();
    confirmations();
    contentLines();
    receiptResult();
    copyButtons();
    preparing();
    liveCount();
    errorSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
