// The outbox's storage, sending and event ids, shared by the page (outbox.js imports this file for its
// effect) and the service worker (importScripts), so Background Sync sends exactly what the page would.
// A classic script on purpose: no import/export, it only sets self.PusterumOutbox.
// It sends to self.PusterumPaths.events, a path the server builds from the route's name: the worker has it
// from its configuration (sw.js), the page from <body data-events-url> (outbox.js).
(function (global) {
  const DB_NAME = "pusterum";
  const STORE = "outbox";
  const BATCH = 200;
  let dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function withStore(mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  async function removeIds(ids) {
    if (!ids.length) return;
    await withStore("readwrite", (store) => ids.forEach((id) => store.delete(id)));
  }

  function eventsUrl() {
    const url = global.PusterumPaths && global.PusterumPaths.events;
    if (!url) throw new Error("outbox: no address to send to yet");  // kept, and sent by the next page or the worker
    return url;
  }

  async function send(events) {
    const response = await fetch(eventsUrl(), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Pusterum": "1" },
      // sent_at lets the server see how wrong this phone's clock is, and correct the times.
      body: JSON.stringify({ events, sent_at: new Date().toISOString() }),
    });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    if (response.status === 429 || response.status === 503) holdUntil(response.headers.get("Retry-After"));
    return { status: response.status, body };
  }

  // After a 429 or a 503 nothing is sent before the server's Retry-After has passed (the events stay
  // queued): a limit is counted per minute and per day, and a database that cannot write now will not
  // sooner, so trying earlier is refused again and only adds load.
  let notBefore = 0;
  const FALLBACK_WAIT = 60;  // seconds, when the answer has no readable Retry-After

  function holdUntil(header) {
    let seconds = Number(header);
    if (!Number.isFinite(seconds) || seconds < 0) {
      const at = Date.parse(header || "");  // Retry-After may also be an HTTP date
      seconds = Number.isFinite(at) ? (at - Date.now()) / 1000 : FALLBACK_WAIT;
    }
    notBefore = Math.max(notBefore, Date.now() + Math.max(1, seconds) * 1000);
  }

  class RetryLater extends Error {
    constructor(ms) {
      super(`outbox: the server asked us to wait ${Math.ceil(ms / 1000)} s`);
      this.retryAfterMs = ms;
    }
  }

  function waitIfAsked() {
    const wait = notBefore - Date.now();
    if (wait > 0) throw new RetryLater(wait);
  }

  const refused = (status) => status >= 400 && status < 500 && status !== 429;
  let failures = 0;  // 5xx answers in a row: after two, the batch is split (see sendSplit)

  // Sends what the server cannot take in halves, then halves of halves: one event that makes the server
  // fail (a bug, a poisoned row) then holds back only itself, and everything else is saved.
  async function sendSplit(events) {
    waitIfAsked();  // a half answered 429: the other half waits too
    const { status, body } = await send(events);
    if (status === 200) return removeIds(body.ids);
    if (refused(status)) return removeIds(body && body.ids ? body.ids : events.map((e) => e.id));
    if (status >= 500 && status !== 503 && events.length > 1) {
      const half = Math.ceil(events.length / 2);
      await sendSplit(events.slice(0, half));
      await sendSplit(events.slice(half));
    }
  }

  // Sends everything queued; resolves true when the queue is empty, throws when it should be retried.
  async function flushOnce() {
    if (global.navigator && global.navigator.onLine === false) return false;
    const events = await withStore("readonly", (store) => store.getAll(null, BATCH));
    if (!events || !events.length) return true;
    waitIfAsked();
    const { status, body } = await send(events);
    if (status === 200) {
      failures = 0;
      await removeIds(body.ids);  // only what the server says it holds
      return events.length < BATCH ? true : flushOnce();
    }
    if (status === 410 || status === 401) {
      // Withdrawn, or this phone is no longer enrolled: nothing here can ever be saved.
      await withStore("readwrite", (store) => store.clear());  // forget.js then removes the rest
      if (status === 410 && global.dispatchEvent && typeof CustomEvent === "function") {
        global.dispatchEvent(new CustomEvent("pusterum:withdrawn"));
      }
      return true;
    }
    if (refused(status) && body && body.ids && body.ids.length) {
      // The server names the events it can never take (reused ids, an impossible time, a control
      // character): reported, then kept out of the queue so the rest can go.
      console.warn("pusterum: the server refused", body.ids.length, "event(s) with", status);
      await removeIds(body.ids);
      return flushOnce();
    }
    if (refused(status)) {
      // Refused without naming which: send them one by one to find it (one alone is the one).
      for (const event of events) {
        const single = events.length > 1 ? await send([event]) : { status };
        if (single.status === 200 || refused(single.status)) await removeIds([event.id]);
      }
      return true;
    }
    // 429 (a limit) and 503 (the database cannot write now) say when to come back: kept, tried then.
    if (status === 429 || status === 503) waitIfAsked();  // throws RetryLater
    if (status >= 500 && status !== 503 && events.length > 1 && ++failures >= 2) {  // 503: the database, not an event
      failures = 0;
      await sendSplit(events);
    }
    throw new Error(`outbox: server answered ${status}`);
  }

  // Event ids are the server's idempotency key and must be UUIDs. Made here, the one script both the
  // page and the worker load. crypto.randomUUID is missing in older browsers (Safari before 15.4) and
  // outside a secure context; getRandomValues is not, so a version-4 UUID is built from its bytes.
  function newEventId() {
    const crypto = global.crypto;
    if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;  // version 4
    b[8] = (b[8] & 0x3f) | 0x80;  // variant 10xx (RFC 4122)
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  global.PusterumOutbox = {
    newEventId,
    put: (event) => withStore("readwrite", (store) => store.put(event)),
    pending: () => withStore("readonly", (store) => store.count()),
    flushOnce,
  };
})(self);
