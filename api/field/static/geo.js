// Distances on the phone: metres from lon/lat on the WGS84 ellipsoid, locally flat (the
// scale of a degree at the mean latitude), good to centimetres over a few kilometres. The
// server's checks on arrival (Gauss-Krüger plane) stay the reference; these show at once.

const DEG = Math.PI / 180;

function metresPerDegree(latDeg) {
  const p = latDeg * DEG;
  return {
    lat: 111132.92 - 559.82 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p),
    lon: 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p),
  };
}

/** Distance in metres between two lon/lat points. */
export function distanceM(lon1, lat1, lon2, lat2) {
  const k = metresPerDegree((lat1 + lat2) / 2);
  return Math.hypot((lon2 - lon1) * k.lon, (lat2 - lat1) * k.lat);
}

/** Distance in metres from a point to a GeoJSON LineString or MultiLineString. */
export function distanceToLineM(lon, lat, geometry) {
  const parts = geometry.type === "MultiLineString" ? geometry.coordinates : [geometry.coordinates];
  const k = metresPerDegree(lat);
  let best = Infinity;
  for (const part of parts) {
    for (let i = 1; i < part.length; i += 1) {
      const ax = (part[i - 1][0] - lon) * k.lon;
      const ay = (part[i - 1][1] - lat) * k.lat;
      const bx = (part[i][0] - lon) * k.lon;
      const by = (part[i][1] - lat) * k.lat;
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const s = len2 > 0 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
      best = Math.min(best, Math.hypot(ax + s * dx, ay + s * dy));
    }
  }
  return best;
}

/**
 * Displacement of an observation against the register, and whether it exceeds
 * k·√(σ_register² + σ_observed²) (the server's rule, with its ``k_sigma``).
 */
export function displacement(marker, position, kSigma) {
  const moved = distanceM(marker.lon, marker.lat, position.lon, position.lat);
  const threshold = kSigma * Math.hypot(marker.sigma_m, position.accuracy_m);
  return { displacement_m: moved, threshold_m: threshold, suspected: moved > threshold };
}

/** Lon/lat box of China (layers.schema.CHINA_BOUNDS_LONLAT). */
export const CHINA_BOUNDS = [73.4, 17.9, 135.1, 53.6];

export function inChina(lon, lat) {
  const [x0, y0, x1, y1] = CHINA_BOUNDS;
  return lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1;
}

/** "0.31 m", "3.0 m", "12 m", "1.3 km". */
export function formatM(metres) {
  if (!Number.isFinite(metres)) return "–";
  if (metres < 1) return `${metres.toFixed(2)} m`;
  if (metres < 1000) return `${metres < 10 ? metres.toFixed(1) : Math.round(metres)} m`;
  return `${(metres / 1000).toFixed(metres < 10000 ? 2 : 1)} km`;
}
