// What lets her practise with her eyes closed: a soft bell at each new step and at the end, the screen
// kept awake while a practice plays, the practice's title and controls on the lock screen, and a
// near-silent loop that keeps the page "playing sound" so the bells still ring with the screen locked
// where the phone allows it (README, "Guided by sound"). Nothing here plays before her first tap on Start:
// browsers refuse sound without a gesture, and she should never be surprised by it.

// Her choice, kept on the phone (withdrawal clears it with everything else).
export const SOUND_KEY = "pusterum.sound";

export function soundWanted() {
  try { return localStorage.getItem(SOUND_KEY) !== "off"; } catch { return true; }
}

function rememberSound(on) {
  try { localStorage.setItem(SOUND_KEY, on ? "on" : "off"); } catch { /* storage may be disabled */ }
}

// A voice in her language: Danish from Denmark first, then any Danish; for English, British first, then
// any English. No voice in another language: a Danish text read by an English voice helps no one.
export function pickVoice(voices, lang) {
  const tag = (v) => String(v.lang || "").replace("_", "-").toLowerCase();
  const [exact, family] = lang === "da" ? ["da-dk", "da"] : ["en-gb", "en"];
  return voices.find((v) => tag(v) === exact)
    || voices.find((v) => tag(v) === family || tag(v).startsWith(`${family}-`))
    || null;
}

export function createGuidance(root, { title, artwork, actions, wantsCarrier }) {
  const bell = root.querySelector("[data-bell]");
  const endBell = root.querySelector("[data-bell-end]");
  const carrier = root.querySelector("[data-carrier]");
  const soundBox = root.querySelector("[data-sound]");
  const session = "mediaSession" in navigator ? navigator.mediaSession : null;
  let running = false;
  let primed = null;
  let lock = null;

  if (soundBox) {
    soundBox.checked = soundWanted();
    root.querySelector("[data-sound-wrap]").hidden = false;
    soundBox.addEventListener("change", () => {
      rememberSound(soundBox.checked);
      if (!soundBox.checked) { bell.pause(); endBell.pause(); }
      hold();
    });
  }
  const soundOn = () => Boolean(soundBox && soundBox.checked);

  // iOS lets an element play later without a tap only if a tap started it once: each bell is started
  // muted and stopped at once, inside her tap on Start.
  function prime() {
    if (primed) return primed;
    primed = Promise.all([bell, endBell].map((el) => {
      el.muted = true;
      return el.play().then(() => { el.pause(); el.currentTime = 0; }).catch(() => {}).finally(() => { el.muted = false; });
    }));
    return primed;
  }

  function ring(el) {
    if (!soundOn() || !primed) return false;
    // From the start each time, even if the last bell still sounds (a short step).
    primed.then(() => { el.pause(); el.currentTime = 0; return el.play(); })
      .catch(() => { /* refused: the screen still shows the step */ });
    return true;
  }

  // The loop plays while the practice runs and sound of any kind is wanted; it is what keeps Chrome from
  // slowing the page's timers in the background and what shows the lock-screen controls.
  function hold() {
    if (running && wantsCarrier(soundOn())) carrier.play().catch(() => {});
    else carrier.pause();
  }

  async function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || (lock && !lock.released)) return;
    try {
      const sentinel = await navigator.wakeLock.request("screen");
      if (!running) { sentinel.release().catch(() => {}); return; }  // paused while we waited
      lock = sentinel;
      root.dataset.wakeLock = "held";
      sentinel.addEventListener("release", () => { if (lock === sentinel) root.dataset.wakeLock = "released"; });
    } catch {
      // Refused (battery saver, a hidden page, a frame without permission): the practice plays on; the
      // screen may dim as usual.
      root.dataset.wakeLock = "refused";
    }
  }

  function letSleep() {
    const sentinel = lock;
    lock = null;
    if (sentinel) {
      root.dataset.wakeLock = "released";
      sentinel.release().catch(() => {});
    }
  }

  // The lock is released whenever the page is hidden; it is asked for again when she comes back.
  document.addEventListener("visibilitychange", () => {
    if (running && document.visibilityState === "visible") keepAwake();
  });

  function showOnLockScreen(state) {
    if (!session) return;
    if (state !== "none" && !session.metadata && typeof MediaMetadata !== "undefined") {
      session.metadata = new MediaMetadata({ title, artist: "Pusterum",
                                             artwork: [{ src: artwork, sizes: "192x192", type: "image/png" }] });
      const handlers = { play: actions.play, pause: actions.pause, stop: actions.pause,
                         nexttrack: actions.next, previoustrack: actions.previous };
      for (const [action, handler] of Object.entries(handlers)) {
        try { session.setActionHandler(action, () => handler()); } catch { /* an action this browser lacks */ }
      }
    }
    session.playbackState = state;
  }

  return {
    // Called on Start, on resume, and from the lock screen's play button.
    playing() {
      running = true;
      prime();
      hold();
      keepAwake();
      showOnLockScreen("playing");
    },
    paused() {
      running = false;
      hold();
      letSleep();
      showOnLockScreen("paused");
    },
    // A new step: the bell (if she wants sound). Returns whether it rang, so speech can wait for it.
    stepChanged() {
      return running ? ring(bell) : false;
    },
    ended() {
      running = false;
      ring(endBell);
      hold();
      letSleep();
      showOnLockScreen("none");
      if (session) {
        session.metadata = null;
        for (const action of ["play", "pause", "stop", "nexttrack", "previoustrack"]) {
          try { session.setActionHandler(action, null); } catch { /* as above */ }
        }
      }
    },
    // Read-aloud turned on or off changes whether the loop is needed.
    refresh: hold,
  };
}
