// The phone's own storage (IndexedDB): everything survives closing the app or a restart.
//
//   kv       session (token, user), settings
//   bundles  the downloaded campaigns (offline bundle), by campaign id
//   outbox   records not yet acknowledged by the server, one entry per record id
//   photos   photo blobs waiting for upload, by "record_id/sha256"
//   records  the server's versions of the campaign's records (from bundles and answers)

const NAME = "mzgis-field";
const VERSION = 1;
const STORES = {
  kv: {},
  bundles: {},
  outbox: { keyPath: "record_id" },
  photos: { keyPath: "key" },
  records: { keyPath: "record_id" },
};

let opened = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** The open database (opened once, upgraded when needed). */
export function database() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const [name, options] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, options);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

/**
 * Run ``work(stores)`` in one transaction over ``names``; resolves once it committed.
 * ``durability`` "strict" (the default) resolves only once the data is on disk: what a
 * person saved must survive a crash. "relaxed" is for steps that are safe to lose and
 * repeat (the outbox's progress marks: a lost one means a replay, which the server
 * answers by the record's UUID and the photo's hash).
 */
export async function transact(names, mode, work, { durability = "strict" } = {}) {
  const db = await database();
  const tx = db.transaction(names, mode, { durability });
  const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
  const result = await work(stores, promised);
  await done;
  return result;
}

export function get(store, key) {
  return transact([store], "readonly", (s) => promised(s[store].get(key)));
}

export function all(store) {
  return transact([store], "readonly", (s) => promised(s[store].getAll()));
}

export function put(store, value, key, options) {
  return transact([store], "readwrite", (s) =>
    promised(key === undefined ? s[store].put(value) : s[store].put(value, key)), options,
  );
}

export function remove(store, key) {
  return transact([store], "readwrite", (s) => promised(s[store].delete(key)));
}

/** Ask the browser to keep this site's storage under pressure (best effort). */
export async function persist() {
  if (navigator.storage && navigator.storage.persist) {
    try {
      return await navigator.storage.persist();
    } catch {
      return false;
    }
  }
  return false;
}
