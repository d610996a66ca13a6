// The campaign map (Leaflet, served by the app; no tiles; SVG, 200 markers draw at once): the two divisions and the roads
// near the line from the offline bundle, the line, the markers coloured by status, and the
// phone's position with its accuracy circle.

const COLOURS = { todo: "#8a94a6", done: "#2e8b57", issue: "#c0392b" };

function label(text) {
  const el = document.createElement("span");
  el.textContent = text; // a DOM node, never an HTML string
  return el;
}

/**
 * Draw the campaign into ``box``; returns ``{setPosition(p)}``.
 *
 * @param {HTMLElement} box the map's element
 * @param {object} bundle the offline bundle
 * @param {Map} status marker number → {status}
 * @param {Function} onMarker called with the marker a person taps
 */
export function showMap(box, bundle, status, onMarker) {
  const L = window.L;
  const map = L.map(box, { attributionControl: false, zoomSnap: 0.5 });
  const line = L.geoJSON(bundle.line.geometry, { style: { color: "#7b2d8b", weight: 4, dashArray: "8 4" } });
  map.fitBounds(line.getBounds(), { padding: [20, 20] }); // a view first: layers need one
  L.geoJSON(bundle.base.divisions, { style: { color: "#7a6fa3", weight: 1, fillOpacity: 0.06 }, interactive: false }).addTo(map);
  L.geoJSON(bundle.base.roads, { style: { color: "#b0b4bb", weight: 2 }, interactive: false }).addTo(map);
  line.addTo(map);
  for (const m of bundle.markers) {
    const s = (status.get(m.marker_no) || { status: "todo" }).status;
    const dot = L.circleMarker([m.lat, m.lon], { radius: 7, color: "#fff", weight: 2, fillColor: COLOURS[s], fillOpacity: 1, className: `mz-marker mz-st-${s}` });
    dot.bindTooltip(label(m.marker_no), { direction: "top" });
    dot.on("click", () => onMarker(m));
    dot.addTo(map);
  }
  let here = null;
  let ring = null;
  return {
    map,
    setPosition(p) {
      const at = [p.lat, p.lon];
      if (!here) {
        if (line.getBounds().pad(0.5).contains(at)) map.setView(at, 15); // near the line: zoom in
        ring = L.circle(at, { radius: p.accuracy_m, color: "#1f6feb", weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
        here = L.circleMarker(at, { radius: 6, color: "#fff", weight: 2, fillColor: "#1f6feb", fillOpacity: 1, className: "mz-here" }).addTo(map);
      } else {
        here.setLatLng(at);
        ring.setLatLng(at).setRadius(p.accuracy_m);
      }
    },
  };
}
