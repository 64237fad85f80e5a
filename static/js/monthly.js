/* Monthly report charts. The figures come from a JSON block written by the server
   (never user text inlined into script); ECharts is served from static/vendor. */
(function () {
  "use strict";
  var charts = [];

  function build(id, option) {
    var box = document.getElementById(id);
    if (!box || !window.echarts) { return; }
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  function resizeAll() { charts.forEach(function (chart) { chart.resize(); }); }

  function start() {
    var source = document.getElementById("monthly-chart-data");
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    var noAnimation = { animation: false };  /* print the final picture, not a frame of it */

    build("chart-categories", Object.assign({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories,
               axisLabel: { interval: 0, rotate: data.categories.length > 5 ? 30 : 0,
                            width: 110, overflow: "truncate" } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: labels.received, type: "bar", data: data.received, itemStyle: { color: "#0d6efd" } },
        { name: labels.resolved, type: "bar", data: data.resolved, itemStyle: { color: "#198754" } }
      ]
    }, noAnimation));

    build("chart-satisfaction", Object.assign({
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      color: ["#198754", "#dc3545", "#adb5bd"],
      series: [{ type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
                 label: { formatter: "{b}: {c}" }, data: data.satisfaction }]
    }, noAnimation));

    build("chart-stages", Object.assign({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 16, right: 24, top: 56, bottom: 32, containLabel: true },
      xAxis: { type: "value", name: labels.hours, nameLocation: "middle", nameGap: 24 },
      yAxis: { type: "category", data: data.stage_rows, inverse: true,
               axisLabel: { width: 160, overflow: "truncate" } },
      series: data.stage_names.map(function (name, index) {
        return { name: name, type: "bar", stack: "stages", data: data.stage_hours[index] };
      })
    }, noAnimation));

    window.addEventListener("resize", resizeAll);
    if (window.matchMedia) {
      window.matchMedia("print").addEventListener("change", resizeAll);
    }
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
