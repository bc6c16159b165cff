/* kitlog scan station (templates/scan/station.html).
 *
 * Without this file the station is a plain form: each scan POSTs to /scan/ and the page
 * comes back with the result. With it, a scan goes into the outbox (outbox.js), the input
 * clears and keeps its focus at once, and the result shows when the server has answered:
 * offline, the scan waits on the device and the page says so.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-station]");
  var outbox = window.kitlogOutbox;
  var parcelActions = window.kitlogParcelActions;
  if (!root || !outbox || !parcelActions) return;

  var SINCE_KEY = "kitlog-station-since";
  var form = root.querySelector("[data-station-form]");
  var input = form.querySelector("[data-station-code]");
  var manifestField = root.querySelector("[data-station-manifest]");
  var manifestSelect = root.querySelector("[data-station-manifest-select]");
  var panel = root.querySelector("[data-feedback]");
  var list = root.querySelector("[data-recent]");
  var empty = root.querySelector("[data-recent-empty]");
  var countEl = root.querySelector("[data-accepted-count]");
  var readJson = parcelActions.readJson;
  var text = readJson("[data-station-strings]");
  // The table of parcel actions (parcel_actions.js): which the station offers, what a
  // scan of each must name, and the words for them.
  var table = parcelActions.at("station");
  var ACTIONS = table.byName;
  var MODES = table.names;
  var lastKey = null;
  var announced = {};
  var audio = null;

  function since() {
    var value = null;
    try {
      value = window.sessionStorage.getItem(SINCE_KEY);
      if (!value) {
        value = String(Date.now());
        window.sessionStorage.setItem(SINCE_KEY, value);
      }
    } catch (ignored) {
      value = value || String(Date.now());
    }
    return parseInt(value, 10);
  }
  var sessionStart = since();

  function language() {
    return document.documentElement.lang || "id";
  }

  function mode() {
    var checked = form.querySelector("[data-station-mode]:checked");
    return checked ? checked.value : "pack";
  }

  function manifestLabel(id) {
    if (!manifestSelect || !id) return "";
    var option = manifestSelect.querySelector('option[value="' + String(id).replace(/"/g, "") + '"]');
    return option ? option.textContent.split(" · ")[0] : String(id);
  }

  function showManifest() {
    if (manifestField) manifestField.hidden = !namesManifest(mode());
  }

  // --- sound and vibration -------------------------------------------------------------

  function beep(kind) {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context) {
      try {
        audio = audio || new Context();
        if (audio.state === "suspended") audio.resume();
        var tones =
          kind === "ok" ? [[1046, 0, 0.12]] :
          kind === "wait" ? [[660, 0, 0.1]] :
          [[220, 0, 0.18], [196, 0.24, 0.22]];
        tones.forEach(function (tone) {
          var start = audio.currentTime + tone[1];
          var osc = audio.createOscillator();
          var gain = audio.createGain();
          osc.type = kind === "bad" ? "square" : "sine";
          osc.frequency.value = tone[0];
          gain.gain.setValueAtTime(0.0001, start);
          gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
          gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[2]);
          osc.connect(gain).connect(audio.destination);
          osc.start(start);
          osc.stop(start + tone[2] + 0.02);
        });
      } catch (ignored) {
        /* no sound: the panel still shows */
      }
    }
    if (navigator.vibrate) {
      try {
        navigator.vibrate(kind === "ok" ? 80 : kind === "wait" ? 40 : [200, 100, 200]);
      } catch (ignored) {
        /* not allowed before a gesture */
      }
    }
  }

  // --- what a scan became ----------------------------------------------------------------

  function tone(state) {
    if (state === "ok" || state === "duplicate") return "ok";
    if (state === "waiting") return "wait";
    return "bad";
  }

  function shownCode(entry) {
    return (entry.parcel && entry.parcel.code) || entry.code;
  }

  function words(action) {
    return (ACTIONS[action] || {}).words || {};
  }

  function namesManifest(action) {
    return ((ACTIONS[action] || {}).requires || []).indexOf("manifest") !== -1;
  }

  function title(entry) {
    if (entry.state === "ok") {
      var done = words(entry.action).done || entry.action;
      return namesManifest(entry.action) && entry.manifest ? done + " " + manifestLabel(entry.manifest) : done;
    }
    return (text.titles || {})[entry.state] || entry.state;
  }

  function showPanel(kind, heading, code, detail) {
    panel.className = "station-feedback feedback-" + kind;
    panel.querySelector("[data-feedback-title]").textContent = heading;
    panel.querySelector("[data-feedback-code]").textContent = code || "";
    panel.querySelector("[data-feedback-detail]").textContent = detail || "";
    panel.hidden = false;
    panel.setAttribute("data-state", kind);
  }

  function showEntry(entry, sending) {
    if (entry.state === "waiting") {
      if (sending) {
        showPanel("wait", text.sending || "…", shownCode(entry), "");
      } else {
        showPanel("wait", title(entry), shownCode(entry), text.waiting_detail || "");
      }
    } else {
      showPanel(tone(entry.state), title(entry), shownCode(entry), entry.detail || "");
    }
    panel.setAttribute("data-outcome", entry.state);
  }

  function announce(entry) {
    // One sound per scan and state: "saved offline" once, then its answer once.
    var mark = entry.idempotency_key + ":" + entry.state;
    if (announced[mark]) return;
    announced[mark] = true;
    beep(tone(entry.state));
  }

  function formatTime(ms) {
    try {
      return new Date(ms).toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" });
    } catch (ignored) {
      return new Date(ms).toTimeString().slice(0, 5);
    }
  }

  function item(entry) {
    var li = document.createElement("li");
    li.className = "recent-item recent-" + tone(entry.state);
    li.setAttribute("data-state", entry.state);
    var parts = [
      ["recent-code", shownCode(entry)],
      ["recent-state", (text.states || {})[entry.state] || entry.state],
      [
        "recent-meta",
        [words(entry.action).short || entry.action, manifestLabel(entry.manifest), formatTime(entry.added_at)]
          .filter(Boolean)
          .join(" · "),
      ],
    ];
    if (entry.detail && entry.state !== "ok") parts.push(["recent-detail", entry.detail]);
    parts.forEach(function (part) {
      var span = document.createElement("span");
      span.className = part[0];
      span.textContent = part[1];
      li.appendChild(span);
    });
    return li;
  }

  function refresh() {
    return outbox.recent(500).then(function (entries) {
      var station = entries.filter(function (e) {
        return MODES.indexOf(e.action) !== -1;
      });
      var accepted = station.filter(function (e) {
        return e.added_at >= sessionStart && (e.state === "ok" || e.state === "duplicate");
      }).length;
      try {
        countEl.textContent = new Intl.NumberFormat(language()).format(accepted);
      } catch (ignored) {
        countEl.textContent = String(accepted);
      }
      countEl.setAttribute("data-count", String(accepted));
      if (station.length) {
        list.textContent = "";
        station.slice(0, 20).forEach(function (entry) {
          list.appendChild(item(entry));
        });
        empty.hidden = true;
      }
      return station;
    });
  }

  function record(code) {
    var action = mode();
    var manifest = manifestSelect ? manifestSelect.value : "";
    if (namesManifest(action) && !manifest) {
      showPanel("bad", text.choose_manifest || "", code, "");
      beep("bad");
      if (manifestSelect) manifestSelect.focus();
      return Promise.resolve(null);
    }
    var scan = { code: code, action: action };
    if (namesManifest(action)) scan.manifest = manifest;
    return outbox.add(scan).then(function (entry) {
      lastKey = entry.idempotency_key;
      showEntry(entry, navigator.onLine !== false);
      refresh();
      return entry;
    });
  }

  // The outbox changed (a sync answered, another tab scanned): show the latest scan's fate.
  outbox.on("change", function (info) {
    refresh();
    if (!lastKey || info.reason === "add") return;
    outbox.get(lastKey).then(function (entry) {
      if (!entry) return;
      if (entry.state === "waiting" && info.reason !== "sync" && info.reason !== "offline") return;
      showEntry(entry, false);
      announce(entry);
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) return;
    record(code);
  });

  form.querySelectorAll("[data-station-mode]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      showManifest();
      input.focus();
    });
  });
  if (manifestSelect) {
    manifestSelect.addEventListener("change", function () {
      input.focus();
    });
  }
  showManifest();

  // --- camera and photo ------------------------------------------------------------------

  function camera() {
    var section = root.querySelector("[data-camera]");
    var scanner = window.kitlogScanner;
    if (!section || !scanner) return;
    var startButton = section.querySelector("[data-camera-start]");
    var stopButton = section.querySelector("[data-camera-stop]");
    var video = section.querySelector("[data-camera-video]");
    var photo = section.querySelector("[data-photo]");
    var message = section.querySelector("[data-camera-message]");
    var scannerText = readJson("[data-scanner-strings]");
    section.hidden = false;

    function say(words) {
      message.textContent = words || "";
      message.hidden = !words;
    }

    function stopped() {
      startButton.hidden = false;
      stopButton.hidden = true;
      video.hidden = true;
    }

    var check = scanner.available();
    if (!check.ok) {
      startButton.disabled = true;
      say(scannerText[check.reason] || check.reason);
    }

    startButton.addEventListener("click", function () {
      say("");
      startButton.disabled = true;
      video.hidden = false;
      scanner
        .start(video, function (code) {
          record(code);
        })
        .then(
          function () {
            startButton.hidden = true;
            startButton.disabled = false;
            stopButton.hidden = false;
          },
          function (error) {
            startButton.disabled = false;
            stopped();
            say(error.message);
          }
        );
    });
    stopButton.addEventListener("click", function () {
      scanner.stop();
      stopped();
      input.focus();
    });
    video.addEventListener("kitlog:camera-stopped", stopped);

    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      if (!file) return;
      say("");
      scanner
        .decodeFile(file)
        .then(
          function (code) {
            if (code) {
              record(code);
            } else {
              say(text.nothing_found || scannerText.nothing_found);
            }
          },
          function (error) {
            say(error.message);
          }
        )
        .then(function () {
          photo.value = "";
        });
    });
  }

  camera();
  refresh();
})();
