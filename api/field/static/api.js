// The /inspections API as the field app calls it: bearer token, a time limit on every call,
// and one classification of failures the outbox acts on.

import * as db from "./db.js";

const TIMEOUT_MS = 20000;

/** A failed call: ``kind`` is network | auth | conflict | precondition | invalid | server. */
export class ApiError extends Error {
  constructor(kind, status, body) {
    super((body && body.detail) || `${kind} ${status || ""}`.trim());
    this.kind = kind;
    this.status = status;
    this.body = body;
  }
}

function kindOf(status) {
  if (status === 401) return "auth";
  if (status === 409) return "conflict";
  if (status === 412) return "precondition";
  if (status === 403 || status === 404 || status === 413 || status === 415) return "invalid";
  if (status === 422 || status === 428 || status === 400) return "invalid";
  return "server"; // 5xx, 429: try again later
}

export async function session() {
  return (await db.get("kv", "session")) || null;
}

/** ``fetch`` with the session's token; JSON in and out; :class:`ApiError` on failure. */
export async function call(path, { method = "GET", json, form, headers = {}, token } = {}) {
  const current = token === undefined ? await session() : null;
  const bearer = token ?? (current && current.token);
  const init = { method, headers: { Accept: "application/json", ...headers }, cache: "no-store" };
  if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  init.signal = controller.signal;
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError("network", 0, { detail: String(error) });
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(kindOf(response.status), response.status, body);
  return { status: response.status, body, etag: response.headers.get("ETag") };
}

/** Sign in with a password: the session (token, its expiry, the user) is stored. */
export async function signIn(username, password) {
  const form = new URLSearchParams({ username, password });
  const init = { method: "POST", body: form, cache: "no-store" };
  let response;
  try {
    response = await fetch("/auth/token", init);
  } catch (error) {
    throw new ApiError("network", 0, { detail: String(error) });
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(kindOf(response.status), response.status, body);
  const me = await call("/users/me", { token: body.access_token });
  const value = { token: body.access_token, expires_at: body.expires_at, user: me.body };
  await db.put("kv", value, "session");
  return value;
}

/** Whether the session's token is past its expiry by the phone's clock. */
export function expired(current) {
  return !current || !current.token || Date.parse(current.expires_at) <= Date.now();
}

/** Download ``path`` reporting ``progress(received, total)``; resolves to the parsed JSON. */
export async function download(path, progress) {
  const current = await session();
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${current.token}`, Accept: "application/json" },
    cache: "no-store",
  });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(kindOf(response.status), response.status, body);
  }
  const total = Number(response.headers.get("Content-Length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    progress(received, total);
  }
  const text = await new Blob(chunks).text();
  return { body: JSON.parse(text), size: received };
}
