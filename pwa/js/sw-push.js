// Reminders in the service worker (a classic script, imported by sw.js): show the notification the
// server sent, and act on a tap. The text comes from the server and never holds anything personal.
// The app's paths come from the server too (self.PusterumPaths, set by sw.js from its configuration).
(function (global) {
  global.addEventListener("push", (event) => {
    let message = {};
    try { message = event.data ? event.data.json() : {}; } catch { message = {}; }
    const title = message.title || "Pusterum";
    const actions = message.actions || {};
    // Where the phone shows no buttons on a notification (iPhone; Notification.maxActions is missing or 0),
    // a tap opens the page that offers the buttons' choices ("in 30 minutes", "not today") instead.
    const buttons = typeof Notification !== "undefined" && Notification.maxActions >= 2;
    const url = (!buttons && message.later_url) || message.url || global.PusterumPaths.start;
    event.waitUntil(global.registration.showNotification(title, {
      body: message.body || "",
      // One reminder on the lock screen at a time: a newer one takes the older one's place (they say the
      // same), and renotify makes the phone sound and show it again, so an unseen first one is not replaced
      // silently; a pile of unread reminders would nag, which a gentle nudge should not.
      tag: message.tag || "pusterum-reminder",
      renotify: true,
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      data: { url },
      actions: buttons ? Object.entries(actions).map(([action, label]) => ({ action, title: label })) : [],
    }));
  });

  // The push service replaced or ended her subscription (rotation, expiry): subscribe again with the same
  // VAPID key and tell the server, which puts the new one in the old one's place. Without this her
  // reminders would stop silently. The key is the old subscription's; if the browser gives none, the server's.
  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  async function applicationServerKey(old) {
    if (old && old.options && old.options.applicationServerKey) return old.options.applicationServerKey;
    const response = await fetch(global.PusterumPaths.pushKey, { credentials: "same-origin" });
    const { key } = await response.json();
    if (!key) throw new Error("the server has no VAPID key");
    return keyBytes(key);
  }

  async function renew(event) {
    const old = event.oldSubscription || null;
    const fresh = event.newSubscription || await global.registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: await applicationServerKey(old),
    });
    await fetch(global.PusterumPaths.renew, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Pusterum": "1" },
      body: JSON.stringify({ old_endpoint: old ? old.endpoint : null, subscription: fresh.toJSON() }),
    });
  }

  global.addEventListener("pushsubscriptionchange", (event) => {
    event.waitUntil(renew(event).catch((error) => console.warn("pusterum: renewing reminders", error)));
  });

  async function tell(action) {
    await fetch(global.PusterumPaths.reminderAction, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Pusterum": "1" },
      body: JSON.stringify({ action }),
    });
  }

  async function open(url) {
    // Logged through the outbox like everything else, so it arrives even if the phone is offline now.
    const id = global.PusterumOutbox.newEventId();
    await global.PusterumOutbox.put({ id, type: "reminder_opened", occurred_at: new Date().toISOString() });
    const windows = await global.clients.matchAll({ type: "window", includeUncontrolled: true });
    const target = new URL(url, global.location.origin).href;
    const existing = windows.find((w) => new URL(w.url).origin === global.location.origin);
    if (existing) {
      await existing.focus();
      if (existing.navigate) await existing.navigate(target);
    } else {
      await global.clients.openWindow(target);
    }
    try { await global.PusterumOutbox.flushOnce(); } catch { /* the page flushes it later */ }
  }

  global.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const url = (event.notification.data && event.notification.data.url) || global.PusterumPaths.start;
    if (event.action === "snooze" || event.action === "not_today") {
      event.waitUntil(tell(event.action).catch(() => {}));
    } else {
      event.waitUntil(open(url));
    }
  });
})(self);
