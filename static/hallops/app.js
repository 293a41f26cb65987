/* HallOps pages. Loaded from the app's static files; templates carry no inline script. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      return meta.content;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // htmx requests carry Django's CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  var PALETTE = { A: "#0b5394", B: "#6fa8dc" };
  var FALLBACK = ["#0b5394", "#6fa8dc", "#f6b26b", "#93c47d", "#e06666", "#8e7cc3"];

  // Charts read their data from a json_script tag named by data-chart on the canvas: labels and
  // datasets, bars stacked unless the data says "stacked": false (side-by-side bars with decimals).
  function drawCharts(root) {
    if (typeof window.Chart === "undefined") {
      return;
    }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) {
        return;
      }
      var data = JSON.parse(source.textContent);
      var stacked = data.stacked !== false;
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.datasets.map(function (set, index) {
            return {
              label: set.label,
              data: set.data,
              backgroundColor: PALETTE[set.key] || FALLBACK[index % FALLBACK.length],
              borderRadius: 3,
            };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { position: "bottom" } },
          scales: {
            x: { stacked: stacked, grid: { display: false } },
            y: { stacked: stacked, beginAtZero: true, ticks: stacked ? { precision: 0 } : {} },
          },
        },
      });
    });
  }

  // SLA countdowns: the server renders each one (due time in data-due, due-soon window in minutes
  // in data-due-soon) and the wording in the "countdown-labels" json_script, with its own clock
  // so a wrong phone clock does not move deadlines. Every second the text and data-state
  // (on_track / due_soon / overdue) follow; elements swapped in by htmx are picked up as well.
  var countdown = null;

  function startCountdowns() {
    var source = document.getElementById("countdown-labels");
    if (!source) {
      return;
    }
    var labels = JSON.parse(source.textContent);
    countdown = { labels: labels, offset: Date.parse(labels.now) - Date.now() };
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
  }

  function pad(value) {
    return value < 10 ? "0" + value : String(value);
  }

  function formatDuration(seconds) {
    seconds = Math.abs(seconds);
    var days = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return days ? countdown.labels.day.replace("{n}", days) + " " + clock : clock;
  }

  function tickCountdowns() {
    var now = Date.now() + countdown.offset;
    document.querySelectorAll(".countdown[data-due]").forEach(function (element) {
      var remaining = Math.ceil((Date.parse(element.dataset.due) - now) / 1000);
      var dueSoon = parseInt(element.dataset.dueSoon, 10) * 60;
      var state = remaining <= 0 ? "overdue" : remaining <= dueSoon ? "due_soon" : "on_track";
      var label = remaining <= 0 ? countdown.labels.overdue : countdown.labels.left;
      element.textContent = label.replace("{time}", formatDuration(remaining));
      element.dataset.state = state;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    startCountdowns();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    drawCharts(event.target);
  });
})();
