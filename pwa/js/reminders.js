// Turning reminders on needs what only script can do: ask for permission after her tap, subscribe this
// browser with the server's VAPID key, and hand the subscription to the server. Off also unsubscribes here.
// Where to send it and where to go next are rendered by the server from the routes' names (data-*-url).
function keyBytes(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function send(root, subscription) {
  return fetch(root.dataset.subscribeUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Pusterum": "1" },
    body: JSON.stringify(subscription.toJSON()),
  });
}

async function turnOn(root) {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("notifications not allowed");
  const registration = await navigator.serviceWorker.ready;
  const fresh = () => registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: keyBytes(root.dataset.vapidKey),
  });
  const existing = await registration.pushManager.getSubscription();
  let response = await send(root, existing || await fresh());
  if (response.status === 409 && existing) {
    // This browser's subscription belongs to whoever joined on it before her, and the server never moves
    // it: ending it here ends theirs too, and a fresh one (a new endpoint) becomes hers.
    await existing.unsubscribe();
    response = await send(root, await fresh());
  }
  if (!response.ok) throw new Error(`server answered ${response.status}`);
}

export function initReminders(root) {
  const on = root.querySelector("[data-reminders-on]");
  const off = root.querySelector("[data-reminders-off]");
  const ios = /iphone|ipad|ipod/i.test(navigator.userAgent);
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window
    && root.dataset.vapidKey && !(ios && !standalone);
  if (on) {
    if (!supported) {
      root.querySelector("[data-reminders-unsupported]").hidden = false;
    } else {
      on.hidden = false;
      on.addEventListener("click", async () => {
        on.disabled = true;
        try {
          await turnOn(root);
          window.location.assign(root.dataset.savedUrl);
        } catch (error) {
          console.warn("pusterum: reminders", error);
          root.querySelector("[data-reminders-error]").hidden = false;
          on.disabled = false;
        }
      });
    }
  }
  if (off) {
    off.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const registration = await navigator.serviceWorker.ready;
        const subscription = await registration.pushManager.getSubscription();
        if (subscription) await subscription.unsubscribe();
      } catch { /* the server deletes it either way */ }
      off.submit();
    });
  }
}
