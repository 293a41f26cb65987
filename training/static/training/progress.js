/* Programme progress chart: horizontal stacked bars from the json_script named by the canvas's
   data-training-chart attribute (labels, datasets of {key, label, data}). No inline scripts. */
(function () {
  "use strict";

  var COLOURS = { completed: "#6aa84f", in_progress: "#f6b26b", not_started: "#cccccc" };

  function draw() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    document.querySelectorAll("canvas[data-training-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.trainingChart);
      if (!source || canvas.dataset.drawn) {
        return;
      }
      var data = JSON.parse(source.textContent);
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.datasets.map(function (set) {
            return { label: set.label, data: set.data, backgroundColor: COLOURS[set.key], borderRadius: 3 };
          }),
        },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { position: "bottom" } },
          scales: {
            x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
            y: { stacked: true, grid: { display: false } },
          },
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
