// The campaign views: markers by distance from the phone, the map, the segments, the
// inspector's own records (editable until reviewed) and the outbox.

import * as db from "./db.js";
import { formatM, distanceM } from "./geo.js";
import { bilingual, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { fill, h } from "./ui.js";
import { refreshBundle, state } from "./app.js";
import { showMap } from "./map.js";

const FINAL = ["approved", "rejected"];

/** The records of a campaign: the server's, overlaid with what waits in the outbox. */
export async function campaignRecords(campaignId) {
  const records = (await db.all("records")).filter((r) => r.campaign_id === campaignId);
  const waiting = (await outbox.entries()).filter((e) => e.campaign_id === campaignId);
  const byId = new Map(records.map((r) => [r.record_id, { ...r, local: null }]));
  for (const e of waiting) byId.set(e.record_id, { ...(byId.get(e.record_id) || {}), ...e.body, kind: e.kind, local: e });
  return [...byId.values()];
}

function hasIssue(record) {
  const flags = (record.computed && record.computed.flags) || [];
  return record.condition !== "完好" || flags.includes("suspected_displaced") || ["has_issues", "rejected"].includes(record.review_state);
}

/** Marker number → {status: todo | done | issue, record} from the latest record of each. */
export function markerStatus(records) {
  const out = new Map();
  const markers = records.filter((r) => r.kind === "marker").sort((a, b) => String(a.inspected_at).localeCompare(String(b.inspected_at)));
  for (const r of markers) out.set(r.marker_no, { status: hasIssue(r) ? "issue" : "done", record: r });
  return out;
}

function chip(status) {
  return h("span", { class: `chip st-${status}` }, t(`st_${status}`));
}

function positionLine() {
  const p = state.position;
  return p ? `${t("position")} ${p.lon.toFixed(6)}, ${p.lat.toFixed(6)} · ${t("accuracy")} ±${formatM(p.accuracy_m)}` : t("no_position");
}

function markerList(bundle, status) {
  const p = state.position;
  const rows = bundle.markers.map((m) => ({ m, d: p ? distanceM(p.lon, p.lat, m.lon, m.lat) : m.chainage_m }));
  if (p) rows.sort((a, b) => a.d - b.d);
  const go = (m) => () => (location.hash = `#/c/${bundle.campaign.campaign_id}/m/${m.marker_no}`);
  return h("ul", { class: "list", id: "marker-list" }, rows.map(({ m, d }) => {
    const s = status.get(m.marker_no);
    const last = m.last ? `${t("last_condition")} ${m.last.condition}` : "";
    return h("li", { dataset: { marker: m.marker_no }, onclick: go(m) },
      h("div", { class: "grow" }, h("div", { class: "marker-no" }, m.marker_no), h("div", { class: "muted" }, last ? `${m.marker_type} · ${last}` : m.marker_type)),
      p ? h("span", { class: "dist" }, formatM(d)) : null,
      chip(s ? s.status : "todo"));
  }));
}

function segmentList(bundle, records) {
  const checked = new Set(records.filter((r) => r.kind === "segment").map((r) => `${r.from_marker}-${r.to_marker}`));
  return h("ul", { class: "list", id: "segment-list" }, bundle.segments.map((s) => {
    const done = checked.has(`${s.from_marker}-${s.to_marker}`);
    const go = () => (location.hash = `#/c/${bundle.campaign.campaign_id}/s/${s.from_marker}/${s.to_marker}`);
    return h("li", { dataset: { segment: `${s.from_marker}-${s.to_marker}` }, onclick: go },
      h("div", { class: "grow" }, h("div", { class: "marker-no" }, `${s.from_marker} → ${s.to_marker}`), h("div", { class: "muted" }, formatM(s.length_m))),
      chip(done ? "done" : "todo"));
  }));
}

function mineList(bundle, records) {
  const me = state.session && state.session.user.username;
  const mine = records.filter((r) => r.created_by === me || (r.local && r.local.owner === me));
  return h("ul", { class: "list", id: "mine-list" }, mine.map((r) => {
    const editable = !FINAL.includes(r.review_state);
    const title = r.kind === "segment" ? `${r.from_marker} → ${r.to_marker}` : `${r.marker_no} · ${r.condition}`;
    const path = r.kind === "segment" ? `s/${r.from_marker}/${r.to_marker}/${r.record_id}` : `m/${r.marker_no}/${r.record_id}`;
    const state_ = r.local ? t(`state_${r.local.state}`) : t(`review_${r.review_state}`);
    const comments = (r.reviews || []).filter((v) => v.comment).map((v) => h("div", { class: "review" }, `${v.reviewer}: ${v.comment}`));
    return h("li", { dataset: { record: r.record_id } },
      h("div", { class: "grow" }, h("div", { class: "marker-no" }, title), h("div", { class: "muted" }, state_), comments),
      editable ? h("button", { onclick: () => (location.hash = `#/c/${bundle.campaign.campaign_id}/${path}`) }, t("edit")) : null);
  }));
}

/** A campaign: tabs for markers (by distance), map, segments and own records. */
export async function renderCampaign(root, bundle, tab) {
  const id = bundle.campaign.campaign_id;
  const shown = location.hash;
  const refresh = (force) => refreshBundle(id, { force }).then(async (fresh) => {
    if (fresh && location.hash === shown) renderCampaign(root, await db.get("bundles", id), tab);
  });
  refresh(false);
  const records = await campaignRecords(id);
  const status = markerStatus(records);
  document.getElementById("title").textContent = bundle.campaign.name;
  const tabs = ["markers", "map", "segments", "mine"].map((name) =>
    h("button", { class: tab === name ? "on" : "", id: `tab-${name}`, onclick: () => (location.hash = `#/c/${id}/${name}`) }, t(name === "mine" ? "my_records" : name)));
  const where = h("p", { class: "muted", id: "position" }, positionLine());
  const body = h("div");
  const again = h("button", { id: "refresh", title: t("refresh"), disabled: !navigator.onLine, onclick: () => refresh(true) }, "↻");
  fill(root, h("div", { class: "tabs" }, tabs, again), where, body);
  const draw = () => {
    where.textContent = positionLine();
    if (tab === "markers") fill(body, markerList(bundle, status));
  };
  if (tab === "map") {
    const box = h("div", { id: "field-map" });
    fill(body, box);
    const map = showMap(box, bundle, status, (m) => (location.hash = `#/c/${id}/m/${m.marker_no}`));
    state.watchers.add((p) => { where.textContent = positionLine(); map.setPosition(p); });
    if (state.position) map.setPosition(state.position);
    return;
  }
  if (tab === "segments") fill(body, segmentList(bundle, records));
  else if (tab === "mine") fill(body, mineList(bundle, records));
  else draw();
  let last = 0;
  state.watchers.add(() => {
    if (Date.now() - last < 1000) return;
    last = Date.now();
    draw();
  });
}

// -- outbox --------------------------------------------------------------------------

const SHOWN = {
  marker: ["condition", "damage_detail", "position", "reference_status", "actions", "notes", "photos", "review_state"],
  segment: ["status", "description", "actions", "notes", "photos", "review_state"],
};
const FIELD_LABELS = { status: "segment_status", position: "observed_position", review_state: "review_state" };

function shown(field, value) {
  if (value === null || value === undefined || value === "") return "–";
  if (field === "position") return `${value.lon.toFixed(6)}, ${value.lat.toFixed(6)} ±${value.accuracy_m} m (${value.fix_type})`;
  if (field === "photos") return String(value.length);
  if (field === "review_state") return t(`review_${value}`);
  if (field === "reference_status") return value.map((r) => `${r.name}:${r.status}`).join("，");
  if (Array.isArray(value)) return value.join("，");
  return String(value);
}

function versions(entry) {
  const server = entry.server || {};
  const rows = SHOWN[entry.kind].map((f) => {
    const mine = shown(f, f === "review_state" ? null : entry.body[f]);
    const theirs = shown(f, server[f]);
    return h("tr", { class: mine !== theirs ? "differs" : "" }, h("th", {}, t(FIELD_LABELS[f] || f)), h("td", { class: "mine" }, mine), h("td", { class: "theirs" }, theirs));
  });
  const comments = (server.reviews || []).filter((v) => v.comment).map((v) => h("div", { class: "review" }, `${t("reviewer_comments")} · ${v.reviewer}: ${v.comment}`));
  return [h("table", { class: "versions" }, h("thead", {}, h("tr", {}, h("th", {}, t("field")), h("th", {}, t("local_version")), h("th", {}, t("server_version")))), h("tbody", {}, rows)), comments];
}

function formPath(entry) {
  const b = entry.body;
  const tail = entry.kind === "segment" ? `s/${b.from_marker}/${b.to_marker}` : `m/${b.marker_no}`;
  return `#/c/${entry.campaign_id}/${tail}/${entry.record_id}`;
}

function entryCard(entry, rerender) {
  const title = entry.kind === "segment" ? `${entry.body.from_marker} → ${entry.body.to_marker}` : `${entry.body.marker_no} · ${entry.body.condition}`;
  const pending = entry.photos.filter((p) => !p.uploaded).length;
  const act = (fn) => async () => { await fn(entry.record_id); rerender(); };
  const parts = [h("div", { class: "row" }, h("span", { class: "grow marker-no" }, title), h("span", { class: `chip st-${entry.state}` }, t(`state_${entry.state}`)))];
  if (pending) parts.push(h("div", { class: "muted" }, `${pending} ${t("photos_pending")}`));
  if (entry.error && entry.state !== "attention") parts.push(h("div", { class: "muted" }, bilingual(entry.error)));
  if (entry.state === "attention") {
    const message = entry.conflict === "final" ? t("conflict_final") : entry.conflict === "invalid" ? bilingual(entry.error) : t("conflict_changed");
    parts.push(h("p", { class: "error" }, message), versions(entry));
    parts.push(h("div", { class: "actions" }, entry.conflict === "invalid" ? [
      h("button", { class: "primary edit-record", onclick: () => (location.hash = formPath(entry)) }, t("edit")),
      h("button", { class: "danger discard-record", onclick: act(outbox.takeServer) }, t("discard_record")),
    ] : [
      entry.conflict === "changed" ? h("button", { class: "primary keep-mine", onclick: act(outbox.keepMine) }, t("keep_mine")) : null,
      h("button", { class: "take-server", onclick: act(outbox.takeServer) }, t("take_server")),
    ]));
  }
  if (entry.state === "draft") {
    parts.push(h("div", { class: "actions" },
      h("button", { class: "primary", onclick: act(outbox.queueDraft) }, t("submit")),
      h("button", { class: "danger", onclick: act(outbox.discardDraft) }, t("discard"))));
  }
  return h("li", { class: "card stack", dataset: { record: entry.record_id, state: entry.state } }, parts);
}

let outboxListener = null;

/** The outbox: what waits, what needs attention (both versions side by side), the sent count. */
export async function renderOutbox(root) {
  const rerender = () => renderOutbox(root);
  const list = await outbox.entries();
  const counts = await outbox.counts();
  document.getElementById("title").textContent = t("outbox");
  fill(root,
    h("div", { class: "card row" },
      h("span", { class: "grow", id: "outbox-counts" }, `${t("waiting")} `, h("b", { id: "waiting-count" }, String(counts.waiting)), ` · ${t("sent_count")} `, h("b", { id: "sent-count" }, String(counts.sent))),
      h("button", { id: "send-now", onclick: () => outbox.drain().then(rerender) }, t("send_now"))),
    list.length ? h("ul", { class: "list", id: "outbox-list" }, list.map((e) => entryCard(e, rerender))) : h("p", { class: "muted" }, t("outbox_empty")));
  outbox.events.removeEventListener("change", outboxListener);
  let pending = null; // redrawn at most every 300 ms while the outbox sends
  outboxListener = () => {
    if (location.hash !== "#/outbox") return outbox.events.removeEventListener("change", outboxListener);
    pending = pending || setTimeout(() => { pending = null; if (location.hash === "#/outbox") rerender(); }, 300);
  };
  outbox.events.addEventListener("change", outboxListener);
}
