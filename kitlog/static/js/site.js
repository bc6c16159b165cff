/* kitlog site station (/site/): a household's card, its parcels, the handover.
 *
 * - The site chosen is remembered on this device (localStorage "kitlog-site").
 * - A card scanned (scanner.js) or typed is looked up with GET /api/v1/cards/<card>;
 *   with no connection, in the site's day saved on this phone ("Save the site's day"):
 *   IndexedDB "kitlog-trips", the store deliver.js keeps trips in, as {id: "site-<id>",
 *   kind: "site", ...}, so kitlog.js deletes it at logout and after 7 days like a trip.
 *   The saved day holds each card's SHA-256 hashes (of its token, of its short code's 9
 *   symbols), never the card: a card typed or scanned is hashed here and compared.
 * - "Hand over" queues a deliver scan in the outbox (window.kitlogOutbox) with the card
 *   as scanned and the recipient (a collector's id, the head, or someone named);
 *   a round that asks for the card also needs the parcel's label scanned or typed, and
 *   the scan carries the label. A handover decided from the saved day carries
 *   `checked_offline: true`. The count (served / expected) moves at once on the phone.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-site-station]");
  if (!root) return;
  var M = JSON.parse(document.querySelector("[data-site-strings]").textContent);
  var siteId = root.getAttribute("data-site");
  var select = root.querySelector("[data-site-select]");
  var REMEMBER = "kitlog-site";

  /* ---------- the site remembered on this device ---------- */
  try {
    if (siteId) {
      localStorage.setItem(REMEMBER, siteId);
    } else if (select) {
      var remembered = localStorage.getItem(REMEMBER);
      var known = Array.prototype.some.call(select.options, function (o) {
        return o.value && o.value === remembered;
      });
      if (known && window.location.search.indexOf("site=") === -1) {
        window.location.replace(window.location.pathname + "?site=" + encodeURIComponent(remembered));
        return;
      }
    }
  } catch (ignored) {
    /* no storage: choose each time */
  }
  if (!siteId) return;

  var form = root.querySelector("[data-card-form]");
  var input = root.querySelector("[data-card-input]");
  var panel = root.querySelector("[data-household]");
  var feedback = root.querySelector("[data-feedback]");
  var served = root.querySelector("[data-served]");
  var expected = root.querySelector("[data-expected]");
  var saveButton = root.querySelector("[data-save-day]");
  var dayStatus = root.querySelector("[data-day-status]");
  var DAY_KEY = "site-" + siteId;
  var LANG = document.documentElement.lang || "id";

  function say(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function outbox() {
    return window.kitlogOutbox || null;
  }

  function show(tone, title, code, detail) {
    feedback.hidden = false;
    feedback.className = "station-feedback feedback-" + tone;
    feedback.querySelector("[data-feedback-title]").textContent = title || "";
    feedback.querySelector("[data-feedback-code]").textContent = code || "";
    feedback.querySelector("[data-feedback-detail]").textContent = detail || "";
  }

  function setCount(servedNow, expectedNow) {
    served.textContent = String(servedNow);
    expected.textContent = String(expectedNow);
  }

  /* ---------- the site's day on this phone ---------- */
  var dbPromise = null;

  function openStore() {
    if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("kitlog-trips", 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("trips", { keyPath: "id" }); // as deliver.js does
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

  function store(mode, work) {
    return openStore().then(function (db) {
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

  function savedDay() {
    return store("readonly", function (s) {
      return s.get(DAY_KEY);
    }).then(
      function (day) {
        var at = Date.parse((day && day.downloaded_at) || "");
        return at > Date.now() - 7 * 24 * 3600 * 1000 ? day : null;
      },
      function () {
        return null;
      }
    );
  }

  function keepDay(day) {
    return store("readwrite", function (s) {
      return s.put(day);
    });
  }

  function describeSaved(day) {
    if (!day) return;
    var when = new Date(day.downloaded_at);
    dayStatus.textContent = say(M.saved, {
      households: (day.households || []).length,
      when: when.toLocaleString(LANG, { dateStyle: "medium", timeStyle: "short" }),
    });
  }

  function getJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "Accept-Language": LANG },
    }).then(function (response) {
      return response.json().then(
        function (body) {
          return { status: response.status, body: body };
        },
        function () {
          return { status: response.status, body: {} };
        }
      );
    });
  }

  if (saveButton && window.indexedDB) {
    saveButton.hidden = false;
    savedDay().then(describeSaved);
    saveButton.addEventListener("click", function () {
      saveButton.disabled = true;
      dayStatus.textContent = M.saving;
      getJson("/api/v1/sites/" + encodeURIComponent(siteId) + "/day")
        .then(function (answer) {
          if (answer.status !== 200) throw new Error(String(answer.status));
          var day = answer.body;
          day.id = DAY_KEY;
          day.kind = "site";
          day.downloaded_at = new Date().toISOString();
          setCount(day.served, day.expected);
          return keepDay(day).then(function () {
            describeSaved(day);
          });
        })
        .catch(function () {
          dayStatus.textContent = M.save_failed;
        })
        .then(function () {
          saveButton.disabled = false;
        });
    });
  }

  /* ---------- a card, hashed as the saved day holds it ---------- */
  function parseCard(text) {
    text = String(text || "").trim();
    if (text.indexOf("/") >= 0 || text.indexOf("%") >= 0) {
      try {
        text = decodeURIComponent(text);
      } catch (ignored) {
        /* as typed */
      }
      var match = /\/h\/([^/?#]+)/i.exec(text);
      if (!match) return null;
      text = match[1];
    }
    var clean = text.toUpperCase().replace(/[\s\u00a0-]/g, "");
    if (/^[0-9A-Z]{9}$/.test(clean)) return { kind: "short", value: clean };
    if (/^[A-Z2-7]{16}$/.test(clean)) return { kind: "token", value: clean };
    return null;
  }

  function sha256(text) {
    if (!window.crypto || !crypto.subtle) return Promise.reject(new Error("no SubtleCrypto"));
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.prototype.map
        .call(new Uint8Array(buffer), function (b) {
          return ("0" + b.toString(16)).slice(-2);
        })
        .join("");
    });
  }

  function lookUpSaved(text) {
    var parsed = parseCard(text);
    return savedDay().then(function (day) {
      if (!day) return { problem: M.not_saved };
      if (!parsed) return { problem: M.unknown_card };
      return sha256(parsed.value).then(function (hash) {
        var field = parsed.kind === "short" ? "short_hash" : "card_hash";
        var households = day.households || [];
        for (var i = 0; i < households.length; i++) {
          if (households[i][field] === hash) return { household: households[i], day: day };
        }
        return { problem: M.unknown_card };
      });
    });
  }

  /* ---------- the household's panel ---------- */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var current = null; // {card, household, parcels, offline}
  var formCount = 0;

  function recipientChoices(household) {
    formCount += 1;
    var group = "collector-" + formCount;
    var set = el("fieldset", { class: "site-recipients" });
    set.appendChild(el("legend", {}, M.who));
    var row = el("div", { class: "segmented site-choices" });
    var choices = [["head", M.head + ": " + (household.head_name || "")]];
    (household.collectors || []).forEach(function (c) {
      choices.push([String(c.id), c.name + " (" + c.relation + ")"]);
    });
    choices.push(["other", M.someone_else]);
    choices.forEach(function (choice, i) {
      var label = el("label", { class: "segment" });
      var radio = el("input", { type: "radio", name: group, value: choice[0], "data-recipient": "" });
      if (i === 0) radio.checked = true;
      label.appendChild(radio);
      label.appendChild(el("span", {}, " " + choice[1]));
      row.appendChild(label);
    });
    set.appendChild(row);
    [
      ["name", M.name, "120"],
      ["relation", M.relation, "40"],
    ].forEach(function (field) {
      var box = el("div", { class: "field", "data-other": "" });
      var id = group + "-" + field[0];
      box.appendChild(el("label", { for: id }, field[1]));
      var attrs = { id: id, maxlength: field[2], autocomplete: "off" };
      attrs["data-other-" + field[0]] = "";
      box.appendChild(el("input", attrs));
      box.hidden = true;
      set.appendChild(box);
    });
    set.addEventListener("change", function () {
      var other = set.querySelector("input[value=other]").checked;
      set.querySelectorAll("[data-other]").forEach(function (box) {
        box.hidden = !other;
      });
    });
    return set;
  }

  function shortOf(code) {
    return String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
  }

  function labelMatches(parcel, text) {
    var clean = String(text || "").trim();
    var match = /\/p\/([^/?#]+)/i.exec(clean);
    if (match) return match[1].toUpperCase() === String(parcel.token || "").toUpperCase() || !parcel.token;
    return shortOf(clean) === shortOf(parcel.short_code || parcel.code);
  }

  function render(found) {
    current = found;
    panel.innerHTML = "";
    panel.hidden = false;
    var household = found.household;
    panel.appendChild(el("h2", {}, household.head_name || household.code));
    panel.appendChild(el("p", { class: "muted" }, household.code + " · " + (household.village || "")));
    if (!found.parcels.length) panel.appendChild(el("p", { class: "callout" }, M.no_parcels));
    var list = el("ul", { class: "site-parcels" });
    found.parcels.forEach(function (parcel) {
      var item = el("li", { class: "site-parcel", "data-parcel": parcel.code });
      item.appendChild(el("p", {}, parcel.code + " · " + parcel.round.name + " · " + parcel.kits + " " + M.kits));
      item.appendChild(el("p", { class: "muted", "data-parcel-status": "" }, M.status[parcel.status] || parcel.status));
      if (parcel.actions.indexOf("deliver") !== -1) item.appendChild(handoverForm(parcel, household));
      list.appendChild(item);
    });
    panel.appendChild(list);
  }

  function handoverForm(parcel, household) {
    var handover = el("form", { class: "site-handover", "data-handover": "", novalidate: "" });
    handover.appendChild(recipientChoices(household));
    var labelInput = null;
    if (parcel.round.verification === "card") {
      var box = el("div", { class: "field" });
      var id = "label-" + formCount;
      box.appendChild(el("label", { for: id }, M.label));
      box.appendChild(el("p", { class: "hint" }, M.label_hint));
      labelInput = el("input", { id: id, autocomplete: "off", "data-label-input": "" });
      box.appendChild(labelInput);
      handover.appendChild(box);
    }
    handover.appendChild(el("button", { type: "submit", class: "button-primary", "data-hand-over": "" }, M.hand_over));
    handover.addEventListener("submit", function (event) {
      event.preventDefault();
      handOver(parcel, household, handover, labelInput);
    });
    return handover;
  }

  function handOver(parcel, household, handover, labelInput) {
    var choice = handover.querySelector("[data-recipient]:checked");
    var entry = { code: parcel.short_code, action: "deliver", card: current.card };
    if (choice.value === "head") {
      entry.recipient_name = household.head_name || "";
    } else if (choice.value === "other") {
      entry.recipient_name = handover.querySelector("[data-other-name]").value.trim();
      entry.recipient_relation = handover.querySelector("[data-other-relation]").value.trim();
      if (!entry.recipient_name) {
        show("bad", M.refused, parcel.code, M.name_required);
        return;
      }
    } else {
      entry.collector = parseInt(choice.value, 10);
    }
    if (labelInput) {
      if (!labelMatches(parcel, labelInput.value)) {
        show("bad", M.refused, parcel.code, M.label_wrong);
        labelInput.focus();
        return;
      }
      entry.code = labelInput.value.trim();
    }
    if (current.offline) entry.checked_offline = true;
    var box = outbox();
    if (!box) {
      show("bad", M.refused, parcel.code, M.save_failed);
      return;
    }
    handover.querySelector("button").disabled = true;
    box.add(entry).then(function (added) {
      pending[added.idempotency_key] = parcel.code;
      handover.remove();
      var item = panel.querySelector('[data-parcel="' + parcel.code + '"] [data-parcel-status]');
      if (item) item.textContent = M.status.delivered;
      setCount(Number(served.textContent) + 1, Number(expected.textContent));
      show("wait", M.handed_over, parcel.code, M.waiting);
      return markSaved(parcel.code);
    });
  }

  function markSaved(code) {
    return savedDay().then(function (day) {
      if (!day) return null;
      day.served += 1;
      (day.households || []).forEach(function (household) {
        (household.parcels || []).forEach(function (parcel) {
          if (parcel.code === code) {
            parcel.status = "delivered";
            parcel.delivered_today = true;
          }
        });
      });
      return keepDay(day);
    });
  }

  /* The server's answer to a handover this page queued. */
  var pending = {};
  if (outbox() && outbox().on) {
    outbox().on("change", function (change) {
      (change.entries || []).forEach(function (entry) {
        var code = pending[entry.idempotency_key];
        if (!code || entry.state === "waiting") return;
        delete pending[entry.idempotency_key];
        if (entry.state === "ok" || entry.state === "duplicate") {
          show("ok", M.handed_over, code, "");
        } else if (entry.state !== "error") {
          show("bad", M.refused, code, entry.detail || "");
        }
      });
    });
  }

  /* ---------- a card looked up ---------- */
  function offlineParcels(household) {
    return (household.parcels || [])
      .filter(function (p) {
        return p.status !== "delivered" || p.delivered_today;
      })
      .map(function (p) {
        return {
          code: p.code,
          short_code: p.short_code,
          token: p.token,
          kits: p.kits,
          status: p.status,
          round: { name: p.round, verification: p.verification },
          actions: p.status === "dispatched" || p.status === "failed" ? ["deliver"] : [],
        };
      });
  }

  function offlineLookup(text) {
    return lookUpSaved(text).then(function (found) {
      if (found.problem) {
        panel.hidden = true;
        show("bad", M.card_refused, "", found.problem);
        return;
      }
      feedback.hidden = true;
      setCount(found.day.served, found.day.expected);
      render({
        card: text,
        household: found.household,
        parcels: offlineParcels(found.household),
        offline: true,
      });
    });
  }

  function lookup(text) {
    text = String(text || "").trim();
    if (!text) return;
    if (navigator.onLine === false) {
      offlineLookup(text);
      return;
    }
    getJson("/api/v1/cards/" + encodeURIComponent(text).replace(/%2F/gi, "/")).then(
      function (answer) {
        if (answer.status === 200) {
          feedback.hidden = true;
          render({
            card: text,
            household: answer.body.household,
            parcels: answer.body.parcels,
            offline: false,
          });
        } else if (answer.status >= 500) {
          offlineLookup(text);
        } else {
          panel.hidden = true;
          show("bad", M.card_refused, "", answer.body.detail || answer.body.title || "");
        }
      },
      function () {
        offlineLookup(text); // no network after all
      }
    );
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    lookup(input.value);
    input.value = "";
  });

  /* ---------- the camera ---------- */
  var camera = root.querySelector("[data-camera]");
  var scanner = window.kitlogScanner;
  if (camera && scanner && scanner.available().ok) {
    camera.hidden = false;
    var start = camera.querySelector("[data-camera-start]");
    var stop = camera.querySelector("[data-camera-stop]");
    var video = camera.querySelector("[data-camera-video]");
    var message = camera.querySelector("[data-camera-message]");
    start.addEventListener("click", function () {
      message.hidden = true;
      scanner
        .start(video, function (code) {
          lookup(code);
        })
        .then(
          function () {
            video.hidden = false;
            start.hidden = true;
            stop.hidden = false;
          },
          function (error) {
            message.textContent = error.message;
            message.hidden = false;
          }
        );
    });
    stop.addEventListener("click", function () {
      scanner.stop();
      video.hidden = true;
      start.hidden = false;
      stop.hidden = true;
    });
  }
})();
