// Draws the Insights charts (templates/tasks/insights.html) with Chart.js, served from
// static/vendor/chartjs, from the page's JSON data block. Each chart has a table beside it,
// so the page still says everything without JavaScript.
(function () {
  "use strict";

  function draw() {
    var block = document.getElementById("insights-data");
    if (!block || typeof window.Chart === "undefined") return;
    var data = JSON.parse(block.textContent);
    var Chart = window.Chart;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.maintainAspectRatio = false;
    var blue = "#1f47b0", green = "#146c3f", amber = "#8a5300", red = "#c62828", grey = "#5b6472";

    new Chart(document.getElementById("chart-days"), {
      data: {
        labels: data.days,
        datasets: [
          { type: "bar", label: "Tasks finished", data: data.tasks_per_day, backgroundColor: blue, yAxisID: "tasks" },
          { type: "line", label: "Cost (USD)", data: data.cost_per_day, borderColor: amber, backgroundColor: amber, yAxisID: "cost", tension: 0.2 }
        ]
      },
      options: {
        scales: {
          tasks: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
          cost: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
        }
      }
    });

    new Chart(document.getElementById("chart-outcomes"), {
      type: "doughnut",
      data: {
        labels: data.outcomes.labels,
        datasets: [{ data: data.outcomes.values, backgroundColor: [green, blue, "#a2420d", amber, "#d4a017", red, grey] }]
      },
      options: { plugins: { legend: { position: "right" } } }
    });

    var hours = [];
    for (var h = 0; h < 24; h++) hours.push(String(h).padStart(2, "0") + ":00");
    new Chart(document.getElementById("chart-hours"), {
      type: "bar",
      data: { labels: hours, datasets: [{ label: "Tasks started", data: data.per_hour, backgroundColor: blue }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } }
    });

    new Chart(document.getElementById("chart-approvals"), {
      type: "bar",
      data: {
        labels: data.approvals.labels,
        datasets: [{ label: "Approvals", data: data.approvals.values, backgroundColor: [green, red, grey] }]
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } }
    });
    document.documentElement.setAttribute("data-insights-drawn", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
