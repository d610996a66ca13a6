// One layer's page (/layers/{name}): a table sorted, searched and paged on the server
// (/layers/{name}/rows), and a map of the page's features; clicking a row finds it.
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("layer-data").textContent);
  var W = boot.labels;
  var base = "/layers/" + encodeURIComponent(boot.name) + "/rows";
  var state = { q: "", sort: null, desc: false, offset: 0, limit: 50, matched: 0, ready: false };
  window.mzgisLayer = state;
  var map = L.map("layer-map", { zoomSnap: 0.25 });
  var drawn = L.featureGroup().addTo(map);
  var byIndex = [];

  var P = window.mzgisPage, el = P.el, t = P.labels(W);
  function $(id) { return document.getElementById(id); }
  function cell(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function header(columns) {
    var row = el("tr");
    columns.forEach(function (c) {
      var th = el("th", { scope: "col", class: c.type === "number" ? "num" : "" });
      if (state.sort === c.name) th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
      var b = el("button", { type: "button", class: "sort", title: t("sort_by"), "data-column": c.name }, c.label);
      b.addEventListener("click", function () {
        state.desc = state.sort === c.name ? !state.desc : false;
        state.sort = c.name;
        state.offset = 0;
        load();
      });
      th.appendChild(b);
      row.appendChild(th);
    });
    var head = $("rows").querySelector("thead");
    head.textContent = "";
    head.appendChild(row);
  }

  function draw(features) {
    drawn.clearLayers();
    byIndex = [];
    features.features.forEach(function (f) {
      var layer = L.geoJSON(f, {
        style: { color: "#1d5fa8", weight: 2, fillOpacity: 0.25 },
        pointToLayer: function (_, ll) { return L.circleMarker(ll, { radius: 6, color: "#1d5fa8", fillOpacity: 0.8 }); },
      });
      layer.addTo(drawn);
      byIndex.push(layer);
    });
    if (byIndex.length) map.fitBounds(drawn.getBounds(), { maxZoom: 16, padding: [10, 10] });
  }

  function body(columns, rows) {
    var tbody = $("rows").querySelector("tbody");
    tbody.textContent = "";
    if (!rows.length) {
      var tr = el("tr"); tr.appendChild(el("td", { colspan: String(columns.length) }, t("no_rows")));
      tbody.appendChild(tr);
      return;
    }
    rows.forEach(function (r, i) {
      var tr = el("tr", { "data-index": String(i), tabindex: "0" });
      columns.forEach(function (c) { tr.appendChild(el("td", { class: c.type === "number" ? "num" : "" }, cell(r[c.name]))); });
      function focus() {
        Array.prototype.forEach.call(tbody.children, function (x) { x.classList.remove("current"); });
        tr.classList.add("current");
        var layer = byIndex[i];
        if (layer) map.fitBounds(layer.getBounds(), { maxZoom: 17 });
        if (boot.edit) editor.open(String(r[boot.edit.id_field]));
      }
      tr.addEventListener("click", focus);
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter") focus(); });
      tbody.appendChild(tr);
    });
  }

  function load() {
    var params = new URLSearchParams({ q: state.q, offset: state.offset, limit: state.limit });
    if (state.sort) { params.set("sort", state.sort); params.set("desc", state.desc); }
    return fetch(base + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (answer) {
        if (!answer.ok) { $("count").textContent = t("error") + (answer.data.detail || ""); return; }
        var d = answer.data;
        state.matched = d.matched;
        header(d.columns);
        body(d.columns, d.rows);
        if (!map._loaded) map.setView([39.91, 116.39], 12);
        draw(d.features);
        var a = d.matched ? d.offset + 1 : 0, b = d.offset + d.rows.length;
        $("count").textContent = t("rows_of", { a: a, b: b, n: d.matched }) +
          (d.matched !== d.total ? t("matching", { n: d.total }) : "");
        $("prev").disabled = d.offset === 0;
        $("next").disabled = b >= d.matched;
        state.ready = true;
      });
  }

  var editor = boot.edit ? window.mzgisFeatureEditor(boot, map, function () { return load(); }) : null;

  $("prev").addEventListener("click", function () { state.offset = Math.max(0, state.offset - state.limit); load(); });
  $("next").addEventListener("click", function () { state.offset += state.limit; load(); });
  var timer = null;
  $("search").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = $("search").value; state.offset = 0; load(); }, 250);
  });
  $("search-form").addEventListener("submit", function (e) { e.preventDefault(); });
  load();
})();
