// Installable app: registers the service worker, offers updates only between practices, helps her
// put Pusterum on the home screen, and asks the worker to keep this week's and next week's practices.
import { ACTIVE_KEY } from "./recovery.js";

let updateRequested = false;

function practiceRunning() {
  return localStorage.getItem(ACTIVE_KEY) !== null;
}

function offerUpdate(registration) {
  if (practiceRunning()) {
    // Never in the middle of a practice: wait until it ends.
    window.addEventListener("pusterum:practice-finished", () => offerUpdate(registration), { once: true });
    return;
  }
  const banner = document.querySelector("[data-update-banner]");
  const apply = () => {
    if (!registration.waiting) return;
    updateRequested = true;
    registration.waiting.postMessage({ type: "SKIP_WAITING" });
  };
  if (banner) {
    banner.hidden = false;
    banner.querySelector("button").addEventListener("click", apply, { once: true });
  }
  // Quietly, when she puts the phone away between practices.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && !practiceRunning()) apply();
  });
}

function prefetch(registration, uncontrolled) {
  const urls = [...document.querySelectorAll("[data-prefetch]")].flatMap((el) => {
    try { return JSON.parse(el.dataset.prefetch); } catch { return []; }
  });
  // A page loaded before the worker took over (her first visit) never passed through it: kept now, so the
  // page she is on opens offline too (the worker keeps only her own pages).
  if (uncontrolled) urls.push(location.pathname + location.search);
  if (urls.length && registration.active) registration.active.postMessage({ type: "CACHE_URLS", urls });
}

function installHelp() {
  const button = document.querySelector("[data-install-button]");
  const ios = document.querySelector("[data-install-ios]");
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  if (standalone) {
    document.querySelectorAll("[data-install]").forEach((el) => { el.hidden = true; });
    return;
  }
  if (ios && /iphone|ipad|ipod/i.test(navigator.userAgent)) ios.hidden = false;
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();  // shown only when she asks, never as a surprise
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", () => event.prompt(), { once: true });
  });
}

// A page answered from the phone while there is no network says so, so an older copy is not taken for news.
function offlineNote() {
  const note = document.querySelector("[data-offline-note]");
  if (!note) return;
  const show = () => { note.hidden = navigator.onLine; };
  show();
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
}

export function initPwa() {
  installHelp();
  offlineNote();
  if (!("serviceWorker" in navigator)) return;
  // A finished practice changes her library ("done", "recently used"): the worker's kept pages go stale.
  window.addEventListener("pusterum:practice-finished", () => {
    if (navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "PAGES_STALE" });
  });
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (updateRequested) window.location.reload();
  });
  // The worker's path is rendered by the server from the route's name; a page saved before it carried one
  // leaves the registration as it is (the browser still checks the worker for updates on its own).
  const script = document.body.dataset.workerUrl;
  if (!script) return;
  navigator.serviceWorker.register(script, { scope: "/", updateViaCache: "none" }).then((registration) => {
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(registration);
      });
    });
    navigator.serviceWorker.ready.then((ready) => {
      const uncontrolled = !navigator.serviceWorker.controller;
      if (uncontrolled && ready.active) ready.active.postMessage({ type: "CLAIM" });
      prefetch(ready, uncontrolled);
    });
  }).catch((error) => console.warn("pusterum: no service worker", error));
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then((persisted) => persisted || navigator.storage.persist()).catch(() => {});
  }
}
