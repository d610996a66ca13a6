// The outbox (ODK/Enketo style): every record is written to IndexedDB first, with its client
// UUID and a state, and leaves only when the server has acknowledged the record and every
// one of its photos.
//
//   draft      kept on the phone, not sent
//   queued     waiting to be sent, in order (``seq``)
//   sending    being sent now (back to queued if the app closes meanwhile)
//   attention  the server refused it (409/412/4xx): both versions kept, the inspector chooses
//   sent       acknowledged: the entry is removed and its id counted in the "sent" ledger
//
// Sending is replay-safe: a create carries the record's UUID (the same body again is stored
// once); an update carries If-Match, and a 412 whose server version already holds our change
// counts as acknowledged. One tab sends at a time (Web Locks). Failures of the network or the
// server are retried with backoff; a 401 keeps everything and asks to sign in again.

import * as db from "./db.js";
import { ApiError, call, expired, session } from "./api.js";

export const events = new EventTarget();
const BACKOFF_S = [1, 2, 4, 8, 15, 30];
const WAITING = ["queued", "sending", "attention"];
const UPDATE_FIELDS = {
  marker: ["inspected_at", "condition", "damage_detail", "position", "reference_status",
    "notes", "actions", "photos", "inspectors"],
  segment: ["checked_at", "status", "description", "notes", "actions", "photos", "inspectors"],
};
let failures = 0;
let timer = null;
let authNeeded = false;

/** A record's path: its id within its campaign (the same UUID may be a record elsewhere). */
function recordPath(kind, id, campaign) {
  const path = kind === "segment" ? `/inspections/segments/${id}` : `/inspections/${id}`;
  return `${path}?campaign_id=${encodeURIComponent(campaign)}`;
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Whether the server's record already holds every field of ``body`` listed in ``fields``. */
export function holds(server, body, fields) {
  return fields.every((f) => canonical(server[f]) === canonical(body[f]));
}

function changed() {
  events.dispatchEvent(new Event("change"));
}

/** Outbox entries, in sending order. */
export async function entries() {
  return (await db.all("outbox")).sort((a, b) => a.seq - b.seq);
}

export async function counts() {
  const list = await db.all("outbox");
  const by = (s) => list.filter((e) => e.state === s).length;
  const sent = (await db.get("kv", "sent")) || [];
  return {
    waiting: list.filter((e) => WAITING.includes(e.state)).length,
    draft: by("draft"), queued: by("queued"), sending: by("sending"),
    attention: by("attention"), sent: sent.length,
  };
}

/**
 * Save a record to the outbox: a new record (``op`` create) or a change of a record the
 * server has (``op`` update, ``baseEtag`` its version); ``photos`` are prepared photos.
 * An entry already waiting for the same record is replaced by the new body.
 */
export async function save({ kind, op, body, baseEtag, photos = [], draft = false, owner }) {
  const id = body.record_id;
  const now = new Date().toISOString();
  await db.transact(["outbox", "photos", "kv"], "readwrite", async (s, p) => {
    const previous = await p(s.outbox.get(id));
    if (previous && (previous.state === "sending" || previous.acked)) {
      throw new Error("sending");
    }
    const seq = ((await p(s.kv.get("seq"))) || 0) + 1;
    s.kv.put(seq, "seq");
    for (const photo of photos) {
      s.photos.put({ key: `${id}/${photo.sha256}`, record_id: id, sha256: photo.sha256, blob: photo.blob, name: photo.name });
    }
    const kept = previous ? previous.photos.filter((x) => body.photos.some((b) => b.sha256 === x.sha256)) : [];
    const added = photos.filter((x) => !kept.some((k) => k.sha256 === x.sha256));
    s.outbox.put({
      record_id: id, kind, op: previous ? previous.op : op, campaign_id: body.campaign_id,
      owner, body, base_etag: previous ? previous.base_etag : baseEtag || null,
      state: draft ? "draft" : "queued", seq: previous ? previous.seq : seq, attempts: 0,
      acked: false, error: null, server: null, conflict: null,
      photos: [...kept, ...added.map((x) => ({ sha256: x.sha256, name: x.name, uploaded: false }))],
      created_at: previous ? previous.created_at : now, updated_at: now,
    });
  });
  changed();
  if (!draft) schedule(0);
}

async function update(entry, changes, durability = "strict") {
  Object.assign(entry, changes, { updated_at: new Date().toISOString() });
  await db.put("outbox", entry, undefined, { durability });
  changed();
}

/** A progress mark of sending: safe to lose (the step is repeated, replay-safe). */
function mark(entry, changes) {
  return update(entry, changes, "relaxed");
}

async function finish(entry, server) {
  await db.transact(["outbox", "photos", "records", "kv"], "readwrite", async (s, p) => {
    s.outbox.delete(entry.record_id);
    for (const photo of entry.photos) s.photos.delete(`${entry.record_id}/${photo.sha256}`);
    s.records.put(server);
    const sent = (await p(s.kv.get("sent"))) || [];
    if (!sent.includes(entry.record_id)) sent.push(entry.record_id);
    s.kv.put(sent, "sent");
  });
  changed();
}

async function sendRecord(entry) {
  const path = recordPath(entry.kind, entry.record_id, entry.campaign_id);
  if (entry.op === "create") {
    const base = entry.kind === "segment" ? "/inspections/segments" : "/inspections";
    return (await call(base, { method: "POST", json: entry.body })).body;
  }
  const patch = Object.fromEntries(UPDATE_FIELDS[entry.kind].map((f) => [f, entry.body[f]]));
  try {
    const headers = { "If-Match": entry.base_etag };
    return (await call(path, { method: "PATCH", json: patch, headers })).body;
  } catch (error) {
    if (error.kind !== "precondition") throw error;
    const server = (await call(path)).body; // our own change may have landed before a timeout
    if (holds(server, patch, UPDATE_FIELDS[entry.kind])) return server;
    throw error;
  }
}

async function sendPhotos(entry) {
  for (const photo of entry.photos) {
    if (photo.uploaded) continue;
    const stored = await db.get("photos", `${entry.record_id}/${photo.sha256}`);
    const form = new FormData();
    form.append("sha256", photo.sha256);
    form.append("file", stored.blob, photo.name || "photo.jpg");
    const campaign = encodeURIComponent(entry.campaign_id);
    const path = `/inspections/${entry.record_id}/photos?campaign_id=${campaign}`;
    await call(path, { method: "POST", form });
    photo.uploaded = true;
    await mark(entry, {});
  }
}

async function needsAttention(entry, error) {
  let server = null;
  try {
    server = (await call(recordPath(entry.kind, entry.record_id, entry.campaign_id))).body;
  } catch {
    server = null; // shown once it can be fetched
  }
  const final = server && ["approved", "rejected"].includes(server.review_state);
  const conflict = error.kind === "invalid" ? "invalid" : final ? "final" : "changed";
  await update(entry, { state: "attention", server, conflict, error: error.body?.detail || error.message });
}

/**
 * Take an entry for sending, as it is now (an edit saved since the list was read wins):
 * read and marked "sending" in one transaction, after which the forms refuse to change it.
 * ``null`` when it is no longer waiting to be sent.
 */
async function claim(id) {
  return db.transact(["outbox"], "readwrite", async (s, p) => {
    const entry = await p(s.outbox.get(id));
    if (!entry || !["queued", "sending"].includes(entry.state)) return null;
    Object.assign(entry, { state: "sending", attempts: entry.attempts + 1, updated_at: new Date().toISOString() });
    s.outbox.put(entry);
    return entry;
  }, { durability: "relaxed" });
}

async function sendOne(entry) {
  if (!entry.acked) {
    const server = await sendRecord(entry);
    await mark(entry, { acked: true, server });
  }
  await sendPhotos(entry);
  const server = (await call(recordPath(entry.kind, entry.record_id, entry.campaign_id))).body;
  await finish(entry, server);
}

async function drainLocked() {
  const current = await session();
  if (!current) return "signin";
  if (expired(current)) {
    signInNeeded();
    return "signin";
  }
  const user = current.user.username;
  for (const listed of await entries()) {
    if (!["queued", "sending"].includes(listed.state) || listed.owner !== user) continue;
    const entry = await claim(listed.record_id);
    if (!entry) continue;
    changed();
    try {
      await sendOne(entry);
      failures = 0;
    } catch (error) {
      if (!(error instanceof ApiError) || error.kind === "network" || error.kind === "server") {
        await update(entry, { state: "queued", error: error.message });
        return "retry";
      }
      if (error.kind === "auth") {
        await update(entry, { state: "queued" });
        signInNeeded();
        return "signin";
      }
      await needsAttention(entry, error);
    }
  }
  return "done";
}

function signInNeeded() {
  authNeeded = true;
  events.dispatchEvent(new Event("signin"));
}

/** Send what is queued now (one tab at a time); reschedules itself on failure. */
export async function drain() {
  if (!navigator.onLine || authNeeded) return "offline";
  const outcome = await navigator.locks.request("mzgis-field-outbox", { ifAvailable: true }, async (lock) => (lock ? drainLocked() : "busy"));
  if (outcome === "retry") {
    failures += 1;
    const base = BACKOFF_S[Math.min(failures - 1, BACKOFF_S.length - 1)];
    schedule(base * 1000 * (0.75 + Math.random() / 2));
  } else if (outcome === "busy") {
    schedule(2000);
  }
  return outcome;
}

/** Try again in ``ms`` (replacing an earlier plan). */
export function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => drain().catch((e) => console.warn("outbox", e)), ms);
}

/** After signing in again: send what waited. */
export function resume() {
  authNeeded = false;
  failures = 0;
  schedule(0);
}

/** Entries left in "sending" by a closed app are queued again. */
export async function recover() {
  for (const entry of await entries()) {
    if (entry.state === "sending") await update(entry, { state: "queued" });
  }
}

/** The inspector keeps the phone's version: sent again on the server's current version. */
export async function keepMine(id) {
  const entry = await db.get("outbox", id);
  const etag = entry.server && entry.server.etag;
  await update(entry, { op: "update", base_etag: etag, acked: false, state: "queued", conflict: null, error: null, server: null, attempts: 0 });
  schedule(0);
}

/** The inspector takes the server's version: the phone's change is dropped. */
export async function takeServer(id) {
  const entry = await db.get("outbox", id);
  await db.transact(["outbox", "photos", "records"], "readwrite", async (s) => {
    s.outbox.delete(id);
    for (const photo of entry.photos) s.photos.delete(`${id}/${photo.sha256}`);
    if (entry.server) s.records.put(entry.server);
  });
  changed();
}

/** A draft is dropped (drafts only: queued records are never dropped silently). */
export async function discardDraft(id) {
  const entry = await db.get("outbox", id);
  if (!entry || entry.state !== "draft") return;
  await takeServer(id);
}

/** Queue a draft for sending. */
export async function queueDraft(id) {
  const entry = await db.get("outbox", id);
  if (entry && entry.state === "draft") await update(entry, { state: "queued" });
  schedule(0);
}

window.addEventListener("online", () => {
  failures = 0;
  schedule(0);
});
