// The zones editor (/zones): choose or solve a plan, find a community, move or lock it,
// preview the edit (what changes and why, stations against their band), confirm, save with
// If-Match; a 412 reloads the plan, lists the other person's changes and keeps the edit.
// Every text reaches the page through textContent (never innerHTML): names are data.
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("zones-data").textContent);
  var W = boot.labels;
  var planId = boot.plan_id;
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"];
  var state = {
    version: null, meta: null, rows: {}, units: {}, stations: {}, streets: {},
    districts: [], layers: {}, selected: null, pending: null, workload: {}, map: null,
  };
  window.mzgisZones = state; // for tests and the curious

  var P = window.mzgisPage, el = P.el, clear = P.clear, api = P.request, t = P.labels(W);
  function $(id) { return document.getElementById(id); }
  function status(text, bad) { P.status($("status"), text, bad); }
  function fail(answer) {
    var detail = answer.body && answer.body.detail;
    status(t("error") + (typeof detail === "string" ? detail : "HTTP " + answer.status), true);
  }
  function unitLabel(code) {
    var u = state.units[code];
    return u && u.name ? u.name + P.paren(code) : String(code);
  }
  function stationLabel(id) {
    if (!id) return "—";
    var s = state.stations[id];
    return s && s.name ? s.name + P.paren(id) : String(id);
  }
  function bandText(band) { return t("band_" + band); }
  function num(v) { return v === null || v === undefined ? "—" : Math.round(v * 10) / 10; }

  // -- solving a new plan -----------------------------------------------------------------
  var solveForm = $("solve-form");
  solveForm.addEventListener("submit", function (event) {
    event.preventDefault();
    status(t("solving"));
    var body = { mode: $("solve-mode").value, band: Number($("solve-band").value) / 100 };
    api("POST", "/analyses/zones", body).then(function (answer) {
      if (answer.status !== 200) return fail(answer);
      if (!answer.body.plan_id) return fail({ status: 403, body: {} });  // answered unsaved
      window.location.assign("/zones?plan=" + encodeURIComponent(answer.body.plan_id));
    });
  });
  if (!planId) return;

  // -- the plan and its context -----------------------------------------------------------
  var planUrl = "/analyses/zones/" + encodeURIComponent(planId);

  function loadPlan() {
    return Promise.all([api("GET", planUrl), api("GET", planUrl + "/report")]).then(function (got) {
      var plan = got[0], report = got[1];
      if (plan.status !== 200) { fail(plan); throw new Error("plan"); }
      state.version = plan.body.version;
      state.meta = plan.body;
      state.rows = {};
      plan.body.assignment.forEach(function (r) { state.rows[String(r.unit_id)] = r; });
      state.workload = {};
      (report.body.workload || []).forEach(function (w) { state.workload[w.station_id] = w; });
      restyle();
      return plan.body;
    });
  }

  function colorOf(stationId) {
    var s = state.stations[stationId];
    return s ? PALETTE[s.index % PALETTE.length] : "#999";
  }

  function styleOf(code) {
    var row = state.rows[code] || {};
    var street = $("f-street").value;
    var dim = street && state.units[code] && state.units[code].street !== street;
    var chosen = code === state.selected;
    return {
      color: chosen ? "#f0a500" : row.locked ? "#4a148c" : "#ffffff",
      weight: chosen ? 4 : row.locked ? 3 : 1,
      dashArray: row.locked && !chosen ? "5 4" : null,
      fillColor: colorOf(row.station_id),
      fillOpacity: dim ? 0.12 : 0.55,
    };
  }

  function restyle() {
    Object.keys(state.layers).forEach(function (code) { state.layers[code].setStyle(styleOf(code)); });
  }

  function buildMap(context) {
    var map = L.map("zones-map", { preferCanvas: false, zoomSnap: 0.25 });
    state.map = map;
    var group = L.geoJSON(context.units, {
      style: function (f) { return styleOf(String(f.properties.code)); },
      onEachFeature: function (feature, layer) {
        var code = String(feature.properties.code);
        state.layers[code] = layer;
        layer.on("click", function () { select(code); });
      },
    });
    map.fitBounds(group.getBounds()); // a view first: Leaflet draws paths only on a map with one
    group.addTo(map);
    context.stations.forEach(function (s) {
      L.circleMarker([s.lat, s.lon], { radius: 5, color: "#222", weight: 1.5, fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(s.name + P.paren(s.id)).addTo(map);
    });
    state.group = group;
  }

  function fillFilters(context) {
    var district = $("f-district"), street = $("f-street");
    context.districts.forEach(function (d) { district.appendChild(el("option", { value: d.code, text: d.name })); });
    function streets() {
      clear(street).appendChild(el("option", { value: "", text: t("all") }));
      context.streets.forEach(function (s) {
        if (!district.value || s.parent === district.value) street.appendChild(el("option", { value: s.code, text: s.name }));
      });
    }
    streets();
    district.addEventListener("change", function () { streets(); listUnits(); restyle(); });
    street.addEventListener("change", function () {
      listUnits(); restyle();
      var codes = Object.keys(state.units).filter(function (c) { return state.units[c].street === street.value; });
      if (codes.length) state.map.fitBounds(L.featureGroup(codes.map(function (c) { return state.layers[c]; })).getBounds());
    });
    $("f-search").addEventListener("input", listUnits);
  }

  function listUnits() {
    var list = clear($("unit-list"));
    var q = $("f-search").value.trim().toLowerCase();
    var district = $("f-district").value, street = $("f-street").value;
    var found = Object.keys(state.units).filter(function (code) {
      var u = state.units[code];
      if (street && u.street !== street) return false;
      if (district && !street && (state.streets[u.street] || {}).parent !== district) return false;
      return !q || code.toLowerCase().indexOf(q) >= 0 || (u.name || "").toLowerCase().indexOf(q) >= 0;
    });
    if (!found.length) { list.appendChild(el("li", { className: "hint", text: t("no_match") })); return; }
    found.slice(0, 60).forEach(function (code) {
      var b = el("button", { type: "button", "data-unit": code, "aria-pressed": String(code === state.selected) },
        [state.units[code].name || code, el("span", { className: "code", text: code })]);
      b.addEventListener("click", function () { select(code, true); });
      list.appendChild(el("li", {}, [b]));
    });
  }

  // -- one community: what it is, and the edit buttons ------------------------------------
  function select(code, zoom) {
    state.selected = code;
    restyle();
    if (zoom && state.layers[code]) state.map.fitBounds(state.layers[code].getBounds(), { maxZoom: 15 });
    Array.prototype.forEach.call(document.querySelectorAll("#unit-list button"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-unit") === code));
    });
    var row = state.rows[code] || {}, u = state.units[code] || {};
    var w = state.workload[row.station_id] || {};
    var panel = clear($("selection"));
    panel.appendChild(el("h3", { text: unitLabel(code) }));
    panel.appendChild(el("dl", {}, [
      el("dt", { text: t("street") }), el("dd", { text: (state.streets[u.street] || {}).name || u.street || "—" }),
      el("dt", { text: t("station") }), el("dd", { id: "sel-station", text: stationLabel(row.station_id) }),
      el("dt", { text: t("workload") }), el("dd", { text: String(num(row.workload)) }),
      el("dt", { text: t("walk") }), el("dd", { text: row.walk_m == null ? "—" : Math.round(row.walk_m) + " " + t("metres") }),
      el("dt", { text: t("station") + " " + t("workload") }),
      el("dd", { text: w.workload === undefined ? "—" : num(w.workload) + " / " + num(w.capacity) + P.paren(bandText(w.band)) }),
      el("dt", { text: t("locked") }), el("dd", { className: row.locked ? "locked-mark" : "", text: row.locked ? t("locked") : t("not_locked") }),
    ]));
    var target = el("select", { id: "move-target" });
    var same = el("optgroup", { label: t("same_street") }), other = el("optgroup", { label: t("other_streets") });
    Object.keys(state.stations).forEach(function (id) {
      if (id === row.station_id) return;
      var option = el("option", { value: id, text: stationLabel(id) });
      (state.stations[id].street === u.street ? same : other).appendChild(option);
    });
    target.appendChild(same); target.appendChild(other);
    var move = el("button", { type: "button", id: "move-button", className: "primary", text: t("move") });
    move.addEventListener("click", function () { preview({ moves: [{ unit: code, station: target.value }] }); });
    var lock = el("button", { type: "button", id: "lock-button", text: row.locked ? t("unlock") : t("lock") });
    lock.addEventListener("click", function () { preview(row.locked ? { unlocks: [code] } : { locks: [code] }); });
    panel.appendChild(el("div", { className: "move" }, [
      el("label", { for: "move-target", text: t("move_to") }), target,
      el("div", { className: "actions" }, [move, lock]),
    ]));
  }

  // -- preview, confirm, save -------------------------------------------------------------
  function send(edit, previewOnly) {
    var body = Object.assign({}, edit, { preview: previewOnly });
    return api("POST", planUrl + "/edits", body, { "If-Match": '"' + state.version + '"' });
  }

  function preview(edit) {
    state.pending = edit;
    status(t("loading"));
    send(edit, true).then(function (answer) {
      if (answer.status === 412) return conflict(edit);
      if (answer.status !== 200) return fail(answer);
      status("");
      showPreview(answer.body);
    });
  }

  function changeTable(changes) {
    var body = el("tbody");
    changes.forEach(function (c) {
      body.appendChild(el("tr", { "data-unit": c.unit }, [
        el("th", { scope: "row", text: unitLabel(c.unit) }),
        el("td", { text: stationLabel(c.from_station) }),
        el("td", { text: stationLabel(c.to_station) }),
        el("td", { text: t("reason_" + c.reason) }),
      ]));
    });
    return el("div", { className: "table-wrap" }, [el("table", { className: "data changes" }, [
      el("thead", {}, [el("tr", {}, [t("community"), t("from"), t("to"), t("reason")].map(function (h) {
        return el("th", { scope: "col", text: h });
      }))]), body])]);
  }

  function stationTable(rows) {
    var body = el("tbody");
    rows.forEach(function (s) {
      body.appendChild(el("tr", { "data-station": s.station_id }, [
        el("th", { scope: "row", text: stationLabel(s.station_id) }),
        el("td", { className: "num", text: String(num(s.capacity)) }),
        el("td", { className: "num", text: num(s.lower) + "–" + num(s.upper) }),
        el("td", { className: "num band-" + s.before.band, text: num(s.before.workload) + P.paren(bandText(s.before.band)) }),
        el("td", { className: "num band-" + s.after.band, text: num(s.after.workload) + P.paren(bandText(s.after.band)) }),
      ]));
    });
    return el("div", { className: "table-wrap" }, [el("table", { className: "data stations" }, [
      el("thead", {}, [el("tr", {}, [t("station"), t("capacity"), t("band"), t("before"), t("after")].map(function (h) {
        return el("th", { scope: "col", text: h });
      }))]), body])]);
  }

  function showPreview(answer) {
    var panel = clear($("preview"));
    panel.hidden = false;
    panel.appendChild(el("h3", { text: t("preview_title") }));
    if (answer.changes.length) {
      panel.appendChild(el("h4", { text: t("changes") }));
      panel.appendChild(changeTable(answer.changes));
    } else {
      panel.appendChild(el("p", { text: t("no_changes") }));
    }
    var locks = answer.locked.map(function (u) { return t("lock") + " " + unitLabel(u); })
      .concat(answer.unlocked.map(function (u) { return t("unlock") + " " + unitLabel(u); }));
    if (locks.length) panel.appendChild(el("p", { className: "locks", text: t("locks_change") + P.marks.colon + locks.join(P.marks.semi) }));
    if (answer.stations_touched.length) {
      panel.appendChild(el("h4", { text: t("stations_touched") }));
      panel.appendChild(stationTable(answer.stations_touched));
    }
    var save = el("button", { type: "button", id: "save-button", className: "primary", text: t("save") });
    if (answer.out_of_band) {
      var list = el("ul", {}, answer.band_warnings.map(function (w) {
        var s = answer.stations_touched.filter(function (r) { return r.station_id === w.station_id; })[0];
        return el("li", { text: stationLabel(w.station_id) + P.marks.colon + num(s.after.workload) + P.paren(bandText(w.band) + P.marks.comma + t("band") + " " + num(s.lower) + "–" + num(s.upper)) });
      }));
      panel.appendChild(el("div", { className: "alert band-warning", role: "alert" }, [el("p", { text: t("band_warning") }), list]));
      var box = el("input", { type: "checkbox", id: "confirm-band" });
      box.addEventListener("change", function () { save.disabled = !box.checked; });
      panel.appendChild(el("div", { className: "confirm" }, [box, el("label", { for: "confirm-band", text: t("confirm_band") })]));
      save.disabled = true;
    }
    var cancel = el("button", { type: "button", id: "cancel-button", text: t("cancel") });
    cancel.addEventListener("click", function () { state.pending = null; panel.hidden = true; });
    save.addEventListener("click", function () { commit(); });
    panel.appendChild(el("div", { className: "actions" }, [save, cancel]));
    panel.scrollIntoView({ block: "nearest" });
  }

  function commit() {
    var edit = state.pending;
    send(edit, false).then(function (answer) {
      if (answer.status === 412) return conflict(edit);
      if (answer.status !== 200) return fail(answer);
      state.pending = null;
      $("preview").hidden = true;
      $("conflict").hidden = true;
      loadPlan().then(function () {
        status(t("saved", { v: answer.body.version }));
        if (state.selected) select(state.selected);
        loadHistory();
      });
    });
  }

  function diff(before, after) {
    var out = [];
    Object.keys(after).forEach(function (u) {
      if (before[u] !== after[u]) out.push({ unit: u, from_station: before[u] || null, to_station: after[u] || null });
    });
    return out;
  }

  function assignmentOf(version) {
    return api("GET", planUrl + "/versions/" + version).then(function (a) {
      var map = {};
      (a.body.assignment || []).forEach(function (r) { map[String(r.unit_id)] = r.station_id; });
      return map;
    });
  }

  function conflict(edit) {
    var basedOn = state.version;
    var before = {};
    Object.keys(state.rows).forEach(function (u) { before[u] = state.rows[u].station_id; });
    $("preview").hidden = true;
    loadPlan().then(function (plan) {
      var now = {};
      Object.keys(state.rows).forEach(function (u) { now[u] = state.rows[u].station_id; });
      var theirs = diff(before, now);
      var panel = clear($("conflict"));
      panel.hidden = false;
      panel.appendChild(el("p", { className: "notice", role: "alert",
        text: t("conflict", { who: plan.updated_by, v: plan.version }) }));
      panel.appendChild(el("h4", { text: t("their_changes") + P.paren(t("version") + " " + basedOn + " → " + plan.version) }));
      panel.appendChild(theirs.length ? changeTable(theirs.map(function (c) { return Object.assign(c, { reason: "rebalance" }); }))
        : el("p", { text: t("no_changes") }));
      var again = el("button", { type: "button", id: "reapply-button", className: "primary", text: t("reapply") });
      again.addEventListener("click", function () { panel.hidden = true; preview(edit); });
      panel.appendChild(el("div", { className: "actions" }, [again]));
      state.pending = edit;
      if (state.selected) select(state.selected);
      loadHistory();
      status("");
    });
  }

  // -- history, diff, export --------------------------------------------------------------
  function loadHistory() {
    return api("GET", planUrl + "/versions").then(function (answer) {
      var body = clear($("history").querySelector("tbody"));
      var a = clear($("cmp-a")), b = clear($("cmp-b"));
      answer.body.versions.forEach(function (v) {
        var link = el("a", { href: planUrl + "/versions/" + v.version + "?format=xlsx", download: "", text: "XLSX" });
        body.appendChild(el("tr", {}, [
          el("th", { scope: "row", text: String(v.version) }),
          el("td", { text: v.updated_by || v.created_by }),
          el("td", { text: String(v.updated_at || v.created_at).slice(0, 19).replace("T", " ") }),
          el("td", { className: "num", text: String((v.changed || []).length) }),
          el("td", {}, [link]),
        ]));
        a.appendChild(el("option", { value: v.version, text: t("version") + " " + v.version }));
        b.appendChild(el("option", { value: v.version, text: t("version") + " " + v.version }));
      });
      a.selectedIndex = 0;
      b.selectedIndex = b.options.length - 1;
    });
  }

  $("compare-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var va = $("cmp-a").value, vb = $("cmp-b").value;
    Promise.all([assignmentOf(va), assignmentOf(vb)]).then(function (got) {
      var out = clear($("diff"));
      var changes = diff(got[0], got[1]);
      out.appendChild(el("h3", { text: t("diff_title", { a: va, b: vb }) }));
      if (!changes.length) { out.appendChild(el("p", { text: t("diff_none") })); return; }
      var body = el("tbody");
      changes.forEach(function (c) {
        body.appendChild(el("tr", { "data-unit": c.unit }, [el("th", { scope: "row", text: unitLabel(c.unit) }),
          el("td", { text: stationLabel(c.from_station) }), el("td", { text: stationLabel(c.to_station) })]));
      });
      out.appendChild(el("div", { className: "table-wrap" }, [el("table", { className: "data" }, [
        el("thead", {}, [el("tr", {}, [t("community"), t("from"), t("to")].map(function (h) { return el("th", { scope: "col", text: h }); }))]),
        body])]));
    });
  });

  // -- start ------------------------------------------------------------------------------
  status(t("loading"));
  api("GET", "/zones/context").then(function (answer) {
    if (answer.status !== 200) return fail(answer);
    var context = answer.body;
    context.units.features.forEach(function (f) {
      var p = f.properties;
      state.units[String(p.code)] = { name: p.name, street: p.street_code };
    });
    context.stations.forEach(function (s, i) { state.stations[s.id] = { name: s.name, street: s.street, index: i }; });
    context.streets.forEach(function (s) { state.streets[s.code] = s; });
    fillFilters(context);
    buildMap(context);
    return loadPlan().then(function () {
      listUnits();
      status("");
      return loadHistory();
    }).then(function () { state.ready = true; });
  });
})();
