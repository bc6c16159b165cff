/* kitlog: the donor report's chart of deliveries over time against the target.
   Drawn with the vendored Chart.js from the JSON block #report-chart-data; without
   JavaScript (or without Chart.js) the page keeps its day-by-day table instead. */
(function () {
  "use strict";

  function readData() {
    var block = document.getElementById("report-chart-data");
    if (!block) return null;
    try {
      return JSON.parse(block.textContent);
    } catch (error) {
      return null;
    }
  }

  function dayLabel(iso, locale) {
    // An ISO date is a calendar day: build it at local noon so no time zone moves it.
    var parts = iso.split("-").map(Number);
    var day = new Date(parts[0], parts[1] - 1, parts[2], 12);
    try {
      return day.toLocaleDateString(locale, { day: "numeric", month: "short" });
    } catch (error) {
      return iso;
    }
  }

  function draw() {
    var data = readData();
    var figure = document.querySelector("[data-report-chart]");
    var canvas = document.getElementById("report-chart");
    if (!data || !figure || !canvas || typeof window.Chart !== "function") return;
    var locale = data.locale || document.documentElement.lang || "id";
    var styles = getComputedStyle(document.documentElement);
    var accent = styles.getPropertyValue("--brand").trim() || "#0a4f8f";
    var ink = styles.getPropertyValue("--ink-soft").trim() || "#4a5560";
    figure.hidden = false;
    var chart = new window.Chart(canvas, {
      data: {
        labels: data.labels.map(function (iso) {
          return dayLabel(iso, locale);
        }),
        datasets: [
          {
            type: "bar",
            label: data.names.delivered,
            data: data.delivered,
            backgroundColor: "rgba(23, 107, 56, 0.55)",
            yAxisID: "y",
            order: 3,
          },
          {
            type: "line",
            label: data.names.cumulative,
            data: data.cumulative,
            borderColor: accent,
            backgroundColor: accent,
            borderWidth: 2,
            pointRadius: 2,
            tension: 0,
            yAxisID: "y",
            order: 2,
          },
          {
            type: "line",
            label: data.names.target,
            data: data.labels.map(function () {
              return data.target;
            }),
            borderColor: styles.getPropertyValue("--danger").trim() || "#a3201a",
            borderDash: [6, 4],
            borderWidth: 2,
            pointRadius: 0,
            yAxisID: "y",
            order: 1,
          },
        ],
      },
      options: {
        locale: locale,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14, color: ink } },
        },
        scales: {
          x: { ticks: { color: ink, maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, ticks: { color: ink, precision: 0 } },
        },
      },
    });
    canvas.setAttribute("data-drawn", "yes");
    window.kitlogReportChart = chart; // for the browser test: the chart really exists
    // With the chart drawn, the day-by-day table folds away (it stays one tap away).
    var days = document.querySelector("[data-report-days]");
    if (days) days.open = false;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
