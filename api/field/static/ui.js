// Building the page from data without ever parsing it as HTML: every value reaches the page
// as a text node or a property (never parsed as markup), which the CSP of /field/ backs up.

import { t } from "./i18n.js";

/** An element: ``h("li", {class: "x", onclick: f}, "text", child)``. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" || (typeof value !== "string" && key in el)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A label that follows the language toggle (``data-i18n``, see i18n.applyLabels). */
export function L(key) {
  return h("span", { dataset: { i18n: key } }, t(key));
}

/** Replace the children of ``parent``. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) parent.append(child);
  }
  return parent;
}

let noticeTimer = null;

/** A short message under the bar (``sticky`` keeps it until replaced). */
export function notice(text, { sticky = false } = {}) {
  const box = document.getElementById("notice");
  box.textContent = text;
  box.hidden = !text;
  clearTimeout(noticeTimer);
  if (text && !sticky) noticeTimer = setTimeout(() => (box.hidden = true), 6000);
}

/** "1.2 MB", "35 kB". */
export function formatBytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1024))} kB`;
}

/** A new client UUID (crypto.randomUUID, RFC 4122 v4). */
export function newId() {
  return crypto.randomUUID();
}

/** Now in UTC to the second, as the server stores it ("2025-04-08T01:30:00Z"). */
export function nowUtc() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}
