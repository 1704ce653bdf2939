// The engagement outbox: every event is written to IndexedDB first, then sent in batches.
// Only the ids the server acknowledges are deleted, so nothing is lost to a bad connection.
import "./outbox-core.js";

// Where outbox-core sends the events: rendered by the server from the route's name (base.html).
self.PusterumPaths = { ...self.PusterumPaths, events: document.body.dataset.eventsUrl };

const core = self.PusterumOutbox;
let flushing = null;
let retryDelay = 2000;
let retryTimer = null;

// Every event id on the page comes from here (the player's marker too): see outbox-core.js.
export const newEventId = core.newEventId;

export async function record(type, fields = {}) {
  const event = { id: newEventId(), type, occurred_at: new Date().toISOString(), ...fields };
  await core.put(event);
  showStatus();
  flush();
  return event;
}

export const pending = () => core.pending();

function askForBackgroundSync() {
  // Chromium sends the queue even after the page is closed; Safari and Firefox do not, so this is a bonus.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register("pusterum-outbox"))
      .catch(() => {});
  }
}

export function flush() {
  if (flushing) return flushing;
  flushing = core.flushOnce()
    .then((done) => {
      retryDelay = 2000;
      if (done === false) askForBackgroundSync();  // offline: let the worker send it later
      return done;
    })
    .catch((error) => {
      // Exponential backoff with jitter, capped at five minutes; never sooner than a 429's Retry-After.
      askForBackgroundSync();
      clearTimeout(retryTimer);
      const asked = (error && error.retryAfterMs) || 0;
      const wait = Math.max(asked, retryDelay * (0.5 + Math.random()));
      if (!asked) retryDelay = Math.min(retryDelay * 2, 300000);
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
