/* kitlog administrator's dashboard (templates/main/dashboard_admin.html).
 *
 * Without this file the page shows the day as it stood when it was loaded. With it, the
 * day's figures are asked for again every data-poll-seconds (30 s) and updated in place.
 * A poll that fails (no connection, the server restarting) changes nothing but the line
 * that says when the figures were last brought up to date; the next poll tries again.
 * Rounds or manifests that appear or leave are not drawn here: a link offers a reload.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-day-url]");
  if (!root || !window.fetch) return;

  var status = root.querySelector("[data-day-status]");
  var reload = root.querySelector("[data-day-reload]");
  // The page's words, in its language: "{time}" stands for the time of the last refresh.
  var text = {
    updated: status.getAttribute("data-text-updated"),
    stale: status.getAttribute("data-text-stale"),
  };
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var lastUpdated = status.getAttribute("data-updated") || "";
  var timer = null;

  function seconds() {
    var value = parseFloat(root.getAttribute("data-poll-seconds"));
    return value > 0 ? value : 30;
  }

  function set(key, value) {
    var el = root.querySelector('[data-day="' + key + '"]');
    if (el) el.textContent = numbers.format(value);
    return !!el;
  }

  function shown(prefix) {
    var ids = {};
    root.querySelectorAll('[data-day^="' + prefix + '-"]').forEach(function (el) {
      ids[el.getAttribute("data-day").split("-")[1]] = true;
    });
    return Object.keys(ids).sort().join(",");
  }

  function ids(rows) {
    return rows.map(function (row) { return String(row.id); }).sort().join(",");
  }

  function apply(day) {
    Object.keys(day.totals || {}).forEach(function (key) {
      set(key, day.totals[key]);
    });
    (day.rounds || []).forEach(function (r) {
      ["delivered_today", "parcels", "delivered", "follow_ups", "flagged"].forEach(function (f) {
        set("round-" + r.id + "-" + f, r[f]);
      });
    });
    (day.failures || []).forEach(function (f) {
      set("failure-" + f.reason, f.count);
    });
    (day.manifests || []).forEach(function (m) {
      ["in_transit", "delivered", "failed"].forEach(function (f) {
        set("manifest-" + m.id + "-" + f, m[f]);
      });
    });
    var changed =
      shown("round") !== ids(day.rounds || []) || shown("manifest") !== ids(day.manifests || []);
    if (reload) reload.hidden = !changed;
    lastUpdated = day.updated_at;
    status.textContent = (text.updated || "{time}").replace("{time}", lastUpdated);
    status.classList.remove("is-stale");
  }

  function failed() {
    status.textContent = (text.stale || "{time}").replace("{time}", lastUpdated);
    status.classList.add("is-stale");
  }

  function poll() {
    clearTimeout(timer);
    fetch(root.getAttribute("data-day-url"), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) throw new Error("poll");
        return response.json();
      })
      .then(apply, failed)
      .then(schedule);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, seconds() * 1000);
  }

  // A phone left in a pocket stops its timers: catch up as soon as the page is seen again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
  });
  schedule();
})();
