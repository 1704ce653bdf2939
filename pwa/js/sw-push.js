// Reminders in the service worker (a classic script, imported by sw.js): show the notification the
// server sent, and act on a tap. The text comes from the server and never holds anything personal.
// The app's paths come from the server too (self.PusterumPaths, set by sw.js from its configuration).
(function (global) {
  global.addEventListener("push", (event) => {
    let message = {};
    try { message = event.data ? event.data.json() : {}; } catch { message = {}; }
    const title = message.title || "Pusterum";
    const actions = message.actions || {};
    event.waitUntil(global.registration.showNotification(title, {
      body: message.body || "",
      tag: message.tag || "pusterum-reminder",  // a newer reminder replaces an older one on the lock screen
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      data: { url: message.url || global.PusterumPaths.start },
      actions: Object.entries(actions).map(([action, label]) => ({ action, title: label })),
    }));
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
