/* kitlog outbox: scans, feedback and PDM answers wait in IndexedDB until the server has
 * answered them.
 *
 * window.kitlogOutbox
 *   add({code, action, manifest?, lat?, lon?, recipient_name?, recipient_relation?,
 *        reason?, note?, proof?, card?, collector?, checked_offline?, label?})
 *     -> Promise<entry>                       stores it (with its idempotency key and the
 *                                             device time), then tries to send it;
 *                                             proof: {kind, image} (a deliver's signature
 *                                             or photo, base64), sent in the same body;
 *                                             card, collector, checked_offline: a
 *                                             delivery's (docs/api.md, Scans); label:
 *                                             who took it, kept on the phone, never sent
 *   add({kind: "feedback", category, channel, household?, parcel?, sensitive?, text})
 *   add({kind: "pdm", parcel, received_complete, items_missing?, satisfaction?, comment?})
 *     -> Promise<entry>                       the other kinds (`kinds`): each is sent alone
 *                                             to its own endpoint with its key; an
 *                                             accepted one keeps the server's answer
 *                                             (`answer`, e.g. the feedback's number)
 *   kinds                                     ["scan", "feedback", "pdm"]
 *   pending() -> Promise<number>              entries of this user not answered yet
 *   pending("scan") -> Promise<number>        of one kind only
 *   sync() -> Promise<entries>                sends what waits; resolves with the entries
 *                                             the server answered (never rejects)
 *   recent(n = 20) -> Promise<entries>        newest first, waiting ones included
 *   get(idempotency_key) -> Promise<entry|null>
 *   on("change", callback)                    callback({reason, entries, pending, lastSync})
 *   lastSync                                  {at, counts: {ok, duplicate, ...}, error}
 *
 * An entry: {idempotency_key, kind, code, action, ..., scanned_at (device time, ISO 8601
 * with offset), added_at (ms), user, state: waiting|ok|duplicate|refused|unknown|error,
 * status, detail, parcel, answered_at}. An entry with no kind (queued before kinds
 * existed) is a scan: the store's schema did not change.
 *
 * Sending: scans in batches, POST /api/v1/scans/batch with the session cookie
 * (same-origin JSON needs no CSRF token, so a scan queued for days still goes through);
 * then each feedback to POST /api/v1/feedback and each PDM answer to POST /api/v1/pdm,
 * one by one: 201 is accepted (`ok`), 200 the same key seen before (`duplicate`), 409 and
 * 422 refused with the problem's detail or errors. It happens on page load,
 * on `online`, every 30 s while something waits, and from any [data-outbox-sync] button.
 * A network error or a server error keeps the scans waiting; a 401 keeps them and asks
 * the user to log in again. Each scan's own answer is stored on it, so a page can show it.
 *
 * Entries carry the id of the user who made them (from [data-outbox-user]); a scan is
 * only ever sent under its own user's session.
 */
(function () {
  "use strict";

  var DB_NAME = "kitlog-outbox";
  var DB_VERSION = 1;
  var STORE = "scans";
  var DEFAULT_URL = "/api/v1/scans/batch";
  var SYNC_EVERY_MS = 30000;
  var BATCH_SIZE = 50;
  var KEEP_ANSWERED = 200; // answered entries kept for recent(); the server keeps them all
  var OPTIONAL = [
    "manifest",
    "lat",
    "lon",
    "recipient_name",
    "recipient_relation",
    "reason",
    "note",
    "proof",
    "card",
    "collector",
    "checked_offline",
  ];
  // Kept on the phone to show the entry, never sent: who took it, as the page named them.
  var LOCAL_ONLY = ["label"];
  // A batch with proofs (up to 400 KB each in base64) stays well under the server's limit
  // on a request and goes through on a weak signal.
  var BATCH_PROOF_CHARS = 2 * 1024 * 1024;
  var ANSWERS = { ok: 1, duplicate: 1, refused: 1, unknown: 1 };

  // The kinds of entry, and what each of the kinds sent alone sends, where.
  var KINDS = ["scan", "feedback", "pdm"];
  var SINGLE = {
    feedback: {
      url: "/api/v1/feedback",
      fields: ["category", "channel", "household", "parcel", "sensitive", "text"],
      // the person's own words: the server has them once it accepted them
      private: ["text"],
    },
    pdm: {
      url: "/api/v1/pdm",
      fields: ["parcel", "received_complete", "items_missing", "satisfaction", "comment"],
      private: ["comment"],
    },
  };
  var CHANNEL = "kitlog-outbox";

  var dbPromise = null;
  var listeners = [];
  var syncing = null;
  var channel = null;

  // --- IndexedDB, in promises -------------------------------------------------------

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) {
        reject(new Error("IndexedDB is not available"));
        return;
      }
      var request = window.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) {
          var store = db.createObjectStore(STORE, { keyPath: "idempotency_key" });
          store.createIndex("added_at", "added_at");
          store.createIndex("state", "state");
        }
      };
      request.onsuccess = function () {
        var db = request.result;
        // Another tab upgrading the schema: let it, and reopen next time.
        db.onversionchange = function () {
          db.close();
          dbPromise = null;
        };
        resolve(db);
      };
      request.onerror = function () {
        dbPromise = null;
        reject(request.error);
      };
    });
    return dbPromise;
  }

  function transact(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var store = tx.objectStore(STORE);
        var result;
        tx.oncomplete = function () {
          resolve(result);
        };
        tx.onerror = function () {
          reject(tx.error);
        };
        tx.onabort = function () {
          reject(tx.error || new Error("transaction aborted"));
        };
        result = work(store);
      });
    });
  }

  function allEntries() {
    return transact("readonly", function (store) {
      var box = { value: [] };
      store.index("added_at").getAll().onsuccess = function (event) {
        box.value = event.target.result || [];
      };
      return box;
    }).then(function (box) {
      return box.value;
    });
  }

  function putEntries(entries) {
    return transact("readwrite", function (store) {
      entries.forEach(function (entry) {
        store.put(entry);
      });
    });
  }

  function deleteKeys(keys) {
    if (!keys.length) return Promise.resolve();
    return transact("readwrite", function (store) {
      keys.forEach(function (key) {
        store.delete(key);
      });
    });
  }

  // --- small helpers -----------------------------------------------------------------

  function uuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") {
      try {
        return c.randomUUID(); // only in secure contexts
      } catch (ignored) {
        /* fall through */
      }
    }
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return (
      hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20)
    );
  }

  function pad(n, width) {
    var s = String(Math.abs(n));
    while (s.length < (width || 2)) s = "0" + s;
    return s;
  }

  // The device's local time with its offset: 2026-11-30T14:02:05.123+07:00
  function localIso(date) {
    var offset = -date.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      "." + pad(date.getMilliseconds(), 3) +
      sign + pad(Math.floor(Math.abs(offset) / 60)) + ":" + pad(Math.abs(offset) % 60)
    );
  }

  function bar() {
    return document.querySelector("[data-outbox-bar]");
  }

  function currentUser() {
    var el = document.querySelector("[data-outbox-user]");
    return el ? el.getAttribute("data-outbox-user") : null;
  }

  function batchUrl() {
    var el = document.querySelector("[data-outbox-url]");
    return (el && el.getAttribute("data-outbox-url")) || DEFAULT_URL;
  }

  function kindOf(entry) {
    return (entry && entry.kind) || "scan";
  }

  function isScan(entry) {
    return kindOf(entry) === "scan";
  }

  function mine(entry) {
    var user = currentUser();
    return user === null || entry.user === null || entry.user === undefined || entry.user === user;
  }

  function payload(entry) {
    var body = {
      code: entry.code,
      action: entry.action,
      idempotency_key: entry.idempotency_key,
      scanned_at: entry.scanned_at,
    };
    OPTIONAL.forEach(function (name) {
      var value = entry[name];
      if (value === null || value === undefined || value === "") return;
      body[name] = name === "manifest" ? String(value) : value;
    });
    return body;
  }

  function problemText(body, fallback) {
    if (!body || typeof body !== "object") return fallback;
    if (body.errors && body.errors.length) {
      return body.errors
        .map(function (e) {
          return e.message;
        })
        .join(" ");
    }
    return body.detail || body.title || fallback;
  }

  function singlePayload(entry) {
    var body = { idempotency_key: entry.idempotency_key };
    SINGLE[kindOf(entry)].fields.forEach(function (name) {
      var value = entry[name];
      if (value === null || value === undefined || value === "") return;
      body[name] = value;
    });
    return body;
  }

  // A feedback's or PDM answer's own answer onto its entry: 201 accepted, 200 its key
  // seen before (the first entry's answer), 409/422 refused saying why, any other
  // refusal an error (shown, not sent again: it would be refused again as it is).
  function settleSingle(entry, status, body, now) {
    if (status === 201 || status === 200) {
      entry.state = status === 201 ? "ok" : "duplicate";
      entry.answer = body && typeof body === "object" ? body : null;
      entry.detail = "";
      SINGLE[kindOf(entry)].private.forEach(function (name) {
        delete entry[name];
      });
    } else {
      entry.state = status === 409 || status === 422 ? "refused" : "error";
      entry.detail = problemText(body, String(status));
    }
    entry.status = status;
    entry.answered_at = now;
    return entry;
  }

  // One scan's answer, from the batch's results, onto its entry.
  function settle(entry, result, now) {
    var outcome = result && result.outcome;
    var status = result && result.status;
    if (ANSWERS[outcome]) {
      entry.state = outcome;
    } else {
      entry.state = "error";
    }
    entry.status = status || null;
    entry.detail = problemText(result, entry.state === "error" ? String(status || "") : "");
    if (result && result.parcel) entry.parcel = result.parcel;
    entry.answered_at = now;
    // The server has the proof (or refused it): the phone keeps its kind, not the image.
    if (entry.proof) entry.proof = { kind: entry.proof.kind };
    return entry;
  }

  // --- what the page sees ------------------------------------------------------------

  var api = {
    lastSync: null,
  };

  function emit(reason, entries) {
    return Promise.all([api.pending(), api.pending("scan")]).then(function (counts) {
      var info = {
        reason: reason,
        entries: entries || [],
        pending: counts[0],
        scans: counts[1], // of `pending`, the scans: the bar names the others apart
        lastSync: api.lastSync,
      };
      listeners.forEach(function (callback) {
        try {
          callback(info);
        } catch (error) {
          if (window.console) console.error(error);
        }
      });
      return info;
    });
  }

  function broadcast() {
    if (channel) {
      try {
        channel.postMessage("change");
      } catch (ignored) {
        /* a closed channel */
      }
    }
  }

  api.on = function (event, callback) {
    if (event === "change" && typeof callback === "function") listeners.push(callback);
    return api;
  };

  api.kinds = KINDS.slice();

  // A feedback or PDM entry: its fields as given, sent alone with its key.
  function addSingle(values) {
    var kind = values.kind;
    var now = new Date();
    var entry = {
      idempotency_key: uuid(),
      kind: kind,
      recorded_at: localIso(now),
      added_at: now.getTime(),
      user: currentUser(),
      state: "waiting",
      status: null,
      detail: "",
      answer: null,
      answered_at: null,
    };
    SINGLE[kind].fields.concat(LOCAL_ONLY).forEach(function (name) {
      if (values[name] !== undefined && values[name] !== null && values[name] !== "") {
        entry[name] = values[name];
      }
    });
    return store(entry);
  }

  function store(entry) {
    return putEntries([entry]).then(function () {
      askToPersist();
      broadcast();
      emit("add", [entry]);
      api.sync();
      return entry;
    });
  }

  api.add = function (scan) {
    var kind = (scan && scan.kind) || "scan";
    if (KINDS.indexOf(kind) < 0) {
      return Promise.reject(new Error("an entry's kind is one of " + KINDS.join(", ")));
    }
    if (kind !== "scan") return addSingle(scan);
    if (!scan || !scan.code || !scan.action) {
      return Promise.reject(new Error("a scan needs a code and an action"));
    }
    var now = new Date();
    var entry = {
      idempotency_key: uuid(),
      kind: "scan",
      code: String(scan.code).trim(),
      action: scan.action,
      scanned_at: localIso(now),
      added_at: now.getTime(),
      user: currentUser(),
      state: "waiting",
      status: null,
      detail: "",
      parcel: null,
      answered_at: null,
    };
    OPTIONAL.concat(LOCAL_ONLY).forEach(function (name) {
      if (scan[name] !== undefined && scan[name] !== null && scan[name] !== "") {
        entry[name] = scan[name];
      }
    });
    return store(entry);
  };

  api.get = function (key) {
    return transact("readonly", function (store) {
      var box = { value: null };
      store.get(key).onsuccess = function (event) {
        box.value = event.target.result || null;
      };
      return box;
    }).then(function (box) {
      return box.value;
    });
  };

  api.pending = function (kind) {
    return allEntries()
      .then(function (entries) {
        return entries.filter(function (e) {
          return e.state === "waiting" && mine(e) && (!kind || kindOf(e) === kind);
        }).length;
      })
      .catch(function () {
        return 0;
      });
  };

  // Entries of another user that wait on this device for that user to log in.
  api.pendingOthers = function () {
    return allEntries()
      .then(function (entries) {
        return entries.filter(function (e) {
          return e.state === "waiting" && !mine(e);
        }).length;
      })
      .catch(function () {
        return 0;
      });
  };

  api.recent = function (n) {
    var limit = n === undefined ? 20 : n;
    return allEntries()
      .then(function (entries) {
        return entries
          .filter(mine)
          .sort(function (a, b) {
            return b.added_at - a.added_at;
          })
          .slice(0, limit);
      })
      .catch(function () {
        return [];
      });
  };

  function proofChars(entry) {
    return entry.proof && entry.proof.image ? String(entry.proof.image).length : 0;
  }

  // The waiting scans to send together: up to BATCH_SIZE, and proofs of at most
  // BATCH_PROOF_CHARS (always at least one scan).
  function nextBatch(waiting) {
    var batch = [];
    var chars = 0;
    for (var i = 0; i < waiting.length && batch.length < BATCH_SIZE; i++) {
      chars += proofChars(waiting[i]);
      if (batch.length && chars > BATCH_PROOF_CHARS) break;
      batch.push(waiting[i]);
    }
    return batch;
  }

  function sendBatch(entries) {
    return post(batchUrl(), { scans: entries.map(payload) });
  }

  function post(url, body) {
    var language = document.documentElement.lang || "id";
    return window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "Accept-Language": language,
        },
        body: JSON.stringify(body),
      })
      .then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return null;
            })
            .then(function (body) {
              return { response: response, body: body };
            });
        },
        function () {
          return { network: true };
        }
      );
  }

  function runSync() {
    var answered = [];
    var counts = {};
    var error = null;

    function loop() {
      return allEntries().then(function (entries) {
        var waiting = entries.filter(function (e) {
          return e.state === "waiting" && mine(e) && isScan(e);
        });
        if (!waiting.length) return null;
        var batch = nextBatch(waiting);
        return sendBatch(batch).then(function (reply) {
          var now = Date.now();
          if (reply.network) {
            error = "network";
            return null;
          }
          var status = reply.response.status;
          if (status === 401) {
            error = "login";
            return null;
          }
          if (status >= 500 || status === 429 || status === 408) {
            error = "server";
            return null;
          }
          var results = reply.body && reply.body.results;
          if (status === 200 && Array.isArray(results)) {
            batch.forEach(function (entry, i) {
              settle(entry, results[i] || { status: 0, detail: "" }, now);
            });
          } else {
            // The whole request was refused (403, 400, 422): these scans can never go
            // through as they are; show why instead of retrying them forever.
            var detail = problemText(reply.body, String(status));
            batch.forEach(function (entry) {
              settle(entry, { status: status, detail: detail }, now);
            });
          }
          batch.forEach(function (entry) {
            counts[entry.state] = (counts[entry.state] || 0) + 1;
            answered.push(entry);
          });
          return putEntries(batch).then(function () {
            return waiting.length > batch.length ? loop() : null;
          });
        });
      });
    }

    // Then the entries sent alone, oldest first; a network or server error stops there.
    function singles() {
      if (error) return null;
      return allEntries().then(function (entries) {
        var waiting = entries.filter(function (e) {
          return e.state === "waiting" && mine(e) && !isScan(e) && SINGLE[kindOf(e)];
        });
        function next(i) {
          if (i >= waiting.length) return null;
          var entry = waiting[i];
          return post(SINGLE[kindOf(entry)].url, singlePayload(entry)).then(function (reply) {
            if (reply.network) {
              error = "network";
              return null;
            }
            var status = reply.response.status;
            if (status === 401) {
              error = "login";
              return null;
            }
            if (status >= 500 || status === 429 || status === 408) {
              error = "server";
              return null;
            }
            settleSingle(entry, status, reply.body, Date.now());
            counts[entry.state] = (counts[entry.state] || 0) + 1;
            answered.push(entry);
            return putEntries([entry]).then(function () {
              return next(i + 1);
            });
          });
        }
        return next(0);
      });
    }

    return loop()
      .then(singles)
      .catch(function (failure) {
        error = error || "storage";
        if (window.console) console.error(failure);
      })
      .then(function () {
        api.lastSync = { at: Date.now(), counts: counts, error: error, sent: answered.length };
        return prune();
      })
      .then(function () {
        if (answered.length) broadcast();
        return emit("sync", answered);
      })
      .then(function () {
        return answered;
      });
  }

  var queued = null;

  api.sync = function () {
    // A sync in flight may have read the list before the latest add: run once more after.
    if (syncing) {
      if (!queued) {
        queued = syncing.then(function () {
          queued = null;
          return api.sync();
        });
      }
      return queued;
    }
    var work = function () {
      return runSync();
    };
    // One tab at a time sends (Web Locks); a second tab's sync waits and finds nothing.
    if (navigator.locks && navigator.locks.request) {
      syncing = navigator.locks.request("kitlog-outbox-sync", work);
    } else {
      syncing = work();
    }
    syncing = syncing.then(
      function (result) {
        syncing = null;
        return result;
      },
      function () {
        syncing = null;
        return [];
      }
    );
    return syncing;
  };

  // Keep the newest answered entries for the pages; the server is the record.
  function prune() {
    return allEntries()
      .then(function (entries) {
        var answered = entries
          .filter(function (e) {
            return e.state !== "waiting";
          })
          .sort(function (a, b) {
            return b.added_at - a.added_at;
          });
        return deleteKeys(
          answered.slice(KEEP_ANSWERED).map(function (e) {
            return e.idempotency_key;
          })
        );
      })
      .catch(function () {
        return null;
      });
  }

  var persistAsked = false;
  function askToPersist() {
    if (persistAsked) return;
    persistAsked = true;
    // Browsers may evict storage of sites not used for a while (Safari: 7 days);
    // a persistent box survives that.
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then(function (already) {
        if (!already) return navigator.storage.persist();
        return already;
      }).catch(function () {
        return false;
      });
    }
  }

  // --- the outbox bar (templates/_macros/outbox.html) ----------------------------------

  function strings() {
    var el = document.querySelector("[data-outbox-strings]");
    if (!el) return {};
    try {
      return JSON.parse(el.textContent);
    } catch (ignored) {
      return {};
    }
  }

  function plural(forms, n) {
    if (!forms) return String(n);
    if (typeof forms === "string") return forms.replace("{n}", n);
    var key = "other";
    try {
      key = new Intl.PluralRules(document.documentElement.lang || "id").select(n);
    } catch (ignored) {
      key = n === 1 ? "one" : "other";
    }
    var text = forms[key] || forms.other || forms.one || "";
    return text.replace("{n}", formatNumber(n));
  }

  function formatNumber(n) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || "id").format(n);
    } catch (ignored) {
      return String(n);
    }
  }

  function formatTime(ms) {
    try {
      return new Date(ms).toLocaleTimeString(document.documentElement.lang || "id", {
        hour: "2-digit",
        minute: "2-digit",
      });
    } catch (ignored) {
      return new Date(ms).toTimeString().slice(0, 5);
    }
  }

  // Scans' words when only scans wait on a scanning page; entries' words when anything
  // else waits, or on a page that queues no scans (outbox_bar(entries=true)).
  function words(text, name, onlyScans) {
    return (onlyScans ? text[name] : text[name + "_entries"] || text[name]) || "";
  }

  function renderBar(info) {
    var el = bar();
    if (!el) return;
    var text = strings();
    var count = el.querySelector("[data-outbox-count]");
    var message = el.querySelector("[data-outbox-message]");
    var last = el.querySelector("[data-outbox-last]");
    el.setAttribute("data-pending", String(info.pending));
    // Only scans waiting: "3 scans waiting"; feedback too: "3 entries waiting".
    var onlyScans =
      !el.hasAttribute("data-outbox-entries") &&
      (info.scans === undefined || info.scans === info.pending);
    if (count) {
      count.textContent = plural(onlyScans ? text.waiting : text.entries || text.waiting, info.pending);
      count.setAttribute("data-count", String(info.pending));
    }
    el.classList.toggle("outbox-has-waiting", info.pending > 0);
    var sync = info.lastSync;
    if (message) {
      message.hidden = true;
      if (sync && sync.error === "login" && info.pending > 0) {
        var login = plural(onlyScans ? text.login : text.login_entries || text.login, info.pending);
        var link = message.querySelector("a");
        if (!link) {
          link = document.createElement("a");
        }
        message.textContent = "";
        link.textContent = login;
        link.href = el.getAttribute("data-login-url") || "/";
        message.appendChild(link);
        message.hidden = false;
      } else if (sync && sync.error && info.pending > 0) {
        var said = words(text, sync.error === "server" ? "server_error" : "offline", onlyScans);
        message.textContent = said;
        message.hidden = !said;
      } else if (!navigator.onLine && info.pending > 0) {
        message.textContent = words(text, "offline", onlyScans);
        message.hidden = !message.textContent;
      } else {
        message.textContent = "";
      }
    }
    if (last && sync && sync.sent) {
      var parts = [];
      ["ok", "duplicate", "refused", "unknown", "error"].forEach(function (state) {
        if (sync.counts[state]) {
          parts.push(formatNumber(sync.counts[state]) + " " + ((text.states || {})[state] || state));
        }
      });
      last.textContent = (text.last_sync || "").replace("{time}", formatTime(sync.at)) + " " + parts.join(" · ");
      last.hidden = false;
    }
    api.pendingOthers().then(function (others) {
      var other = el.querySelector("[data-outbox-others]");
      if (!other) return;
      other.hidden = others === 0;
      var forms = el.hasAttribute("data-outbox-entries") ? text.others_entries : null;
      other.textContent = others ? plural(forms || text.others, others) : "";
    });
  }

  function bindBar() {
    var el = bar();
    if (!el) return;
    el.querySelectorAll("[data-outbox-sync]").forEach(function (button) {
      button.disabled = false;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        button.disabled = true;
        el.setAttribute("aria-busy", "true");
        api.sync().then(function () {
          button.disabled = false;
          el.removeAttribute("aria-busy");
        });
      });
    });
  }

  function start() {
    api.on("change", renderBar);
    bindBar();
    if (window.BroadcastChannel) {
      channel = new window.BroadcastChannel(CHANNEL);
      channel.onmessage = function () {
        emit("remote", []);
      };
    }
    emit("load", []).then(function () {
      api.sync();
    });
    window.addEventListener("online", function () {
      api.sync();
    });
    window.addEventListener("offline", function () {
      emit("offline", []);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") api.sync();
    });
    window.setInterval(function () {
      api.pending().then(function (n) {
        if (n > 0) api.sync();
      });
    }, SYNC_EVERY_MS);
  }

  window.kitlogOutbox = api;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
