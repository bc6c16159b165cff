/* kitlog: delivery at the door, with or without a signal.
 *
 * The page works without this file (plain forms, answered by the server). With it:
 * - deliveries and failed deliveries go through window.kitlogOutbox (outbox.js), so they
 *   are kept on the phone and sent when there is a signal; the page shows each outcome;
 * - the officer saves a dispatched trip (manifest) on the phone while there is a signal
 *   (IndexedDB "kitlog-trips"), and with no signal a typed code, a scanned label URL or
 *   a token is looked up there;
 * - the saved trip's work-list shows its households in visiting order, what is left to
 *   deliver and how each door went, from the phone (with no signal too); the trip keeps
 *   the official places of its households, which name their villages and list them to
 *   choose one;
 * - after a lookup the recipient field has the focus, the hand-over form on screen;
 * - the camera (window.kitlogScanner, scanner.js) or a photo of the label finds a parcel;
 * - the phone's position is recorded when it is known, never waited for;
 * - a delivery carries the signature or photo of the hand-over form (proof.js), in the
 *   same body, and is not queued without the proof the parcel's round asks for;
 * - a round that asks for the household's card: the card is scanned (camera) or typed
 *   with the parcel; with no signal the phone checks it against the saved trip's hashes
 *   of each household's card (SHA-256 of the token or of the short code, normalised as
 *   the server does), refuses another household's card naming it, and queues the
 *   delivery with `checked_offline` (the server flags the parcel if it refuses the card);
 * - who took the parcel: the head, one of the household's collectors (one tap, sent as
 *   `collector`) or someone else, whose name and relation are asked for then.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-deliver]");
  if (!root || !window.kitlogParcelActions) return;

  function data(name) {
    try {
      return JSON.parse(root.getAttribute(name) || "{}");
    } catch (e) {
      return {};
    }
  }

  var M = data("data-messages");
  var STATUS = data("data-status-labels");
  var RELATIONS = data("data-relation-labels");
  var REASONS = data("data-reason-labels");
  var LANG = root.getAttribute("data-lang") || document.documentElement.lang || "id";

  /* The table of parcel actions (parcel_actions.js): the actions this page records, the
     statuses each starts from and leads to, and their guards. */
  var table = window.kitlogParcelActions.at("door");
  var ACTIONS = table.byName;
  var DOOR = table.names;

  var panel = root.querySelector("[data-parcel]");
  var lookupForm = root.querySelector("[data-lookup]");
  var codeInput = lookupForm.querySelector("input[name=code]");
  var lookupError = root.querySelector("[data-lookup-error]");
  var deliverForm = root.querySelector("[data-door-form=deliver]");
  var failBox = root.querySelector("[data-door-form-box=fail]");
  var failForm = root.querySelector("[data-door-form=fail]");
  var cardBox = root.querySelector("[data-card-box]");
  var cardInput = deliverForm.querySelector('input[name$="-card"]');
  var choices = deliverForm.querySelector("[data-recipient-choices]");
  var nothingToDo = root.querySelector("[data-nothing-to-do]");

  function say(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values && values[key] != null ? values[key] : "";
    });
  }

  function when(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    try {
      return date.toLocaleString(LANG, { dateStyle: "medium", timeStyle: "short" });
    } catch (e) {
      return date.toLocaleString();
    }
  }

  function outbox() {
    return window.kitlogOutbox || null;
  }

  /* ---------- Codes: short code, token, or a label's whole URL ---------- */

  var SHORT = /^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{9}$/;
  var TOKEN = /^[A-Z2-7]{16}$/;

  function parseCode(text) {
    text = String(text || "").trim();
    if (!text) return null;
    if (text.indexOf("/") >= 0 || text.indexOf("%") >= 0) {
      try {
        text = decodeURIComponent(text);
      } catch (e) {
        /* keep it as typed */
      }
      var match = /\/p\/([^/?#]+)/i.exec(text);
      if (!match) return null;
      text = match[1];
    }
    var clean = text.toUpperCase().replace(/[\s\u00a0-]/g, "");
    if (SHORT.test(clean)) return { kind: "short", value: clean };
    if (TOKEN.test(clean)) return { kind: "token", value: clean };
    return null;
  }

  function shortOf(code) {
    return String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
  }

  function formatShort(clean) {
    return clean.replace(/(.{3})(?=.)/g, "$1-");
  }

  function matches(parcel, parsed) {
    if (parsed.kind === "token") return String(parcel.token || "").toUpperCase() === parsed.value;
    return shortOf(parcel.code) === parsed.value;
  }

  /* ---------- Saved trips: IndexedDB "kitlog-trips" ---------- */

  var dbPromise = null;

  function openTrips() {
    if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("kitlog-trips", 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("trips", { keyPath: "id" });
        };
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          reject(request.error);
        };
      });
    }
    return dbPromise;
  }

  function tripStore(mode, work) {
    return openTrips().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("trips", mode);
        var result;
        var req = work(tx.objectStore("trips"));
        if (req) {
          req.onsuccess = function () {
            result = req.result;
          };
        }
        tx.oncomplete = function () {
          resolve(result);
        };
        tx.onerror = tx.onabort = function () {
          reject(tx.error);
        };
      });
    });
  }

  // A trip saved more than 7 days ago is not used: kitlog.js deletes it at the next page.
  var TRIP_DAYS = 7;

  function fresh(trip) {
    var saved = Date.parse((trip && trip.downloaded_at) || "");
    return saved > Date.now() - TRIP_DAYS * 24 * 3600 * 1000;
  }

  function savedTrips() {
    return tripStore("readonly", function (store) {
      return store.getAll();
    }).then(
      function (trips) {
        // a distribution site's day shares the store (site.js) but is no trip
        return (trips || []).filter(function (trip) {
          return fresh(trip) && trip.kind !== "site";
        });
      },
      function () {
        return [];
      }
    );
  }

  function saveTrip(trip) {
    return tripStore("readwrite", function (store) {
      return store.put(trip);
    });
  }

  function findSaved(parsed) {
    return savedTrips().then(function (trips) {
      for (var i = 0; i < trips.length; i++) {
        var parcels = trips[i].parcels || [];
        for (var j = 0; j < parcels.length; j++) {
          if (matches(parcels[j], parsed)) return { trip: trips[i], parcel: parcels[j] };
        }
      }
      return null;
    });
  }

  /* Remember on the phone what happened to a parcel of a saved trip. */
  function markSaved(code, change) {
    var parsed = { kind: "short", value: shortOf(code) };
    return savedTrips().then(function (trips) {
      var touched = [];
      trips.forEach(function (trip) {
        (trip.parcels || []).forEach(function (parcel) {
          if (matches(parcel, parsed)) {
            change(parcel);
            touched.push(trip);
          }
        });
      });
      return Promise.all(touched.map(saveTrip)).then(renderWorklist);
    });
  }

  /* ---------- The parcel panel ---------- */

  var current = null; // {code, token, status, local, guards} of the parcel shown

  function setField(name, text) {
    var el = panel.querySelector('[data-field="' + name + '"]');
    if (el) el.textContent = text == null ? "" : String(text);
    return el;
  }

  function badge(status, label, tone) {
    var span = document.createElement("span");
    span.className = "badge parcel-status parcel-" + status + (tone ? " badge-" + tone : "");
    span.textContent = label;
    return span;
  }

  var TONES = { delivered: "ok", returned: "warn", failed: "danger" };

  function showStatus(status, local) {
    var holder = panel.querySelector('[data-field="status"]');
    holder.textContent = "";
    if (local === "delivered") holder.appendChild(badge("delivered", M.delivered_waiting, "ok"));
    else if (local === "failed") holder.appendChild(badge("failed", M.failed_waiting, "danger"));
    else holder.appendChild(badge(status, STATUS[status] || status, TONES[status]));
  }

  /* What the table allows at the door from this status. `guards` is what the server said
     of the parcel's guards (none for a parcel of a saved trip): a guard it did not say
     is taken to hold, and the server has the last word when the scan is sent. */
  function allowedHere(status, local, guards) {
    if (local) return [];
    return DOOR.filter(function (name) {
      var action = ACTIONS[name];
      if (action.from.indexOf(status) < 0) return false;
      return action.guards.every(function (guard) {
        return guard.target || guard.statuses.indexOf(status) < 0 || (guards || {})[guard.name] !== false;
      });
    });
  }

  /* The status an accepted scan of the action leaves the parcel in. */
  function leadsTo(action) {
    return (ACTIONS[action] || {}).to;
  }

  /* Each action of the door has its form (in a box, or on its own), named after it. */
  function showForms(allowed, statusLabel) {
    DOOR.forEach(function (name) {
      var box =
        root.querySelector('[data-door-form-box="' + name + '"]') ||
        root.querySelector('[data-door-form="' + name + '"]');
      if (box) box.hidden = allowed.indexOf(name) < 0;
    });
    nothingToDo.hidden = allowed.length > 0;
    if (!allowed.length) nothingToDo.textContent = say(M.nothing_to_do, { status: statusLabel });
  }

  function setCode(code) {
    [deliverForm, failForm].forEach(function (form) {
      var input = form.querySelector('input[name$="code"]');
      if (input) input.value = code;
    });
  }

  /* A parcel from a saved trip (no signal): fill the panel the server would have. */
  function showSaved(found) {
    var parcel = found.parcel;
    var household = parcel.household || {};
    var local = parcel.local ? parcel.local.status : null;
    current = { code: parcel.code, token: parcel.token, status: parcel.status, local: local };
    panel.hidden = false;
    panel.querySelectorAll("[data-server-only]").forEach(function (el) {
      el.hidden = true;
    });
    setField("code", parcel.code);
    showStatus(parcel.status, local);
    setField("kits", say(parcel.kits === 1 ? M.kits_one : M.kits_many, { num: parcel.kits }));
    setField("household", household.code);
    setField("head_name", household.head_name);
    setField("members", household.members);
    setField("village", whereOf(found.trip, household));
    var source = setField(
      "source",
      say(M.from_trip, { number: found.trip.number, when: when(found.trip.downloaded_at) })
    );
    if (source) source.hidden = false;
    setCode(parcel.code);
    resetForms();
    current.needsCard = parcel.verification === "card";
    current.headName = household.head_name || "";
    cardBox.hidden = !current.needsCard;
    offerRecipients(household.head_name, parcel.collectors || []);
    var statusLabel = local ? (local === "delivered" ? M.delivered_waiting : M.failed_waiting) : STATUS[parcel.status] || parcel.status;
    showForms(allowedHere(parcel.status, local), statusLabel);
    askProofFor(parcel);
    focusDoor();
    locate();
  }

  /* After a lookup the officer writes who takes the parcel: the field has the focus, and
     the household with the hand-over form fill the screen. */
  function focusDoor() {
    var box = failBox.open && !failBox.hidden ? failForm : deliverForm;
    if (box.hidden) return;
    var input =
      box === deliverForm
        ? cardBox.hidden
          ? choices.querySelector("input:checked") || choices.querySelector("input")
          : cardInput
        : box.querySelector("input:not([type=hidden]), select");
    panel.scrollIntoView({ block: "start" });
    if (input) input.focus({ preventScroll: true });
  }

  var outcome = panel.querySelector("[data-outcome]");
  var OUTCOME_TONES = { waiting: "alert-warning", ok: "alert-ok", duplicate: "alert-ok" };

  /* What became of the delivery just recorded for the parcel shown. */
  function showOutcome(state, text) {
    outcome.hidden = !state;
    outcome.className = "alert door-outcome " + (OUTCOME_TONES[state] || "alert-error");
    outcome.setAttribute("data-state", state || "");
    outcome.textContent = text || "";
  }

  function resetForms() {
    showOutcome(null);
    deliverForm.reset();
    failForm.reset();
    resetProof();
    root.querySelectorAll("[data-js-error]").forEach(function (el) {
      el.remove();
    });
  }

  function showLookupError(text) {
    lookupError.hidden = !text;
    lookupError.textContent = "";
    if (text) {
      var p = document.createElement("p");
      p.textContent = text;
      lookupError.appendChild(p);
    }
  }

  /* The address names the parcel shown, so a reload (from the service worker) shows it again. */
  function remember(code) {
    if (!window.history || !history.replaceState) return;
    var url = new URL(lookupForm.getAttribute("action") || location.pathname, location.href);
    url.searchParams.set("code", code);
    try {
      history.replaceState(null, "", url.pathname + url.search);
    } catch (e) {
      /* an address the browser refuses: keep the current one */
    }
  }

  function lookUpSaved(text) {
    var parsed = parseCode(text);
    if (!parsed) {
      panel.hidden = true;
      showLookupError(M.bad_code);
      return Promise.resolve(null);
    }
    return findSaved(parsed).then(function (found) {
      if (!found) {
        panel.hidden = true;
        var shown = parsed.kind === "short" ? formatShort(parsed.value) : parsed.value;
        showLookupError(say(M.not_in_trips, { code: shown }));
        return null;
      }
      showLookupError("");
      showSaved(found);
      remember(found.parcel.code);
      return found;
    });
  }

  /* With a signal the server answers the lookup (fresh status, full history); without
     one the saved trips do. */
  lookupForm.addEventListener("submit", function (event) {
    if (navigator.onLine !== false) return;
    event.preventDefault();
    lookUpSaved(codeInput.value);
  });

  /* ---------- Where the phone is (never waited for) ---------- */

  var position = null;
  var locating = false;

  function locate() {
    if (locating || !navigator.geolocation) return;
    locating = true;
    try {
      navigator.geolocation.getCurrentPosition(
        function (found) {
          locating = false;
          position = {
            lat: Math.round(found.coords.latitude * 1e6) / 1e6,
            lon: Math.round(found.coords.longitude * 1e6) / 1e6,
          };
          root.querySelectorAll('input[name$="-lat"]').forEach(function (input) {
            input.value = position.lat;
          });
          root.querySelectorAll('input[name$="-lon"]').forEach(function (input) {
            input.value = position.lon;
          });
        },
        function () {
          locating = false;
        },
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 120000 }
      );
    } catch (e) {
      locating = false;
    }
  }

  /* ---------- Proof of delivery (proof.js) ---------- */

  function proofBox() {
    return window.kitlogProof || null;
  }

  /* What the parcel's round asks for: a saved trip's parcel carries it as `proof`. */
  function askProofFor(parcel) {
    var box = proofBox();
    if (!box) return;
    box.need((parcel && (parcel.proof || (parcel.round && parcel.round.proof))) || "none");
  }

  function resetProof() {
    var box = proofBox();
    if (box) box.reset();
  }

  /* Put the signature or photo in the delivery's body; false (and say why) when the
     round's proof is missing or the photo is still being prepared. */
  function addProof(entry) {
    var box = proofBox();
    if (!box) return true;
    if (box.busy()) {
      box.complain(M.proof_busy);
      return false;
    }
    var missing = box.missing();
    if (missing) {
      box.complain(missing);
      return false;
    }
    var proof = box.value();
    if (proof) entry.proof = proof;
    return true;
  }

  /* ---------- Who took the parcel ---------- */

  /* The recipient choices for a parcel of a saved trip: the head (named when the trip
     holds names), each active collector of the household, someone else. */
  function offerRecipients(headName, collectors) {
    var name = choices.querySelector("input").name;
    var options = [["head", headName ? say(M.head_named, { name: headName }) : M.head]];
    collectors.forEach(function (c) {
      var relation = RELATIONS[c.relation] || c.relation || "";
      var label = c.name ? say(M.collector, { name: c.name, relation: relation }) : relation;
      options.push(["c" + c.id, label]);
    });
    options.push(["other", M.someone_else]);
    choices.textContent = "";
    options.forEach(function (option, i) {
      var label = document.createElement("label");
      label.className = "segment door-recipient-choice";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = name;
      input.id = name + "-" + i;
      input.value = option[0];
      input.checked = i === 0;
      input.defaultChecked = i === 0;
      var text = document.createElement("span");
      text.textContent = option[1];
      label.appendChild(input);
      label.appendChild(text);
      choices.appendChild(label);
    });
  }

  function chosenRecipient() {
    var checked = choices.querySelector("input:checked");
    return checked ? checked.value : "head";
  }

  function recipientLabel(value) {
    var input = choices.querySelector('input[value="' + value + '"]');
    var label = input && input.parentNode.querySelector("span");
    return label ? label.textContent : "";
  }

  /* ---------- The household's card ---------- */

  var CARD_SHORT = /^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{9}$/;

  /* A card's short code or token, normalised exactly as the server does: the short code
     upper case without spaces and hyphens; the token from its /h/<token> URL, upper case. */
  function parseCard(text) {
    text = String(text || "").trim();
    var symbols = text.toUpperCase().replace(/[ \t\u00a0-]/g, "");
    if (CARD_SHORT.test(symbols)) return { kind: "short", value: symbols };
    if (text.indexOf("/") >= 0 || text.indexOf("%") >= 0) {
      for (var i = 0; i < 3 && text.indexOf("%") >= 0; i++) {
        try {
          text = decodeURIComponent(text);
        } catch (e) {
          break;
        }
      }
      var path = text;
      if (text.indexOf("://") >= 0) {
        try {
          path = new URL(text).pathname;
        } catch (e) {
          return null;
        }
      } else {
        path = text.split("?")[0].split("#")[0];
      }
      var parts = path.split("/").filter(Boolean);
      if (parts.length < 2 || parts[parts.length - 2] !== "h") return null;
      text = parts[parts.length - 1];
    }
    text = text.trim().toUpperCase();
    return TOKEN.test(text) ? { kind: "token", value: text } : null;
  }

  function sha256(text) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle || !window.TextEncoder) return Promise.reject(new Error("no digest"));
    return subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.prototype.map
        .call(new Uint8Array(buffer), function (b) {
          return ("0" + b.toString(16)).slice(-2);
        })
        .join("");
    });
  }

  /* Check a card against the saved trips with no signal. Resolves with
     {ok: true, checked} (checked: the phone compared it with the household's card), or
     {ok: false, message}. */
  function checkCardOffline(text, code) {
    var parsed = parseCard(text);
    if (!parsed) return Promise.resolve({ ok: false, message: M.card_bad });
    return findSaved({ kind: "short", value: shortOf(code) }).then(function (found) {
      if (!found) return { ok: true, checked: false };
      return sha256(parsed.value).then(
        function (hash) {
          var field = parsed.kind === "short" ? "short_code_hash" : "token_hash";
          var mine = found.parcel.household || {};
          var held = found.parcel.card;
          if (held && held[field] === hash) return { ok: true, checked: true };
          return savedTrips().then(function (trips) {
            var owner = null;
            trips.forEach(function (trip) {
              (trip.parcels || []).forEach(function (parcel) {
                if (!owner && parcel.card && parcel.card[field] === hash) owner = parcel.household || {};
              });
            });
            if (owner && owner.code !== mine.code) {
              return {
                ok: false,
                message: say(M.card_other, { household: owner.code, parcel: found.parcel.code, mine: mine.code }),
              };
            }
            // The household had no card when the trip was saved: the server checks it.
            if (!held) return { ok: true, checked: true };
            return { ok: false, message: say(M.card_not_current, { household: mine.code }) };
          });
        },
        function () {
          return { ok: true, checked: false }; // no digest here: the server checks it
        }
      );
    });
  }

  /* ---------- Sending through the outbox ---------- */

  function fieldError(form, name, text) {
    var input = form.querySelector('[name$="' + name + '"]');
    if (!input) return;
    var box = input.closest(".field") || input.parentNode;
    var error = document.createElement("div");
    error.className = "field-error";
    error.setAttribute("data-js-error", "");
    error.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    error.appendChild(p);
    box.appendChild(error);
    box.classList.add("has-error");
    input.focus();
  }

  function value(form, name) {
    var input = form.querySelector('[name$="-' + name + '"]');
    return input ? input.value.trim() : "";
  }

  var lastKey = null;

  function submitDoor(form, action) {
    root.querySelectorAll("[data-js-error]").forEach(function (el) {
      var box = el.parentNode;
      el.remove();
      if (box && box.classList) box.classList.remove("has-error");
    });
    var code = current ? current.code : value(form, "code");
    var entry = { code: code, action: action };
    if (position) {
      entry.lat = position.lat;
      entry.lon = position.lon;
    }
    var checking = Promise.resolve({ ok: true, checked: false });
    if (action === "deliver") {
      var who = chosenRecipient();
      if (who === "other") {
        entry.recipient_name = value(form, "recipient_name").replace(/\s+/g, " ");
        entry.recipient_relation = value(form, "recipient_relation");
        if (!entry.recipient_name) {
          fieldError(form, "recipient_name", M.name_required);
          return;
        }
        if (!RELATIONS[entry.recipient_relation] || entry.recipient_relation === "head") {
          fieldError(form, "recipient_relation", M.relation_required);
          return;
        }
      } else if (who === "head") {
        entry.recipient_relation = "head";
        var head = current && current.headName != null ? current.headName : headShown();
        if (head) entry.recipient_name = head;
      } else {
        entry.collector = parseInt(who.slice(1), 10);
      }
      entry.label = entry.recipient_name || recipientLabel(who);
      var card = value(form, "card");
      var needsCard = !cardBox.hidden;
      if (needsCard && !card) {
        fieldError(form, "card", M.card_required);
        return;
      }
      if (card) {
        entry.card = card;
        if (navigator.onLine === false) checking = checkCardOffline(card, code);
      }
      if (!addProof(entry)) return;
    } else {
      entry.reason = value(form, "reason");
      entry.note = value(form, "note");
      if (!REASONS[entry.reason]) {
        fieldError(form, "reason", M.reason_required);
        return;
      }
    }
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    checking
      .then(function (check) {
        if (!check.ok) {
          fieldError(form, "card", check.message);
          if (button) button.disabled = false;
          return Promise.reject(null);
        }
        if (check.checked) entry.checked_offline = true;
        return outbox().add(entry);
      })
      .then(function (added) {
        lastKey = added && added.idempotency_key;
        var local = leadsTo(action);
        if (current) current.local = local;
        showStatus(current ? current.status : "dispatched", local);
        showForms([], local === "delivered" ? M.delivered_waiting : M.failed_waiting);
        nothingToDo.hidden = true;
        showOutcome("waiting", describe(added) + ". " + M.saved_offline);
        resetProof();
        return markSaved(code, function (parcel) {
          parcel.local = { status: local, key: lastKey, at: new Date().toISOString() };
        });
      })
      .then(renderResults, function (refused) {
        if (refused !== null) return renderResults();
      })
      .then(function () {
        if (button) button.disabled = false;
      });
  }

  function headShown() {
    var el = panel.querySelector('[data-field="head_name"]');
    return el ? el.textContent.trim() : "";
  }

  [
    [deliverForm, "deliver"],
    [failForm, "fail"],
  ].forEach(function (pair) {
    pair[0].addEventListener("submit", function (event) {
      if (!outbox()) return; // no outbox.js: the server records the plain form
      event.preventDefault();
      submitDoor(pair[0], pair[1]);
    });
  });

  /* ---------- What this phone recorded, and how each sync went ---------- */

  var results = root.querySelector("[data-results]");
  var resultList = root.querySelector("[data-result-list]");
  var STATE_TONES = { ok: "ok", duplicate: "ok", refused: "danger", unknown: "danger", waiting: "warn", error: "warn" };

  function describe(entry) {
    if (entry.action === "deliver") return say(M.delivered_to, { name: entry.label || entry.recipient_name || "" });
    return say(M.not_delivered, { reason: REASONS[entry.reason] || entry.reason || "" });
  }

  function renderResults() {
    var box = outbox();
    if (!box || !box.recent) return Promise.resolve();
    return Promise.resolve(box.recent(20)).then(function (entries) {
      var mine = (entries || []).filter(function (e) {
        return DOOR.indexOf(e.action) >= 0;
      });
      results.hidden = mine.length === 0;
      resultList.textContent = "";
      mine.forEach(function (entry) {
        var state = entry.state || "waiting";
        var li = document.createElement("li");
        li.className = "card door-result door-result-" + state;
        li.setAttribute("data-state", state);
        li.setAttribute("data-key", entry.idempotency_key || "");
        var head = document.createElement("p");
        head.className = "door-result-head";
        var code = document.createElement("span");
        code.className = "short-code";
        code.textContent = entry.code;
        head.appendChild(code);
        head.appendChild(document.createTextNode(" "));
        head.appendChild(badge(state, M[state] || state, STATE_TONES[state]));
        li.appendChild(head);
        var what = document.createElement("p");
        what.textContent = describe(entry);
        li.appendChild(what);
        if (entry.detail && state !== "ok") {
          var detail = document.createElement("p");
          detail.className = "door-result-detail";
          detail.textContent = entry.detail;
          li.appendChild(detail);
        }
        if (entry.scanned_at) {
          var at = document.createElement("p");
          at.className = "muted";
          at.textContent = when(entry.scanned_at);
          li.appendChild(at);
        }
        resultList.appendChild(li);
        settle(entry, state);
      });
    });
  }

  /* Once the server answered, the saved trip learns the parcel's real status. */
  var settled = {};

  function settle(entry, state) {
    var key = entry.idempotency_key;
    if (!key || settled[key] || state === "waiting" || state === "error") return;
    settled[key] = true;
    markSaved(entry.code, function (parcel) {
      if (!parcel.local || parcel.local.key !== key) return;
      if (state === "ok" || state === "duplicate") {
        parcel.status = leadsTo(entry.action);
      }
      delete parcel.local;
    }).catch(function () {});
    if (current && shortOf(current.code) === shortOf(entry.code) && key === lastKey) {
      current.local = null;
      if (state === "ok" || state === "duplicate") {
        current.status = leadsTo(entry.action);
        showStatus(current.status, null);
        showOutcome(state, describe(entry) + ". " + (M[state] || state) + ".");
      } else {
        showStatus(current.status, null);
        showOutcome(state, (M[state] || state) + ": " + (entry.detail || ""));
        // what was entered stays: the officer corrects the card or the recipient
        var allowed = allowedHere(current.status, null, current.guards);
        showForms(allowed, STATUS[current.status] || current.status);
      }
    }
  }

  /* ---------- Trips for offline use ---------- */

  var trips = root.querySelector("[data-trips]");
  var tripList = root.querySelector("[data-trip-list]");
  var tripsNote = root.querySelector("[data-trips-note]");

  function getJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "Accept-Language": LANG },
    }).then(function (response) {
      if (response.status === 401) throw new Error("401");
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
  }

  function downloadTrip(id, button, status) {
    button.disabled = true;
    status.textContent = M.trip_saving;
    var base = "/api/v1/manifests/" + encodeURIComponent(id);
    return Promise.all([getJson(base), getJson(base + "/worklist")])
      .then(function (answers) {
        var manifest = answers[0];
        return saveTrip({
          id: manifest.id,
          number: manifest.number,
          destination: manifest.destination || "",
          downloaded_at: new Date().toISOString(),
          parcels: withWorklist(manifest.parcels || [], answers[1]),
          places: (answers[1] && answers[1].places) || [],
        });
      })
      .then(listTrips)
      .then(renderWorklist, function (error) {
        button.disabled = false;
        status.textContent = error && error.message === "401" ? M.login_again : M.trip_failed;
      });
  }

  function tripItem(id, number, destination, saved) {
    var li = document.createElement("li");
    li.className = "door-trip";
    li.setAttribute("data-trip", id);
    var text = document.createElement("div");
    var title = document.createElement("p");
    title.className = "strong";
    title.textContent = number + (destination ? " · " + destination : "");
    text.appendChild(title);
    var status = document.createElement("p");
    status.className = "muted";
    status.setAttribute("data-trip-status", "");
    if (saved) {
      status.textContent = say(M.trip_saved, {
        when: when(saved.downloaded_at),
        count: (saved.parcels || []).length,
      });
    }
    text.appendChild(status);
    li.appendChild(text);
    return { li: li, status: status };
  }

  function listTrips() {
    trips.hidden = false;
    return savedTrips().then(function (saved) {
      var byId = {};
      saved.forEach(function (trip) {
        byId[trip.id] = trip;
      });
      var online = navigator.onLine !== false;
      var listed = online
        ? getJson("/api/v1/manifests?status=dispatched&per_page=100").then(function (page) {
            return page.items || [];
          })
        : Promise.reject(new Error("offline"));
      return listed.then(
        function (items) {
          tripList.textContent = "";
          tripsNote.hidden = items.length > 0;
          tripsNote.textContent = items.length ? "" : M.no_trips;
          items.forEach(function (manifest) {
            var item = tripItem(manifest.id, manifest.number, manifest.destination, byId[manifest.id]);
            var button = document.createElement("button");
            button.type = "button";
            button.className = "button-secondary";
            button.setAttribute("data-save-trip", manifest.id);
            button.textContent = byId[manifest.id] ? M.trip_update : M.trip_save;
            button.addEventListener("click", function () {
              downloadTrip(manifest.id, button, item.status);
            });
            item.li.appendChild(button);
            tripList.appendChild(item.li);
          });
        },
        function (error) {
          tripList.textContent = "";
          saved.forEach(function (trip) {
            tripList.appendChild(tripItem(trip.id, trip.number, trip.destination, trip).li);
          });
          tripsNote.hidden = false;
          tripsNote.textContent = error && error.message === "401" ? M.login_again : M.trips_offline;
        }
      );
    });
  }

  /* ---------- The saved trip's work-list ---------- */

  /* The saved trip's parcels in the work-list's order (district, village, household),
     each with its household's phone and its door attempts. */
  function withWorklist(parcels, work) {
    var byCode = {};
    parcels.forEach(function (parcel) {
      byCode[shortOf(parcel.code)] = parcel;
    });
    var ordered = [];
    ((work && work.items) || []).forEach(function (item) {
      var parcel = byCode[shortOf(item.code)];
      if (!parcel) return;
      delete byCode[shortOf(item.code)];
      parcel.status = item.status;
      parcel.attempts = item.attempts || [];
      parcel.verification = item.verification || "none";
      parcel.card = item.card || null; // hashes only
      parcel.collectors = item.collectors || [];
      parcel.household = Object.assign({}, parcel.household || {}, item.household || {});
      ordered.push(parcel);
    });
    return ordered.concat(
      parcels.filter(function (parcel) {
        return byCode[shortOf(parcel.code)];
      })
    );
  }

  /* ---------- The trip's places: its households' villages and districts ---------- */

  function placesOf(trip) {
    var byCode = {};
    ((trip && trip.places) || []).forEach(function (place) {
      byCode[place.code] = place;
    });
    return byCode;
  }

  /* "Sedayu, Turen": the household's village and district as the official list names
     them (the names it was saved with, for a household with no official village). */
  function whereOf(trip, household) {
    var byCode = placesOf(trip);
    var village = byCode[household.village_code];
    var district = village && byCode[village.parent];
    return [village ? village.name : household.village, district ? district.name : household.district]
      .filter(Boolean)
      .join(", ");
  }

  var villageBox = root.querySelector("[data-worklist-villages]");
  var villageChoice = root.querySelector("[data-worklist-village]");

  /* The trip's villages to choose from, under their districts, each with its parcels. */
  function listVillages(trip) {
    var byCode = placesOf(trip);
    var counts = {};
    (trip.parcels || []).forEach(function (parcel) {
      var code = (parcel.household || {}).village_code;
      if (byCode[code]) counts[code] = (counts[code] || 0) + 1;
    });
    var wanted = villageChoice.value;
    villageChoice.textContent = "";
    var every = document.createElement("option");
    every.value = "";
    every.textContent = M.worklist_every_village;
    villageChoice.appendChild(every);
    var groups = {};
    (trip.places || []).forEach(function (place) {
      if (place.level !== "village" || !counts[place.code]) return;
      var district = byCode[place.parent];
      var key = place.parent || "";
      if (!groups[key]) {
        groups[key] = document.createElement("optgroup");
        groups[key].label = district ? district.name : "";
        villageChoice.appendChild(groups[key]);
      }
      var option = document.createElement("option");
      option.value = place.code;
      option.textContent = place.name + " (" + counts[place.code] + ")";
      groups[key].appendChild(option);
    });
    villageChoice.value = counts[wanted] ? wanted : "";
    villageBox.hidden = Object.keys(counts).length < 2;
    if (villageBox.hidden) villageChoice.value = "";
  }

  var worklist = root.querySelector("[data-worklist]");
  var worklistList = root.querySelector("[data-worklist-list]");
  var worklistTrip = root.querySelector("[data-worklist-trip]");
  var worklistLeft = root.querySelector("[data-worklist-left]");
  var shownTrip = null; // the id of the trip the work-list shows

  function delivered(parcel) {
    return parcel.local ? parcel.local.status === "delivered" : parcel.status === "delivered";
  }

  function lastAttempt(parcel) {
    var attempts = parcel.attempts || [];
    var last = attempts[attempts.length - 1];
    if (!last) return "";
    var what =
      last.outcome === "failed"
        ? say(M.not_delivered, { reason: REASONS[last.reason] || last.reason || "" })
        : STATUS.delivered || last.outcome;
    return say(M.worklist_attempts, { count: attempts.length }) + " · " + what + " · " + when(last.at);
  }

  function workItem(trip, parcel) {
    var household = parcel.household || {};
    var li = document.createElement("li");
    li.className = "door-work";
    li.setAttribute("data-work", parcel.code);
    li.setAttribute("data-done", delivered(parcel) ? "yes" : "no");
    var head = document.createElement("p");
    head.className = "door-work-head";
    var open = document.createElement("a");
    open.className = "short-code door-work-code";
    open.href = (lookupForm.getAttribute("action") || "/deliver/") + "?code=" + encodeURIComponent(parcel.code);
    open.textContent = parcel.code;
    open.addEventListener("click", function (event) {
      event.preventDefault();
      found(parcel.code);
    });
    head.appendChild(open);
    var local = parcel.local ? parcel.local.status : null;
    if (local === "delivered") head.appendChild(badge("delivered", M.delivered_waiting, "ok"));
    else if (local === "failed") head.appendChild(badge("failed", M.failed_waiting, "danger"));
    else head.appendChild(badge(parcel.status, STATUS[parcel.status] || parcel.status, TONES[parcel.status]));
    li.appendChild(head);
    var who = document.createElement("p");
    who.className = "strong";
    who.textContent = household.head_name || household.code || "";
    li.appendChild(who);
    var where = document.createElement("p");
    where.className = "muted";
    where.textContent = [
      household.code,
      whereOf(trip, household),
      say(parcel.kits === 1 ? M.kits_one : M.kits_many, { num: parcel.kits }),
    ]
      .filter(Boolean)
      .join(" · ");
    li.appendChild(where);
    var tried = lastAttempt(parcel);
    if (tried) {
      var attempts = document.createElement("p");
      attempts.className = "door-work-attempts";
      attempts.textContent = tried;
      li.appendChild(attempts);
    }
    if (household.phone) {
      var call = document.createElement("a");
      call.className = "button button-secondary door-work-call";
      call.href = "tel:" + String(household.phone).replace(/[^0-9+]/g, "");
      call.textContent = say(M.worklist_call, { phone: household.phone });
      li.appendChild(call);
    }
    return li;
  }

  function showWorklist(trip) {
    var parcels = trip.parcels || [];
    var done = parcels.filter(delivered).length;
    root.querySelector("[data-worklist-saved]").textContent = say(M.worklist_saved, {
      number: trip.number,
      when: when(trip.downloaded_at),
    });
    var progress = root.querySelector("[data-worklist-progress]");
    progress.textContent = say(M.worklist_progress, { done: done, total: parcels.length });
    progress.setAttribute("data-done", done);
    progress.setAttribute("data-total", parcels.length);
    worklistList.textContent = "";
    var left = worklistLeft.checked;
    listVillages(trip);
    var village = villageChoice.value;
    var shown = 0;
    parcels.forEach(function (parcel) {
      if (left && delivered(parcel)) return;
      if (village && (parcel.household || {}).village_code !== village) return;
      worklistList.appendChild(workItem(trip, parcel));
      shown += 1;
    });
    var empty = root.querySelector("[data-worklist-empty]");
    empty.hidden = !(left && shown === 0);
    empty.textContent = empty.hidden ? "" : village ? M.worklist_none_left_village : M.worklist_none_left;
  }

  /* The newest saved trip, or the one chosen when the phone keeps several. */
  function renderWorklist() {
    return savedTrips().then(function (trips) {
      trips.sort(function (a, b) {
        return String(b.downloaded_at).localeCompare(String(a.downloaded_at));
      });
      worklist.hidden = trips.length === 0;
      root.querySelector("[data-worklist-choice]").hidden = trips.length < 2;
      if (!trips.length) return;
      var trip =
        trips.filter(function (t) {
          return String(t.id) === String(shownTrip);
        })[0] || trips[0];
      if (trip.id !== shownTrip) villageChoice.value = ""; // another trip's villages
      shownTrip = trip.id;
      worklistTrip.textContent = "";
      trips.forEach(function (t) {
        var option = document.createElement("option");
        option.value = t.id;
        option.textContent = t.number + (t.destination ? " · " + t.destination : "");
        option.selected = t.id === trip.id;
        worklistTrip.appendChild(option);
      });
      showWorklist(trip);
    });
  }

  function startWorklist() {
    worklistLeft.addEventListener("change", renderWorklist);
    villageChoice.addEventListener("change", renderWorklist);
    worklistTrip.addEventListener("change", function () {
      shownTrip = worklistTrip.value;
      renderWorklist();
    });
    renderWorklist();
  }

  /* ---------- Camera and photo ---------- */

  function found(text) {
    codeInput.value = text;
    if (lookupForm.requestSubmit) lookupForm.requestSubmit();
    else lookupForm.submit();
  }

  function scanner() {
    var cameraButton = root.querySelector("[data-camera]");
    var photo = root.querySelector("[data-photo]");
    var photoInput = root.querySelector("[data-photo-input]");
    var box = root.querySelector("[data-camera-box]");
    var video = root.querySelector("[data-video]");
    var stop = root.querySelector("[data-camera-stop]");
    var s = window.kitlogScanner;
    if (!s) return;
    if (s.decodeFile) {
      photo.hidden = false;
      photoInput.addEventListener("change", function () {
        var file = photoInput.files && photoInput.files[0];
        if (!file) return;
        Promise.resolve(s.decodeFile(file)).then(
          function (text) {
            photoInput.value = "";
            if (text) found(text);
            else showLookupError(M.photo_failed);
          },
          function () {
            showLookupError(M.photo_failed);
          }
        );
      });
    }
    if (s.start) {
      cameraButton.hidden = false;
      cameraButton.addEventListener("click", function () {
        box.hidden = false;
        showLookupError("");
        Promise.resolve(
          s.start(video, function (text) {
            s.stop();
            box.hidden = true;
            found(text);
          })
        ).catch(function (error) {
          box.hidden = true;
          showLookupError((error && error.reason && error.message) || M.camera_failed);
        });
      });
      stop.addEventListener("click", function () {
        s.stop();
        box.hidden = true;
      });
      cardCamera(s);
    }
  }

  /* The household's card is scanned like the label: its text goes in the card field. */
  function cardCamera(s) {
    var button = root.querySelector("[data-card-camera]");
    var box = root.querySelector("[data-card-camera-box]");
    var video = root.querySelector("[data-card-video]");
    var stop = root.querySelector("[data-card-camera-stop]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      box.hidden = false;
      Promise.resolve(
        s.start(video, function (text) {
          s.stop();
          box.hidden = true;
          cardInput.value = text;
          cardInput.focus();
        })
      ).catch(function (error) {
        box.hidden = true;
        fieldError(deliverForm, "card", (error && error.reason && error.message) || M.camera_failed);
      });
    });
    stop.addEventListener("click", function () {
      s.stop();
      box.hidden = true;
    });
  }

  /* A page the server rendered before this phone recorded the parcel offline (the
     service worker's copy, or a reload before the sync): what the phone did wins. */
  function applyWaiting() {
    var box = outbox();
    if (!box || !box.recent || !current) return;
    box.recent(50).then(function (entries) {
      var newest = (entries || []).filter(function (e) {
        return DOOR.indexOf(e.action) >= 0 && shortOf(e.code) === shortOf(current.code);
      })[0];
      if (!newest) return;
      var done = leadsTo(newest.action);
      if (newest.state === "waiting") {
        lastKey = newest.idempotency_key;
        current.local = done;
        showStatus(current.status, done);
        showForms([], done === "delivered" ? M.delivered_waiting : M.failed_waiting);
        nothingToDo.hidden = true;
      } else if (
        (newest.state === "ok" || newest.state === "duplicate") &&
        ACTIONS[newest.action].from.indexOf(current.status) >= 0 &&
        Date.now() - (newest.answered_at || 0) < 12 * 3600 * 1000
      ) {
        current.status = done;
        showStatus(done, null);
        showForms(allowedHere(done, null, current.guards), STATUS[done] || done);
      }
    });
  }

  /* ---------- Start ---------- */

  /* What the server said of the shown parcel's guards (data-guards). */
  function guardsServed() {
    try {
      return JSON.parse(panel.getAttribute("data-guards") || "{}");
    } catch (e) {
      return {};
    }
  }

  /* The parcel the address asks for: /deliver/?code=… or a label's /p/<token>. */
  function asked() {
    var code = new URLSearchParams(location.search).get("code");
    if (code) return { text: code, shown: code };
    var path = /\/p\/([^/?#]+)/i.exec(location.pathname);
    return path ? { text: path[0], shown: path[1] } : null;
  }

  function start() {
    scanner();
    var wanted = asked();
    var parsed = wanted ? parseCode(wanted.text) : null;
    var served = !panel.hidden && {
      code: panel.getAttribute("data-code"),
      token: panel.getAttribute("data-token"),
      status: panel.getAttribute("data-status"),
      local: null,
      guards: guardsServed(),
      headName: null,
    };
    if (served && (!parsed || matches(served, parsed))) {
      current = served;
      locate();
      applyWaiting();
      if (location.hash === "#fail" && !failBox.hidden) {
        failBox.open = true;
        focusDoor();
      }
    } else if (wanted && (served || !codeInput.value)) {
      // The service worker answered with its saved copy of the delivery page (which may
      // show another parcel): look the parcel asked for up on the phone.
      panel.hidden = true;
      codeInput.value = wanted.shown;
      lookUpSaved(wanted.text);
    }
    listTrips();
    startWorklist();
    var box = outbox();
    if (box) {
      if (box.on) box.on("change", renderResults);
      renderResults();
    }
    window.addEventListener("online", listTrips);
    window.addEventListener("offline", listTrips);
  }

  start();
})();
