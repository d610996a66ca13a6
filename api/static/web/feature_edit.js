// Editing one feature on its layer's page (planners, editable layers): its attributes in a
// form and, for points, a marker to drag; saved as a JSON merge patch (OGC API - Features
// Part 4) with If-Match. A 412 (someone saved first) loads the latest and keeps the values
// this person changed, to save again.
window.mzgisFeatureEditor = function (boot, map, reload) {
  "use strict";
  var P = window.mzgisPage, el = P.el, t = P.labels(boot.labels);
  var spec = boot.edit;
  var base = "/collections/" + encodeURIComponent(boot.name) + "/items/";
  var state = { id: null, etag: null, start: {}, moved: null, marker: null };

  function $(id) { return document.getElementById(id); }
  function status(text, bad) { P.status($("edit-status"), text, bad); }
  function fetchFeature(id) {
    return fetch(base + encodeURIComponent(id), { credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json().then(function (f) { return { etag: r.headers.get("ETag"), feature: f }; }); });
  }
  function text(value) { return value === null || value === undefined ? "" : String(value); }
  function parsed(field, raw) {
    if (raw === "") return null;
    if (field.type === "int") return parseInt(raw, 10);
    if (field.type === "float") return parseFloat(raw);
    return raw;
  }
  function input(field, value) {
    var node;
    if (field.choices.length) {
      node = el("select", { name: field.name, id: "edit-f-" + field.name });
      if (!field.required) node.appendChild(el("option", { value: "" }, ""));
      field.choices.forEach(function (c) { node.appendChild(el("option", { value: c }, c)); });
    } else {
      var type = field.type === "int" || field.type === "float" ? "number" : "text";
      node = el("input", { name: field.name, id: "edit-f-" + field.name, type: type });
      if (field.type === "float") node.setAttribute("step", "any");
    }
    node.value = text(value);
    return node;
  }

  function placeMarker(feature) {
    if (state.marker) { map.removeLayer(state.marker); state.marker = null; }
    if (!spec.points || !feature.geometry || feature.geometry.type !== "Point") return;
    var c = feature.geometry.coordinates;
    var icon = L.divIcon({ className: "drag-handle", iconSize: [22, 22] });
    state.marker = L.marker([c[1], c[0]], { draggable: true, icon: icon, keyboard: true }).addTo(map);
    state.marker.on("dragend", function () {
      var ll = state.marker.getLatLng();
      state.moved = [Math.round(ll.lng * 1e7) / 1e7, Math.round(ll.lat * 1e7) / 1e7];
      var note = $("edit-geometry");
      note.textContent = t("edit_moved", { lon: state.moved[0], lat: state.moved[1] });
      note.className = "moved";
    });
  }

  function render(id, found) {
    var panel = $("edit-panel");
    P.clear(panel).hidden = false;
    state.id = id; state.etag = found.etag; state.moved = null; state.start = {};
    var props = found.feature.properties || {};
    var form = el("form", { id: "edit-form" });
    spec.fields.forEach(function (f) {
      state.start[f.name] = text(props[f.name]);
      form.appendChild(el("label", { for: "edit-f-" + f.name }, f.label));
      form.appendChild(input(f, props[f.name]));
    });
    if (spec.points) form.appendChild(el("p", { id: "edit-geometry", class: "hint" }, t("edit_drag")));
    form.appendChild(el("p", { id: "edit-status", class: "status", role: "status" }));
    var save = el("button", { type: "submit", id: "edit-save", class: "primary" }, t("edit_save"));
    form.appendChild(el("div", { class: "actions" }, [save]));
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    panel.appendChild(el("h3", {}, t("edit_title", { id: id })));
    panel.appendChild(form);
    placeMarker(found.feature);
  }

  function changes() {
    var out = {};
    spec.fields.forEach(function (f) {
      var now = $("edit-f-" + f.name).value;
      if (now !== state.start[f.name]) out[f.name] = parsed(f, now);
    });
    return out;
  }

  function submit() {
    var props = changes();
    var body = { type: "Feature", properties: props };
    if (state.moved) body.geometry = { type: "Point", coordinates: state.moved };
    if (!Object.keys(props).length && !state.moved) { status(t("edit_nothing")); return; }
    P.request("PATCH", base + encodeURIComponent(state.id), body, { "If-Match": state.etag }).then(function (answer) {
      if (answer.status === 412) return conflict(props);
      if (answer.status !== 200) { status(t("error") + (answer.body.detail || answer.status), true); return; }
      var id = state.id;
      reload().then(function () {
        return fetchFeature(id).then(function (found) { render(id, found); status(t("edit_saved")); });
      });
    });
  }

  function conflict(mine) {
    var moved = state.moved;
    fetchFeature(state.id).then(function (found) {
      render(state.id, found);
      Object.keys(mine).forEach(function (k) { $("edit-f-" + k).value = text(mine[k]); });
      if (moved && state.marker) { state.marker.setLatLng([moved[1], moved[0]]); state.marker.fire("dragend"); }
      status(t("edit_conflict"), true);
    });
  }

  return {
    open: function (id) { fetchFeature(id).then(function (found) { render(id, found); }); },
  };
};
