// The engagement outbox: every event is written to IndexedDB first, then sent in batches.
// Only the ids the server acknowledges are deleted, so nothing is lost to a bad connection.
const DB_NAME = "pusterum";
const STORE = "outbox";
const BATCH = 200;
let dbPromise = null;
let flushing = null;
let retryDelay = 2000;
let retryTimer = null;

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

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function record(type, fields = {}) {
  const event = { id: uuid(), type, occurred_at: new Date().toISOString(), ...fields };
  await withStore("readwrite", (store) => store.put(event));
  showStatus();
  flush();
  return event;
}

export async function pending() {
  return withStore("readonly", (store) => store.count());
}

async function removeIds(ids) {
  if (!ids.length) return;
  await withStore("readwrite", (store) => ids.forEach((id) => store.delete(id)));
}

async function send(events) {
  const response = await fetch("/api/events", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Pusterum": "1" },
    body: JSON.stringify({ events }),
  });
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  return { status: response.status, body };
}

async function flushOnce() {
  if (!navigator.onLine) return false;
  const events = await withStore("readonly", (store) => store.getAll(null, BATCH));
  if (!events || !events.length) return true;
  const { status, body } = await send(events);
  if (status === 200) {
    await removeIds(body.ids);
    return events.length < BATCH ? true : flushOnce();
  }
  if (status === 410 || status === 401) {
    // Withdrawn, or this phone is no longer enrolled: nothing here can ever be saved.
    await withStore("readwrite", (store) => store.clear());
    return true;
  }
  if (status === 409 && body && body.ids) {
    // Reused ids with other content: keep them out of the queue so the rest can go.
    console.warn("pusterum: the server refused", body.ids.length, "conflicting event(s)");
    await removeIds(body.ids);
    return flushOnce();
  }
  if (status >= 400 && status < 500 && status !== 429 && events.length > 1) {
    // One bad event must not block the others: send them one by one to find it.
    for (const event of events) {
      const single = await send([event]);
      if (single.status === 200 || (single.status >= 400 && single.status < 500 && single.status !== 429)) {
        await removeIds([event.id]);
      }
    }
    return true;
  }
  throw new Error(`outbox: server answered ${status}`);
}

export function flush() {
  if (flushing) return flushing;
  flushing = flushOnce()
    .then((done) => { retryDelay = 2000; return done; })
    .catch(() => {
      // Exponential backoff with jitter, capped at five minutes.
      clearTimeout(retryTimer);
      const wait = retryDelay * (0.5 + Math.random());
      retryDelay = Math.min(retryDelay * 2, 300000);
      retryTimer = setTimeout(flush, wait);
      return false;
    })
    .finally(() => { flushing = null; showStatus(); });
  return flushing;
}

async function showStatus() {
  const el = document.querySelector("[data-outbox-status]");
  if (!el) return;
  const count = await pending().catch(() => 0);
  if (!count) { el.hidden = true; return; }
  el.textContent = (count === 1 ? el.dataset.one : el.dataset.many).replace("{n}", count);
  el.hidden = false;
}

export function startAutoFlush() {
  flush();
  window.addEventListener("online", () => flush());
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  setInterval(flush, 60000);
}
