// Turning reminders on needs what only script can do: ask for permission after her tap, subscribe this
// browser with the server's VAPID key, hand the subscription to the server, and send a test. Each stage is
// said on the page as it starts (asking, setting up, saving), and each way it can end has its own words,
// all rendered by the server in her language (data-word). Where to send it and where to go next are rendered
// by the server from the routes' names (data-*-url). Off also unsubscribes here.
const WAIT_MS = 20000;  // a stage that takes longer than this is not coming: say so rather than wait for ever

class Refusal extends Error {
  constructor(word) { super(word); this.word = word; }
}

function keyBytes(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function inTime(promise) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Refusal("failed")), WAIT_MS))]);
}

function post(url, body) {
  return fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Pusterum": "1" },
    body: JSON.stringify(body),
  });
}

// Safari on an iPhone or iPad shows reminders only from the home-screen app (iOS 16.4 and later). iPadOS
// says it is a Mac; its touch points give it away.
function iosOutsideHomeScreen() {
  const ua = navigator.userAgent;
  const ios = /iphone|ipad|ipod/i.test(ua) || (/macintosh/i.test(ua) && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  return ios && !standalone;
}

async function turnOn(root, say) {
  say("asking");
  const permission = await Notification.requestPermission();
  if (permission === "denied") throw new Refusal("denied");
  if (permission !== "granted") throw new Refusal("dismissed");
  say("subscribing");
  const registration = await inTime(navigator.serviceWorker.ready);
  const fresh = () => inTime(registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: keyBytes(root.dataset.vapidKey),
  }));
  const existing = await registration.pushManager.getSubscription();
  const subscription = existing || await fresh();
  say("saving");
  let response = await post(root.dataset.subscribeUrl, subscription.toJSON());
  if (response.status === 409 && existing) {
    // This browser's subscription belongs to whoever joined on it before her, and the server never moves
    // it: ending it here ends theirs too, and a fresh one (a new endpoint) becomes hers.
    await existing.unsubscribe();
    response = await post(root.dataset.subscribeUrl, (await fresh()).toJSON());
  }
  if (!response.ok) throw new Refusal("failed");
}

async function sendTest(root) {
  const registration = await inTime(navigator.serviceWorker.ready);
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription) return null;
  const response = await post(root.dataset.testUrl, { endpoint: subscription.endpoint });
  if (response.ok) return "";
  const answer = await response.json().catch(() => ({}));
  return answer.error || null;  // the server's own words, in her language (e.g. "wait a few seconds")
}

export function initReminders(root) {
  const words = {};
  root.querySelectorAll("[data-word]").forEach((el) => { words[el.dataset.word] = el.textContent.trim(); });
  const progress = root.querySelector("[data-reminders-progress]");
  const problem = root.querySelector("[data-reminders-problem]");
  const say = (word) => { progress.textContent = words[word]; problem.hidden = true; };
  const refuse = (word) => { progress.textContent = ""; problem.textContent = words[word]; problem.hidden = false; };
  // Not an error but the way on: this browser or phone cannot do it here, and the button would only disappoint.
  const note = (word) => {
    const where = root.querySelector("[data-reminders-note]");
    where.textContent = words[word];
    where.hidden = false;
  };

  const on = root.querySelector("[data-reminders-on]");
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window
    && root.dataset.vapidKey;
  if (on) {
    if (iosOutsideHomeScreen()) {
      note("ios");
    } else if (!supported) {
      note("unsupported");
    } else {
      on.hidden = false;
      root.querySelector("[data-reminders-explain]").hidden = false;
      on.addEventListener("click", async () => {
        on.disabled = true;
        try {
          await turnOn(root, say);
          say("done");
          window.location.assign(root.dataset.onUrl);
        } catch (error) {
          console.warn("pusterum: reminders", error);
          refuse(error instanceof Refusal ? error.word : "failed");
          on.disabled = false;
        }
      });
    }
  }

  const test = document.querySelector("[data-reminders-test]");
  const testProgress = document.querySelector("[data-reminders-test-progress]");
  if (test && supported) {
    test.hidden = false;
    test.addEventListener("click", async () => {
      test.disabled = true;
      testProgress.textContent = words["test-sending"];
      let said = null;
      try { said = await sendTest(root); } catch (error) { console.warn("pusterum: test reminder", error); }
      testProgress.textContent = said === "" ? words["test-sent"] : said || words["test-failed"];
      test.disabled = false;
    });
  }

  const off = document.querySelector("[data-reminders-off]");
  if (off) {
    off.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const registration = await inTime(navigator.serviceWorker.ready);
        const subscription = await registration.pushManager.getSubscription();
        if (subscription) await subscription.unsubscribe();
      } catch { /* the server deletes it either way */ }
      off.submit();
    });
  }
}
