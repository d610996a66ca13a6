// The marker form and the segment check form. A record is checked on the phone with the
// API's rules (validate.js), then saved to the outbox (a draft, or queued for sending); an
// existing record of the inspector is changed with the version it was based on (If-Match).

import { displacement, formatM } from "./geo.js";
import { pick, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { preparePhoto } from "./photos.js";
import { L, fill, h, newId, notice, nowUtc } from "./ui.js";
import { CONDITIONS, FIX_TYPES, REFERENCE_STATES, SEGMENT_STATES, validateMarker, validateSegment } from "./validate.js";
import { currentPosition, state } from "./app.js";
import { campaignRecords } from "./views.js";

const REF_LABELS = { 完好: "ref_ok", 变化: "ref_changed", 缺失: "ref_missing" };

function choices(name, values, labelOf, checked) {
  return h("div", { class: "choices", id: `${name}-choices` }, values.map((v) =>
    h("label", {}, h("input", { type: "radio", name, value: v, checked: v === checked }), labelOf(v))));
}

function checkedValue(form, name) {
  const el = form.querySelector(`input[name="${name}"]:checked`);
  return el ? el.value : null;
}

function lines(text) {
  return text.split("\n").map((s) => s.trim()).filter(Boolean);
}

function names(text) {
  return text.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
}

/** The inspectors of a record from the two side fields (the signed-in user keeps their name). */
function inspectors(form) {
  const me = state.session.user;
  const out = [];
  for (const side of ["left", "right"]) {
    for (const name of names(form.elements[`side_${side}`].value)) {
      const own = name === me.display_name || name === me.username;
      out.push({ name, side, username: own ? me.username : null });
    }
  }
  return out;
}

function defaultSides(bundle, record) {
  const sides = { left: [], right: [] };
  if (record) {
    for (const p of record.inspectors) sides[p.side].push(p.name);
  } else {
    const me = state.session.user;
    for (const m of bundle.campaign.members) sides[m.side].push(m.username === me.username ? me.display_name : m.username);
  }
  return sides;
}

/** The parts both forms share: actions, notes, photos, inspectors, reviewer comments. */
function commonFields(bundle, record, photos) {
  const sides = defaultSides(bundle, record);
  const thumbs = h("div", { class: "thumbs", id: "thumbs" });
  const input = h("input", { type: "file", name: "photo", accept: "image/*", capture: "environment", multiple: true });
  input.addEventListener("change", async () => {
    for (const file of input.files) {
      const photo = await preparePhoto(file, { maxPx: state.config.photo_max_px, quality: state.config.photo_quality });
      photos.push(photo);
      thumbs.append(h("img", { src: URL.createObjectURL(photo.blob), alt: photo.name, dataset: { sha256: photo.sha256 } }));
    }
    input.value = "";
    thumbs.dataset.count = String(photos.length);
  });
  const kept = record ? record.photos.length : 0;
  const comments = ((record && record.reviews) || []).filter((v) => v.comment);
  return [
    h("label", {}, L("actions"), h("textarea", { name: "actions", value: record ? record.actions.join("\n") : "" })),
    h("label", {}, L("notes"), h("textarea", { name: "notes", value: (record && record.notes) || "" })),
    h("label", {}, L("photos"), kept ? ` (+${kept})` : "", input),
    thumbs,
    h("fieldset", {}, h("legend", {}, L("inspectors")),
      h("label", {}, L("left_side"), ` · ${bundle.campaign.left_name}`, h("input", { name: "side_left", value: sides.left.join("，") })),
      h("label", {}, L("right_side"), ` · ${bundle.campaign.right_name}`, h("input", { name: "side_right", value: sides.right.join("，") }))),
    comments.length ? h("div", { id: "review-comments" }, h("h3", {}, L("reviewer_comments")),
      comments.map((v) => h("div", { class: "review" }, `${v.reviewer} · ${t(`review_${v.to_state}`)}: ${v.comment}`))) : null,
  ];
}

function commonBody(form, record, photos) {
  return {
    notes: form.elements.notes.value.trim() || null,
    actions: lines(form.elements.actions.value),
    photos: [...(record ? record.photos : []), ...photos.map((p) => ({ sha256: p.sha256, name: p.name }))],
    inspectors: inspectors(form),
  };
}

function showProblems(box, problems) {
  box.problems = problems;
  fill(box, problems.map((p) => h("div", { class: "field-error", dataset: { field: p.field } }, `${pick([p.zh, p.en])}`)));
  box.hidden = problems.length === 0;
  if (problems.length) box.scrollIntoView({ block: "center" });
}

/** The buttons of a form and what they do: validate, then save to the outbox. */
function saveButtons(form, { problemsBox, build, check, kind, record, photos, back }) {
  const save = async (draft) => {
    const body = build();
    const problems = check(body);
    if (!draft) showProblems(problemsBox, problems);
    if (!draft && problems.length) return;
    try {
      await outbox.save({ kind, op: record && record.etag ? "update" : "create", body, baseEtag: record && record.etag, photos, draft, owner: state.session.user.username });
    } catch {
      notice(pick(["该记录正在发送，请稍后再改", "This record is being sent: change it in a moment"]));
      return;
    }
    notice(t(draft ? "saved_draft" : "saved_queued"));
    location.hash = back;
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    save(false);
  });
  return h("div", { class: "actions" },
    h("button", { type: "button", id: "save-draft", onclick: () => save(true) }, L("save_draft")),
    h("button", { type: "submit", class: "primary", id: "submit" }, L("submit")),
    h("button", { type: "button", onclick: () => (location.hash = back) }, L("cancel")));
}

/** On a language switch, a form keeps what was typed: its texts change in place. */
function onLanguage(form, redraw) {
  const listener = () => {
    if (!form.isConnected) return window.removeEventListener("mzfield-lang", listener);
    const box = form.querySelector("#problems");
    if (box.problems) showProblems(box, box.problems);
    redraw();
  };
  window.addEventListener("mzfield-lang", listener);
}

async function existing(campaignId, recordId) {
  if (!recordId) return null;
  const found = (await campaignRecords(campaignId)).find((r) => r.record_id === recordId);
  return found || null;
}

function positionFields(marker, record, onChange) {
  const p = record && record.position;
  const fix = h("select", { name: "fix_type" }, FIX_TYPES.map((f) => h("option", { value: f, selected: p ? p.fix_type === f : f === "single", dataset: { i18n: `fix_${f}` } }, t(`fix_${f}`))));
  const num = (name, value, step) => h("input", { name, type: "number", step, inputmode: "decimal", value: value ?? "" });
  const lon = num("lon", p && p.lon, "any");
  const lat = num("lat", p && p.lat, "any");
  const acc = num("accuracy_m", p && p.accuracy_m, "any");
  const gps = h("button", { type: "button", id: "use-gps" }, L("use_gps"));
  const shown = h("div", { class: "displacement", id: "displacement" });
  gps.onclick = async () => {
    try {
      const here = await currentPosition();
      lon.value = here.lon.toFixed(7);
      lat.value = here.lat.toFixed(7);
      acc.value = String(Math.round(here.accuracy_m * 100) / 100);
      if (fix.value === "manual") fix.value = "single";
      onChange();
    } catch {
      notice(t("no_position"));
    }
  };
  for (const el of [lon, lat]) el.addEventListener("input", () => { fix.value = "manual"; onChange(); });
  acc.addEventListener("input", onChange);
  fix.addEventListener("change", onChange);
  return {
    nodes: h("fieldset", {}, h("legend", {}, L("observed_position")), h("div", { class: "row" }, gps, h("span", { class: "muted" }, L("place_by_hand"), ": ", L("lon"), "/", L("lat"))),
      h("div", { class: "row" }, h("label", { class: "grow" }, L("lon"), lon), h("label", { class: "grow" }, L("lat"), lat)),
      h("div", { class: "row" }, h("label", { class: "grow" }, L("accuracy_m"), acc), h("label", { class: "grow" }, L("fix_type"), fix)), shown),
    read() {
      if (lon.value === "" && lat.value === "") return null;
      const manual = fix.value === "manual";
      return { lon: Number(lon.value), lat: Number(lat.value), accuracy_m: Number(acc.value || (manual ? 5 : 0)), fix_type: fix.value, source: manual ? "manual" : "browser geolocation", crs: "wgs84" };
    },
    shown,
  };
}

function showDisplacement(el, marker, position, bundle) {
  if (!position || !(position.accuracy_m > 0)) return fill(el);
  const d = displacement(marker, position, bundle.rules.k_sigma);
  el.classList.toggle("flag", d.suspected);
  el.dataset.suspected = String(d.suspected);
  el.textContent = `${t("displacement")} ${formatM(d.displacement_m)}（${t("threshold")} ${formatM(d.threshold_m)}）${d.suspected ? t("suspected_displaced") : t("within_threshold")}`;
}

/** The marker inspection form (new, or the inspector's record ``recordId``). */
export async function renderMarkerForm(root, bundle, markerNo, recordId) {
  const marker = bundle.markers.find((m) => m.marker_no === markerNo);
  const record = await existing(bundle.campaign.campaign_id, recordId);
  const back = `#/c/${bundle.campaign.campaign_id}/markers`;
  const photos = [];
  const form = h("form", { class: "record", id: "marker-form", novalidate: true });
  const problemsBox = h("div", { class: "problems", id: "problems", hidden: true });
  const position = positionFields(marker, record, () => showDisplacement(position.shown, marker, position.read(), bundle));
  const refs = (marker.reference_objects || []).map((r) => {
    const before = record && record.reference_status.find((x) => x.name === r.name);
    return h("label", {}, r.name, h("select", { name: `ref_${r.name}`, dataset: { ref: r.name } }, REFERENCE_STATES.map((s) => h("option", { value: s, selected: before ? before.status === s : s === "完好", dataset: { i18n: REF_LABELS[s] } }, t(REF_LABELS[s])))));
  });
  const build = () => ({
    record_id: record ? record.record_id : newId(),
    campaign_id: bundle.campaign.campaign_id,
    marker_no: marker.marker_no,
    inspected_at: record ? record.inspected_at : nowUtc(),
    condition: checkedValue(form, "condition"),
    damage_detail: form.elements.damage_detail.value.trim() || null,
    position: position.read(),
    reference_status: [...form.querySelectorAll("select[data-ref]")].map((s) => ({ name: s.dataset.ref, status: s.value, note: null })),
    ...commonBody(form, record, photos),
  });
  const registered = `${marker.lon.toFixed(7)}, ${marker.lat.toFixed(7)} (σ ${marker.sigma_m} m)`;
  document.getElementById("title").textContent = `${t("marker_form")} ${marker.marker_no}`;
  fill(form,
    h("p", { class: "muted" }, `${marker.marker_type} · ${registered}${marker.last ? ` · ${t("last_condition")} ${marker.last.condition}` : ""}`),
    problemsBox,
    h("label", {}, L("condition")), choices("condition", CONDITIONS, (c) => c, record && record.condition),
    h("label", {}, L("damage_detail"), h("textarea", { name: "damage_detail", value: (record && record.damage_detail) || "" })),
    position.nodes,
    refs.length ? h("fieldset", {}, h("legend", {}, L("reference_status")), refs) : null,
    commonFields(bundle, record, photos),
    saveButtons(form, { problemsBox, build, check: (b) => validateMarker(b, bundle), kind: "marker", record, photos, back }));
  fill(root, form);
  showDisplacement(position.shown, marker, position.read(), bundle);
  onLanguage(form, () => showDisplacement(position.shown, marker, position.read(), bundle));
}

/** The segment check form between two neighbouring markers. */
export async function renderSegmentForm(root, bundle, fromMarker, toMarker, recordId) {
  const record = await existing(bundle.campaign.campaign_id, recordId);
  const back = `#/c/${bundle.campaign.campaign_id}/segments`;
  const photos = [];
  const form = h("form", { class: "record", id: "segment-form", novalidate: true });
  const problemsBox = h("div", { class: "problems", id: "problems", hidden: true });
  const select = (name, value) => h("select", { name }, bundle.markers.map((m) => h("option", { value: m.marker_no, selected: m.marker_no === value }, m.marker_no)));
  const build = () => ({
    record_id: record ? record.record_id : newId(),
    campaign_id: bundle.campaign.campaign_id,
    from_marker: form.elements.from_marker.value,
    to_marker: form.elements.to_marker.value,
    checked_at: record ? record.checked_at : nowUtc(),
    status: checkedValue(form, "status"),
    description: form.elements.description.value.trim() || null,
    ...commonBody(form, record, photos),
  });
  document.getElementById("title").textContent = t("segment_form");
  fill(form, problemsBox,
    h("div", { class: "row" }, h("label", { class: "grow" }, L("from_marker"), select("from_marker", fromMarker)), h("label", { class: "grow" }, L("to_marker"), select("to_marker", toMarker))),
    h("label", {}, L("segment_status")), choices("status", SEGMENT_STATES, (s) => L(`seg_${s}`), record && record.status),
    h("label", {}, L("description"), h("textarea", { name: "description", value: (record && record.description) || "" })),
    commonFields(bundle, record, photos),
    saveButtons(form, { problemsBox, build, check: (b) => validateSegment(b, bundle), kind: "segment", record, photos, back }));
  fill(root, form);
  onLanguage(form, () => {});
}
