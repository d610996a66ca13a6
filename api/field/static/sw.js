// The field app's service worker: the app shell is served from the cache first, so the app
// opens with no signal; everything else (the /inspections API) goes to the network, where
// the outbox handles failures. The server fills in the cache name (a hash of the shell's
// contents, so a new version of any file installs a new worker) and the shell's URLs.

const CACHE = "__CACHE__";
const SHELL = __SHELL__;
const ALIASES = { "/field": "/field/", "/field/index.html": "/field/" };

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("mzgis-field-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

async function cacheFirst(key, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  if (hit) return hit;
  const answer = await fetch(request);
  if (answer.ok) await cache.put(key, answer.clone());
  return answer;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const key = ALIASES[url.pathname] || url.pathname;
  if (!SHELL.includes(key)) return;
  event.respondWith(cacheFirst(key, request));
});
