/* Pusterum's service worker: the app shell from the precache, pages she has opened from the cache
   when the network is gone, exercise audio as whole files with range support, and updates that wait
   until she is between practices. Served at /sw.js with its configuration filled in by the server, which
   also gives it the app's paths, built from the routes' names (server/pwa/assets.py). */
const CONFIG = /*CONFIG*/ { version: "dev", precache: [], modules: {}, offline: "", offlineFilters: "",
                            paths: { pages: "^$", audio: "^$", events: "", reminderAction: "", start: "",
                                     library: "", revision: "", renew: "", pushKey: "" } } /*END*/;

// Read by the scripts imported below (outbox-core.js sends events there, sw-push.js reports taps and renews
// the push subscription there).
self.PusterumPaths = CONFIG.paths;
importScripts(CONFIG.modules["workbox-sw"], CONFIG.modules["outbox-core"], CONFIG.modules["sw-push"]);
workbox.setConfig({ debug: false, modulePathCb: (name) => CONFIG.modules[name] });

// Every module is touched here, while the worker script runs: importScripts is refused later on.
const { precaching, routing, strategies, expiration, cacheableResponse, rangeRequests, core } = workbox;

core.setCacheNameDetails({ prefix: "pusterum", suffix: CONFIG.version });
const PAGES = "pusterum-pages";
const AUDIO = "pusterum-audio";

// The shell. Pages from an older deploy ask for ?v=<old hash>; they get the current file rather than
// nothing, so every page she saved keeps working offline after an update.
// The player's bells are precached too; an <audio> element asks for a byte range, answered from the copy.
precaching.addPlugins([new rangeRequests.RangeRequestsPlugin()]);
precaching.precacheAndRoute(CONFIG.precache, { ignoreURLParametersMatching: [/^v$/] });
precaching.cleanupOutdatedCaches();

// Her own pages: answered from the cache while they are fresh, otherwise network first (content may
// change) with the cached copy when offline.
// Only the participant's pages are listed: staff workspaces and other people's data are never cached.
const PARTICIPANT_PAGES = new RegExp(CONFIG.paths.pages);
const isParticipantPage = (url) => url.origin === self.location.origin && PARTICIPANT_PAGES.test(url.pathname);
const AUDIO_FILES = new RegExp(CONFIG.paths.audio);
const isAudio = (url) => url.origin === self.location.origin && AUDIO_FILES.test(url.pathname);

// Ten minutes: long enough that moving between home, the library and a practice in one sitting costs
// no bytes and no waiting on a poor network, short enough that what changes without her doing anything
// (a new course week, newly published content, a pause set by staff) reaches her soon. What she changes
// herself (language, municipality, a rating form) goes through a POST, which makes every cached page
// stale at once (see below), and a reload always asks the network.
const FRESH_MS = 10 * 60 * 1000;
// When each copy was fetched, by the worker's own clock (the server's Date header may be skewed).
const FETCHED_AT = "x-pusterum-fetched-at";
// Copies fetched before this moment are not fresh: set by her successful POSTs, kept in the pages
// cache itself so that it survives the worker being stopped and started again.
const STALE_MARK = "/__pusterum/pages-stale-before";

async function stamped(response, fetchedAt) {
  const headers = new Headers(response.headers);
  headers.set(FETCHED_AT, String(fetchedAt));
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}

let staleBefore = null;  // cached in memory; read back from the cache when the worker starts
async function pagesStaleBefore() {
  if (staleBefore === null) {
    const mark = await (await caches.open(PAGES)).match(STALE_MARK);
    staleBefore = mark ? Number(await mark.text()) || 0 : 0;
  }
  return staleBefore;
}

async function markPagesStale() {
  staleBefore = Date.now();
  await (await caches.open(PAGES)).put(STALE_MARK, new Response(String(staleBefore)));
}

const pages = new strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 4,
  plugins: [
    new cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
    {
      // Stamped with the moment the request left, so a page fetched before a POST counts as older.
      requestWillFetch: async ({ request, state }) => { state.startedAt = Date.now(); return request; },
      cacheWillUpdate: async ({ response, state }) => response && stamped(response, state.startedAt || Date.now()),
    },
    new expiration.ExpirationPlugin({ maxEntries: 200, purgeOnQuotaError: true }),
  ],
});

async function freshCopy(request) {
  // A reload is her asking for the newest page: never answer it from the cache while online.
  if (request.cache === "no-cache" || request.cache === "reload") return null;
  const cached = await caches.match(request, { cacheName: PAGES });
  if (!cached) return null;
  const fetchedAt = Number(cached.headers.get(FETCHED_AT));
  const age = Date.now() - fetchedAt;
  if (!fetchedAt || age < 0 || age >= FRESH_MS || fetchedAt < await pagesStaleBefore()) return null;
  return cached;
}

// A publish reaches her at her next visit. Before a page is answered from the phone, the worker asks the
// server for the content revision (a few bytes) when she opens the app (no window of ours is open) or at
// most once a minute while she moves around in it; a new revision makes every kept page stale, so this
// navigation and the next ones fetch the new text. Offline, or no answer within two seconds: the kept
// copy, as before. Nothing open is ever reloaded, so a practice in progress runs on untouched.
const REVISION_MARK = "/__pusterum/content-revision";
const REVISION_CHECK_MS = 60 * 1000;
let revisionCheckedAt = 0;
let revisionChangedAt = null;  // when this worker last saw a new revision (kept in the pages cache)

async function knownRevision() {
  const mark = await (await caches.open(PAGES)).match(REVISION_MARK);
  const known = mark ? await mark.json().catch(() => null) : null;
  revisionChangedAt = known ? Number(known.at) || 0 : 0;
  return known;
}

async function lastRevisionChange() {
  if (revisionChangedAt === null) await knownRevision();
  return revisionChangedAt;
}

async function checkRevision() {
  const open = await self.clients.matchAll({ type: "window" });
  if (open.length && Date.now() - revisionCheckedAt < REVISION_CHECK_MS) return;
  revisionCheckedAt = Date.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 2000);
  try {
    const response = await fetch(CONFIG.paths.revision, { cache: "no-store", signal: abort.signal });
    if (!response.ok) return;
    const { revision } = await response.json();
    const known = await knownRevision();
    if (known && known.revision === revision) return;
    // The first revision this phone learns only starts the record: its pages are recent (a new worker).
    const at = known ? Date.now() : 0;
    if (known) await markPagesStale();
    revisionChangedAt = at;
    await (await caches.open(PAGES)).put(REVISION_MARK, new Response(JSON.stringify({ revision, at })));
  } finally {
    clearTimeout(timer);
  }
}

routing.registerRoute(
  ({ request, url }) => request.mode === "navigate" && isParticipantPage(url),
  async (options) => {
    if (await freshCopy(options.request).catch(() => null)) await checkRevision().catch(() => {});
    return (await freshCopy(options.request).catch(() => null)) || pages.handle(options);
  },
);

// Anything she sends (a form: language, municipality, consent, a rating) may change what her pages
// show, so once the server has answered, every cached page is stale and the next navigation is
// fetched. The copies stay for offline use. The outbox's event batches change no page.
self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method === "GET" || request.method === "HEAD" || url.origin !== self.location.origin
      || url.pathname === CONFIG.paths.events) return;
  event.respondWith(fetch(request).then(async (response) => {
    if (response.type === "opaqueredirect" || response.status < 400) await markPagesStale();
    return response;
  }));
});

// Audio: stored whole (status 200), then served by byte range from the cache, so seeking works offline.
routing.registerRoute(
  ({ url }) => isAudio(url),
  new strategies.CacheFirst({
    cacheName: AUDIO,
    plugins: [
      new cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
      new rangeRequests.RangeRequestsPlugin(),
      new expiration.ExpirationPlugin({ maxEntries: 60, purgeOnQuotaError: true }),
    ],
  }),
);

// A page we never saw, while offline: the offline page, which says what still works. A filtered library
// list the phone has not kept gets its own version of it, saying that filters need the network (rather
// than another list standing in for the one she chose).
routing.setCatchHandler(async ({ request, url }) => {
  if (request.mode === "navigate") {
    const filtered = url && url.pathname === CONFIG.paths.library && url.search;
    const offline = (filtered && await precaching.matchPrecache(CONFIG.offlineFilters))
      || await precaching.matchPrecache(CONFIG.offline);
    if (offline) return offline;
  }
  return Response.error();
});

async function cacheUrls(urls) {
  const pagesCache = await caches.open(PAGES);
  const audioCache = await caches.open(AUDIO);
  await Promise.all(urls.map(async (url) => {
    try {
      const target = new URL(url, self.location.origin);
      const audio = isAudio(target);
      if (!audio && !isParticipantPage(target)) return;  // the allowlist holds here too
      const cache = audio ? audioCache : pagesCache;
      const kept = await cache.match(url);
      // A kept page is fetched again once newer content was published (audio files never change in place).
      if (kept && (audio || Number(kept.headers.get(FETCHED_AT)) >= await lastRevisionChange())) return;
      const fetchedAt = Date.now();
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.status !== 200) return;
      await cache.put(url, cache === pagesCache ? await stamped(response, fetchedAt) : response);
    } catch {
      // Offline or refused: the next visit tries again.
    }
  }));
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "CACHE_URLS" && Array.isArray(data.urls)) {
    event.waitUntil(cacheUrls(data.urls.filter((u) => typeof u === "string" && u.startsWith("/"))));
  } else if (data.type === "CLAIM") {
    // A page that loaded while this worker was still activating asks to be controlled now, so the
    // first visit already works offline (claim() at activation can miss a page that was mid-navigation).
    event.waitUntil(self.clients.claim());
  } else if (data.type === "PAGES_STALE") {
    // She finished a practice: the library's "done" mark and "recently used" change, so kept pages are
    // fetched again at her next navigation (the copies stay for offline use).
    event.waitUntil(markPagesStale());
  } else if (data.type === "SKIP_WAITING") {
    // Only the page decides when: between practices, never in the middle of one.
    self.skipWaiting();
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
