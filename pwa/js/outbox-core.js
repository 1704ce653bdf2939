// The outbox's storage and sending, shared by the page (outbox.js imports this file for its effect)
// and the service worker (importScripts), so Background Sync sends exactly what the page would.
// A classic script on purpose: no import/export, it only sets self.PusterumOutbox.
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

  async function send(events) {
    const response = await fetch("/api/events", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Pusterum": "1" },
      // sent_at lets the server see how wrong this phone's clock is, and correct the times.
      body: JSON.stringify({ events, sent_at: new Date().toISOString() }),
    });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { status: response.status, body };
  }

  // Sends everything queued; resolves true when the queue is empty, throws when it should be retried.
  async function flushOnce() {
    if (global.navigator && global.navigator.onLine === false) return false;
    const events = await withStore("readonly", (store) => store.getAll(null, BATCH));
    if (!events || !events.length) return true;
    const { status, body } = await send(events);
    if (status === 200) {
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
    if (status === 409 && body && body.ids) {
      // Reused ids with other content: reported, then kept out of the queue so the rest can go.
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

  global.PusterumOutbox = {
    put: (event) => withStore("readwrite", (store) => store.put(event)),
    pending: () => withStore("readonly", (store) => store.count()),
    flushOnce,
  };
})(self);
