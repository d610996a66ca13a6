// The field app: start-up, the bar (network state, outbox badge, language), sign-in,
// campaigns and "download for offline", and the hash routes to the other views.

import * as api from "./api.js";
import * as db from "./db.js";
import { applyLabels, bilingual, t, toggleLang } from "./i18n.js";
import * as outbox from "./outbox.js";
import { fill, formatBytes, h, notice } from "./ui.js";
import { renderCampaign, renderOutbox } from "./views.js";
import { renderMarkerForm, renderSegmentForm } from "./forms.js";

export const state = { config: null, session: null, position: null, watchers: new Set() };
const view = () => document.getElementById("view");

// -- position ------------------------------------------------------------------------

function watchPosition() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition(
    (p) => {
      state.position = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy, at: p.timestamp };
      for (const listener of state.watchers) listener(state.position);
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 5000 },
  );
}

/** A GPS fix at most 5 s old (rejects after 15 s without one). */
export function currentPosition() {
  return new Promise((resolve, reject) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy }),
      reject,
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 5000 },
    );
  });
}

// -- bar -----------------------------------------------------------------------------

async function refreshBar() {
  const counts = await outbox.counts();
  const badge = document.getElementById("badge");
  badge.textContent = String(counts.waiting);
  badge.classList.toggle("zero", counts.waiting === 0);
  const net = document.getElementById("net");
  net.textContent = navigator.onLine ? t("online") : t("offline");
  net.classList.toggle("offline", !navigator.onLine);
  document.getElementById("back").hidden = !location.hash || location.hash === "#/campaigns";
}

// -- sign-in -------------------------------------------------------------------------

/** Ask for the password; resolves once signed in (the outbox then sends). */
export function askSignIn(reason) {
  const dialog = document.getElementById("signin-dialog");
  document.getElementById("signin-reason").textContent = reason || "";
  document.getElementById("signin-error").textContent = "";
  const form = document.getElementById("signin-form");
  if (state.session) form.username.value = state.session.user.username;
  if (!dialog.open) dialog.showModal();
  return new Promise((resolve) => {
    form.onsubmit = async (event) => {
      event.preventDefault();
      const error = document.getElementById("signin-error");
      if (!navigator.onLine) {
        error.textContent = t("signin_offline");
        return;
      }
      try {
        state.session = await api.signIn(form.username.value.trim(), form.password.value);
      } catch (e) {
        error.textContent = e.kind === "auth" ? t("signin_failed") : bilingual(e.message);
        return;
      }
      form.password.value = "";
      dialog.close();
      outbox.resume();
      resolve(state.session);
    };
  });
}

function onSignInNeeded() {
  if (navigator.onLine) askSignIn(t("signin_again"));
  else notice(t("signin_again"), { sticky: true });
}

// -- campaigns and download ----------------------------------------------------------

async function cacheShell(progress) {
  const cache = await caches.open(state.config.cache);
  let done = 0;
  for (const url of state.config.shell) {
    await cache.add(new Request(url, { cache: "reload" }));
    done += 1;
    progress(done, state.config.shell.length);
  }
}

async function storeBundle(id, bundle, size) {
  await db.transact(["bundles", "records"], "readwrite", async (s) => {
    s.bundles.put({ ...bundle, size_bytes: size, downloaded_at: new Date().toISOString() }, id);
    for (const record of bundle.records) s.records.put(record);
  });
}

const REFRESH_AFTER_MS = 30000;

/**
 * When online, fetch a downloaded campaign again (at most every 30 s unless ``force``), so that review
 * states, reviewers' comments and the team's records reach the phone; resolves to whether
 * anything was fetched. Failures are quiet: the phone keeps what it has.
 */
export async function refreshBundle(id, { force = false } = {}) {
  const have = await db.get("bundles", id);
  const recent = have && Date.now() - Date.parse(have.downloaded_at) < REFRESH_AFTER_MS;
  if (!navigator.onLine || !have || (recent && !force)) return false;
  try {
    const { body, size } = await api.download(`/inspections/campaigns/${encodeURIComponent(id)}/bundle`, () => {});
    await storeBundle(id, body, size);
    return true;
  } catch (e) {
    if (e.kind === "auth") onSignInNeeded();
    return false;
  }
}

async function download(id, row) {
  const bar = h("progress", { class: "progress", max: 100, value: 0 });
  const label = h("div", { class: "muted" }, t("downloading"));
  row.append(bar, label);
  try {
    await cacheShell((done, total) => {
      bar.value = (done / total) * 20;
    });
    const { body, size } = await api.download(`/inspections/campaigns/${encodeURIComponent(id)}/bundle`, (received, total) => {
      bar.value = 20 + (total ? (received / total) * 80 : 40);
      label.textContent = `${t("downloading")} ${formatBytes(received)}${total ? ` / ${formatBytes(total)}` : ""}`;
    });
    await storeBundle(id, body, size);
    bar.value = 100;
    label.textContent = `${t("download_done")} · ${t("size")} ${formatBytes(size)}`;
    notice(t("download_done"));
    await renderCampaigns();
  } catch (e) {
    label.textContent = `${t("download_failed")}: ${bilingual(e.message)}`;
    if (e.kind === "auth") askSignIn(t("signin_again"));
  }
}

async function renderCampaigns() {
  const downloaded = new Map();
  const db_ = await db.database();
  await new Promise((resolve) => {
    const cursor = db_.transaction("bundles").objectStore("bundles").openCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c) return resolve();
      downloaded.set(c.key, c.value);
      c.continue();
    };
  });
  let listed = [];
  if (navigator.onLine && state.session) {
    try {
      listed = (await api.call("/inspections/campaigns")).body;
    } catch (e) {
      if (e.kind === "auth") onSignInNeeded();
    }
  }
  const campaigns = new Map(listed.map((c) => [c.campaign_id, c]));
  for (const [id, b] of downloaded) if (!campaigns.has(id)) campaigns.set(id, b.campaign);
  const items = [...campaigns.values()].map((c) => {
    const have = downloaded.get(c.campaign_id);
    const row = h("li", { class: "card stack", dataset: { campaign: c.campaign_id } });
    const open = have && h("button", { class: "primary", onclick: () => (location.hash = `#/c/${c.campaign_id}/markers`) }, t("open"));
    const get = h("button", { onclick: () => download(c.campaign_id, row), disabled: !navigator.onLine }, t("download"));
    row.append(h("div", { class: "grow" },
      h("div", { class: "marker-no" }, c.name),
      h("div", { class: "muted" }, `${c.campaign_id} · ${c.line_code}`,
        have ? ` · ${t("downloaded")} ${formatBytes(have.size_bytes)} · ${have.markers.length} ${t("markers")}` : "")),
    h("div", { class: "row" }, get, open));
    return row;
  });
  document.getElementById("title").textContent = t("campaigns");
  fill(view(),
    h("p", { class: "muted" }, state.session ? `${state.session.user.display_name} (${state.session.user.username})` : ""),
    items.length ? h("ul", { class: "list", id: "campaigns" }, items) : h("p", {}, t("no_campaigns")),
    h("div", { class: "actions" }, h("button", { onclick: signOut }, t("sign_out"))));
}

async function signOut() {
  await db.remove("kv", "session");
  state.session = null;
  await askSignIn("");
  render();
}

// -- routes --------------------------------------------------------------------------

export async function bundleOf(id) {
  return db.get("bundles", id);
}

export async function render() {
  await refreshBar();
  state.watchers.clear();
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "outbox") return renderOutbox(view());
  if (parts[0] === "c" && parts[1]) {
    const bundle = await bundleOf(parts[1]);
    if (!bundle) return renderCampaigns();
    if (parts[2] === "m") return renderMarkerForm(view(), bundle, parts[3], parts[4]);
    if (parts[2] === "s") return renderSegmentForm(view(), bundle, parts[3], parts[4], parts[5]);
    return renderCampaign(view(), bundle, parts[2] || "markers");
  }
  return renderCampaigns();
}

async function start() {
  applyLabels(document);
  document.getElementById("lang").onclick = () => {
    document.getElementById("lang").textContent = toggleLang() === "en" ? "中" : "EN";
    applyLabels(document);
    if (document.querySelector("form.record")) window.dispatchEvent(new Event("mzfield-lang"));
    else render();
  };
  document.getElementById("outbox-button").onclick = () => (location.hash = "#/outbox");
  document.getElementById("back").onclick = () => history.back();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch((e) => console.warn("sw", e));
  }
  state.config = await (await fetch("/field/config.json")).json();
  db.persist();
  await outbox.recover();
  let pending = null; // the badge follows the outbox at most every 150 ms while it sends
  outbox.events.addEventListener("change", () => {
    pending = pending || setTimeout(() => { pending = null; refreshBar(); }, 150);
  });
  outbox.events.addEventListener("signin", onSignInNeeded);
  window.addEventListener("online", refreshBar);
  window.addEventListener("offline", refreshBar);
  window.addEventListener("hashchange", render);
  watchPosition();
  state.session = await api.session();
  if (!state.session) {
    if (!navigator.onLine) notice(t("signin_offline"), { sticky: true });
    await askSignIn("");
  }
  await render();
  outbox.schedule(0);
  window.mzfield = { ready: true, state, outbox, db };
}

start();
