/* Pusterum's service worker: the app shell from the precache, pages she has opened from the cache
   when the network is gone, exercise audio as whole files with range support, and updates that wait
   until she is between practices. Served at /sw.js with its configuration filled in by the server. */
const CONFIG = /*CONFIG*/ { version: "dev", precache: [], modules: {}, offline: "/static/offline.html" } /*END*/;

importScripts(CONFIG.modules["workbox-sw"], CONFIG.modules["outbox-core"]);
workbox.setConfig({ debug: false, modulePathCb: (name) => CONFIG.modules[name] });

// Every module is touched here, while the worker script runs: importScripts is refused later on.
const { precaching, routing, strategies, expiration, cacheableResponse, rangeRequests, core } = workbox;

core.setCacheNameDetails({ prefix: "pusterum", suffix: CONFIG.version });
const PAGES = "pusterum-pages";
const AUDIO = "pusterum-audio";

// The shell. Pages from an older deploy ask for ?v=<old hash>; they get the current file rather than
// nothing, so every page she saved keeps working offline after an update.
precaching.precacheAndRoute(CONFIG.precache, { ignoreURLParametersMatching: [/^v$/] });
precaching.cleanupOutdatedCaches();

// Her own pages: network first (content may change), the cached copy when offline.
// Only the participant's pages are listed: staff workspaces and other people's data are never cached.
const PARTICIPANT_PAGES = /^\/(home|library|support|about|settings|exercises\/[a-z0-9-]+(\/(play|done|thanks))?)?$/;
const pages = new strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 4,
  plugins: [
    new cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
    new expiration.ExpirationPlugin({ maxEntries: 200, purgeOnQuotaError: true }),
  ],
});
routing.registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.origin === self.location.origin
    && PARTICIPANT_PAGES.test(url.pathname),
  pages,
);

// Audio: stored whole (status 200), then served by byte range from the cache, so seeking works offline.
routing.registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/audio/"),
  new strategies.CacheFirst({
    cacheName: AUDIO,
    plugins: [
      new cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
      new rangeRequests.RangeRequestsPlugin(),
      new expiration.ExpirationPlugin({ maxEntries: 60, purgeOnQuotaError: true }),
    ],
  }),
);

// A page we never saw, while offline: the offline page, which says what still works.
routing.setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    const offline = await precaching.matchPrecache(CONFIG.offline);
    if (offline) return offline;
  }
  return Response.error();
});

async function cacheUrls(urls) {
  const pagesCache = await caches.open(PAGES);
  const audioCache = await caches.open(AUDIO);
  await Promise.all(urls.map(async (url) => {
    try {
      const cache = url.startsWith("/audio/") ? audioCache : pagesCache;
      if (await cache.match(url)) return;
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.status === 200) await cache.put(url, response);
    } catch {
      // Offline or refused: the next visit tries again.
    }
  }));
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "CACHE_URLS" && Array.isArray(data.urls)) {
    event.waitUntil(cacheUrls(data.urls.filter((u) => typeof u === "string" && u.startsWith("/"))));
  } else if (data.type === "SKIP_WAITING") {
    // Only the page decides when: between practices, never in the middle of one.
    self.skipWaiting();
  } else if (data.type === "CLEAR") {
    // Withdrawal: nothing of hers stays on the phone.
    event.waitUntil(Promise.all([
      caches.keys().then((keys) => Promise.all(keys.map((k) => caches.delete(k)))),
      self.PusterumOutbox.clear(),
    ]));
  }
});

// Workbox's own cleanup knows only its older naming; caches of previous deploys carry another version
// suffix, so remove every versioned cache that is not this deploy's (pages and audio are kept).
self.addEventListener("activate", (event) => event.waitUntil((async () => {
  const keep = new Set([PAGES, AUDIO]);
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith("pusterum-") && !keep.has(n) && !n.endsWith(`-${CONFIG.version}`))
    .map((n) => caches.delete(n)));
  await self.clients.claim();
})()));

// Background Sync where the browser has it (Chromium): the worker sends the queue itself, even with
// no page open. A rejection makes the browser try again later; the server stores each event once.
self.addEventListener("sync", (event) => {
  if (event.tag === "pusterum-outbox") {
    event.waitUntil(self.PusterumOutbox.flushOnce().then((done) => {
      if (done === false) throw new Error("offline");
    }));
  }
});
