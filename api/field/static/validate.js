// The checks of the /inspections API (api/inspection/schemas.py and the checks on arrival
// in api/inspection/service.py), run on the phone before a record enters the outbox, so
// that what is queued is what the server accepts. Each problem names its field, in Chinese
// and English.

import { distanceToLineM, inChina } from "./geo.js";

export const CONDITIONS = ["完好", "损坏", "丢失", "移位", "遮挡掩埋", "未到达"];
/** conditions where the inspector stands at the marker and must give a position */
export const NEEDS_POSITION = ["完好", "损坏", "移位", "遮挡掩埋"];
export const FIX_TYPES = ["single", "differential", "RTK", "manual"];
export const REFERENCE_STATES = ["完好", "变化", "缺失"];
export const SEGMENT_STATES = ["unchanged", "changed_recognisable", "needs_resurvey"];
const MARKER_NO = /^\d{7}[QABCDE]$/;

function problem(field, zh, en) {
  return { field, zh, en };
}

function textLimit(out, field, value, max, label) {
  if (value != null && String(value).length > max) {
    out.push(problem(field, `${label[0]}不能超过 ${max} 个字`, `${label[1]}: at most ${max} characters`));
  }
}

function common(body, out) {
  textLimit(out, "notes", body.notes, 2000, ["备注", "notes"]);
  if (body.actions.length > 50) out.push(problem("actions", "处理措施最多 50 项", "at most 50 actions"));
  body.actions.forEach((a, i) => {
    if (!a || a.length > 100) {
      out.push(problem("actions", `第 ${i + 1} 项处理措施应为 1–100 个字`, `action ${i + 1}: 1–100 characters`));
    }
  });
  if (body.photos.length > 50) out.push(problem("photos", "照片最多 50 张", "at most 50 photos"));
  if (body.inspectors.length < 1) {
    out.push(problem("inspectors", "至少填写一名检查人员", "name at least one inspector"));
  }
  body.inspectors.forEach((p) => {
    if (p.name.length > 100) out.push(problem("inspectors", "检查人员姓名过长", "inspector name too long"));
  });
}

function checkPosition(p, line, rules, out) {
  if (!Number.isFinite(p.lon) || p.lon < -180 || p.lon > 180) {
    out.push(problem("position", `经度 ${p.lon} 无效`, `longitude ${p.lon} is not valid`));
  }
  if (!Number.isFinite(p.lat) || p.lat < -90 || p.lat > 90) {
    out.push(problem("position", `纬度 ${p.lat} 无效`, `latitude ${p.lat} is not valid`));
  }
  if (!(p.accuracy_m > 0 && p.accuracy_m <= 10000)) {
    out.push(problem("accuracy_m", "水平精度应大于 0 且不超过 10000 米", "accuracy must be > 0 and ≤ 10,000 m"));
  }
  if (!FIX_TYPES.includes(p.fix_type)) out.push(problem("fix_type", "请选择定位方式", "choose a fix type"));
  if (out.length) return;
  if (!inChina(p.lon, p.lat)) {
    out.push(problem("position", "位置不在中国境内", "position outside China"));
    return;
  }
  const away = distanceToLineM(p.lon, p.lat, line.geometry);
  if (away > rules.max_from_line_m) {
    const km = (away / 1000).toFixed(1);
    out.push(problem("position", `位置距界线 ${km} 公里，请核对坐标`, `position is ${km} km from the line; check the coordinates`));
  }
}

/** Problems of a marker inspection body (empty when the server will accept it). */
export function validateMarker(body, bundle) {
  const out = [];
  if (!MARKER_NO.test(body.marker_no || "")) out.push(problem("marker_no", "界桩编号无效", "invalid marker number"));
  else if (!bundle.markers.some((m) => m.marker_no === body.marker_no)) {
    out.push(problem("marker_no", "该界桩不在本批次界线上", "the marker is not on this campaign's line"));
  }
  if (!CONDITIONS.includes(body.condition)) out.push(problem("condition", "请选择界桩状况", "choose the condition"));
  if (NEEDS_POSITION.includes(body.condition) && !body.position) {
    out.push(problem("position", `界桩状况为${body.condition}时必须提供位置`, `a position is required when the condition is ${body.condition}`));
  }
  if (body.position) checkPosition(body.position, bundle.line, bundle.rules, out);
  textLimit(out, "damage_detail", body.damage_detail, 2000, ["损坏情况", "damage detail"]);
  if (body.reference_status.length > 20) out.push(problem("reference_status", "方位物最多 20 个", "at most 20 reference objects"));
  for (const r of body.reference_status) {
    if (!REFERENCE_STATES.includes(r.status)) out.push(problem("reference_status", `方位物 ${r.name} 状态无效`, `reference ${r.name}: invalid status`));
  }
  common(body, out);
  return out;
}

/** Problems of a segment check body. */
export function validateSegment(body, bundle) {
  const out = [];
  const known = new Set(bundle.markers.map((m) => m.marker_no));
  for (const field of ["from_marker", "to_marker"]) {
    if (!known.has(body[field])) out.push(problem(field, "该界桩不在本批次界线上", "the marker is not on this campaign's line"));
  }
  if (body.from_marker === body.to_marker) out.push(problem("to_marker", "起止界桩不能相同", "from and to markers must differ"));
  if (!SEGMENT_STATES.includes(body.status)) out.push(problem("status", "请选择走向状况", "choose the course of the line"));
  textLimit(out, "description", body.description, 2000, ["说明", "description"]);
  common(body, out);
  return out;
}
