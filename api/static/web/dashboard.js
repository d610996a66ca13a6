// The coverage dashboard's charts (ECharts, on canvas) from the figures in the page's JSON
// block. window.mzgisDashboard tells what each chart shows (names and values), for checks.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  // the coverage dashboard has streets, distance and gaps; the zones dashboard stations
  var t = window.mzgisPage.labels(JSON.parse(document.getElementById("labels").textContent));
  var COLORS = ["#9ecae1", "#4292c6", "#08519c", "#6a51a3"];
  var charts = {};
  var shown = {};

  function draw(id, option, summary) {
    var box = document.getElementById(id);
    if (!box) return;
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(Object.assign({ animation: false, color: COLORS }, option));
    charts[id] = chart;
    shown[id] = summary;
  }

  function pct(v) { return Math.round(v * 1000) / 10; }

  function streets() {
    var names = data.streets.map(function (s) { return s.name; });
    var series = data.tiers.map(function (tier) {
      return {
        name: t("covered_within", { tier: tier.tier }), type: "bar",
        data: data.streets.map(function (s) { return pct(s.shares[tier.tier]); }),
      };
    });
    draw("chart-streets", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      legend: { top: 0 },
      grid: { left: 110, right: 24, top: 32, bottom: 24 },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: names, axisLabel: { fontSize: 11 } },
      series: series,
    }, { names: names, series: series.map(function (s) { return s.data; }) });
  }

  function distance() {
    var d = data.distance, bins = [];
    for (var m = 0; m < d.top_m; m += d.bin_m) bins.push(m + "–" + (m + d.bin_m));
    bins[bins.length - 1] = "≥" + (d.top_m - d.bin_m);
    var modes = Object.keys(d.counts);
    var series = modes.map(function (mode) {
      return { name: mode === "euclidean" ? t("straight") : t("walking"), type: "bar", data: d.counts[mode] };
    });
    draw("chart-distance", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 56 },
      xAxis: { type: "category", data: bins, name: t("metres"), axisLabel: { rotate: 45, fontSize: 10 } },
      yAxis: { type: "value", name: t("communities"), minInterval: 1 },
      series: series,
    }, { bins: bins, series: series.map(function (s) { return s.data; }) });
  }

  function gaps() {
    var rows = data.gaps.slice().reverse();
    var names = rows.map(function (g) { return g.name; });
    var values = rows.map(function (g) { return g.uncovered; });
    draw("chart-gaps", {
      tooltip: { trigger: "axis" },
      grid: { left: 140, right: 24, top: 16, bottom: 24 },
      xAxis: { type: "value", name: t("people"), minInterval: 1 },
      yAxis: { type: "category", data: names, axisLabel: { fontSize: 11 } },
      series: [{ name: t("uncovered"), type: "bar", data: values, itemStyle: { color: "#d73027" } }],
    }, { names: names, series: [values] });
  }

  /* each station's workload as a bar, its band as a range behind it */
  function workload() {
    var rows = data.stations;
    var names = rows.map(function (s) { return s.name; });
    var values = rows.map(function (s) { return Math.round(s.workload); });
    var colour = { ok: "#4292c6", over: "#d73027", under: "#fdae61" };
    draw("chart-workload", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 56, right: 16, top: 32, bottom: 96 },
      dataZoom: rows.length > 40 ? [{ type: "slider", bottom: 8 }, { type: "inside" }] : [],
      xAxis: { type: "category", data: names, axisLabel: { rotate: 60, fontSize: 10 } },
      yAxis: { type: "value", name: t("workload") },
      series: [
        { name: t("band"), type: "bar", barGap: "-100%", silent: true, itemStyle: { color: "#e0e0e0" },
          data: rows.map(function (s) { return Math.round(s.upper); }) },
        { name: t("band"), type: "bar", silent: true, itemStyle: { color: "#ffffff" }, barGap: "-100%",
          data: rows.map(function (s) { return Math.round(s.lower); }) },
        { name: t("workload"), type: "bar", barWidth: "40%", barGap: "-70%",
          data: rows.map(function (s) { return { value: Math.round(s.workload), itemStyle: { color: colour[s.band] || "#888" } }; }) },
      ],
    }, { names: names, series: [values] });
  }

  if (data.streets) { streets(); distance(); gaps(); }
  if (data.stations) workload();
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
  window.addEventListener("beforeprint", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
  var printButton = document.getElementById("print-button");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
  window.mzgisDashboard = { charts: shown, ready: true };
})();
