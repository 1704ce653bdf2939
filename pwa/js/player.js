// The guided player: steps advance on their timers; pause, resume, back and skip; a breathing guide;
// optional read-aloud in her language; bells, a screen kept awake and lock-screen controls (guidance.js).
// It only enhances the server-rendered step list, which works without JavaScript.
import { createGuidance, pickVoice } from "./guidance.js";
import { newEventId } from "./outbox.js";
import { ACTIVE_KEY } from "./recovery.js";

const TICK_MS = 200;

function mmss(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function initPlayer(root, { record, flush }) {
  const cfg = JSON.parse(root.querySelector("[data-player-config]").textContent);
  const version = Number(root.dataset.version);
  const $ = (sel) => root.querySelector(sel);
  const stage = $("[data-stage]");
  const toggle = $('[data-action="toggle"]');
  const durations = cfg.steps.map((s) => s * 1000 * cfg.timeScale);
  const S = cfg.strings;

  let index = 0;
  let remaining = durations[0];
  let running = false;
  let started = false;
  let finished = false;
  let leftLogged = false;
  let marker = null;
  let practisedMs = 0;
  let last = 0;
  let timer = null;
  let breathTimer = null;
  let speakTimer = null;

  $("[data-step-list]").hidden = true;
  stage.hidden = false;
  $("[data-step-remaining-label]").textContent = S.remaining;
  $("[data-total-remaining-label]").textContent = S.total;

  const speech = "speechSynthesis" in window && typeof SpeechSynthesisUtterance !== "undefined";
  const readAloud = $("[data-read-aloud]");
  const voiceNote = $("[data-voice-note]");
  let voice = null;
  if (speech) $("[data-read-aloud-wrap]").hidden = false;

  // The phone's voices arrive late in some browsers: the choice is made again when the list changes.
  function findVoice() {
    voice = pickVoice(window.speechSynthesis.getVoices(), cfg.lang);
    voiceNote.hidden = !(readAloud.checked && !voice);
  }
  if (speech) {
    findVoice();
    window.speechSynthesis.addEventListener?.("voiceschanged", () => {
      const had = voice;
      findVoice();
      if (!had && voice && running) speak(cfg.texts[index]);
    });
  }

  function speak(text) {
    if (!speech || !readAloud.checked) return;
    window.speechSynthesis.cancel();
    if (!voice) { voiceNote.hidden = false; return; }  // never her text in another language's voice
    const u = new SpeechSynthesisUtterance(text);
    u.voice = voice;
    u.lang = voice.lang;
    u.rate = 0.9;
    window.speechSynthesis.speak(u);
  }

  const guidance = createGuidance(root, {
    title: cfg.title,
    artwork: cfg.artwork,
    actions: { play: () => { if (!finished) play(); }, pause: () => { if (running) pause(); }, next: () => skip(),
               previous: () => back() },
    wantsCarrier: (sound) => sound || Boolean(speech && readAloud.checked),
  });

  function totalRemaining() {
    return remaining + durations.slice(index + 1).reduce((a, b) => a + b, 0);
  }

  function render() {
    $("[data-step-count]").textContent = S.stepOf.replace("{n}", index + 1).replace("{total}", durations.length);
    $("[data-step-remaining]").textContent = mmss(remaining);
    $("[data-total-remaining]").textContent = mmss(totalRemaining());
    const all = durations.reduce((a, b) => a + b, 0);
    $("[data-progress]").value = Math.round(((all - totalRemaining()) / all) * 1000);
    toggle.textContent = !started ? S.start : running ? S.pause : S.resume;
    toggle.setAttribute("aria-pressed", running ? "true" : "false");
    root.classList.toggle("is-paused", started && !running);
  }

  function showStep(rang = false) {
    $("[data-step-text]").textContent = cfg.texts[index];
    startBreathing(cfg.breathing[index]);
    render();
    // After a bell, the voice waits for it to fade a little.
    clearTimeout(speakTimer);
    const text = cfg.texts[index];
    if (rang) speakTimer = setTimeout(() => speak(text), 1200); else speak(text);
  }

  function startBreathing(pattern) {
    clearTimeout(breathTimer);
    const box = $("[data-breath]");
    const circle = $("[data-breath-circle]");
    const label = $("[data-breath-label]");
    if (!pattern) { box.hidden = true; return; }
    box.hidden = false;
    const phases = [["inhale", pattern.inhale], ["hold", pattern.hold], ["exhale", pattern.exhale], ["hold", pattern.hold_after]]
      .filter(([, s]) => s > 0);
    let i = 0;
    const next = () => {
      const [phase, seconds] = phases[i % phases.length];
      const ms = seconds * 1000 * Math.max(cfg.timeScale, 0.05);
      circle.style.setProperty("--phase-ms", `${ms}ms`);
      circle.dataset.phase = phase;
      label.textContent = S[phase];
      i += 1;
      if (running) breathTimer = setTimeout(next, ms);
    };
    next();
  }

  function saveMarker() {
    if (!marker) return;
    marker.seconds = Math.round(practisedMs / 1000);
    marker.occurred_at = new Date().toISOString();
    localStorage.setItem(ACTIVE_KEY, JSON.stringify(marker));
  }

  function tick() {
    const now = performance.now();
    const delta = now - last;
    last = now;
    if (!running) return;
    remaining -= delta;
    practisedMs += delta / cfg.timeScale;
    saveMarker();
    if (remaining <= 0) completeStep();
    else render();
  }

  function completeStep() {
    record("step_completed", { exercise_version: version, step: index });
    if (index + 1 >= durations.length) { finish(); return; }
    index += 1;
    remaining = durations[index];
    showStep(guidance.stepChanged());
  }

  function play() {
    if (!started) {
      started = true;
      record("exercise_started", { exercise_version: version });
      marker = { id: newEventId(), version, seconds: 0, occurred_at: new Date().toISOString() };
      saveMarker();
    }
    running = true;
    last = performance.now();
    clearInterval(timer);
    timer = setInterval(tick, TICK_MS);
    startBreathing(cfg.breathing[index]);
    guidance.playing();
    render();
  }

  function pause() {
    tick();
    running = false;
    clearInterval(timer);
    clearTimeout(breathTimer);
    clearTimeout(speakTimer);
    if (speech) window.speechSynthesis.cancel();
    guidance.paused();
    render();
  }

  function finish() {
    running = false;
    finished = true;
    marker = null;
    localStorage.removeItem(ACTIVE_KEY);
    window.dispatchEvent(new Event("pusterum:practice-finished"));
    clearInterval(timer);
    clearTimeout(breathTimer);
    clearTimeout(speakTimer);
    guidance.ended();
    record("exercise_completed", { exercise_version: version, seconds: Math.round(practisedMs / 1000) });
    stage.hidden = true;
    const end = $("[data-end]");
    end.hidden = false;
    end.focus();
  }

  function skip() {
    if (finished) return;
    if (!started) play();
    completeStep();
  }

  function back() {
    if (finished) return;
    // Back restarts the current step, or goes to the previous one if it has only just begun.
    if (durations[index] - remaining < 2000 && index > 0) index -= 1;
    remaining = durations[index];
    showStep();
  }

  toggle.addEventListener("click", () => (running ? pause() : play()));
  $('[data-action="skip"]').addEventListener("click", skip);
  $('[data-action="back"]').addEventListener("click", back);
  if (readAloud) readAloud.addEventListener("change", () => {
    if (speech) findVoice();
    if (readAloud.checked) speak(cfg.texts[index]); else if (speech) window.speechSynthesis.cancel();
    guidance.refresh();
  });

  window.addEventListener("pagehide", () => {
    if (started && !finished && !leftLogged && marker) {
      leftLogged = true;
      saveMarker();
      record("exercise_left", { id: marker.id, occurred_at: marker.occurred_at, exercise_version: version,
                                seconds: marker.seconds });
    }
  });

  function showThanks() {
    const thanks = $("[data-thanks]");
    thanks.hidden = false;
    thanks.focus();
  }

  const ratingForm = $("[data-rating-form]");
  if (ratingForm) ratingForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(ratingForm);
    const rating = Number(data.get("rating") || 0);
    const comment = String(data.get("comment") || "").trim();
    if (rating) {
      await record("rating_given", { exercise_version: version, rating, ...(comment ? { comment } : {}) });
    }
    flush();  // sends now when online; otherwise the outbox keeps it
    ratingForm.hidden = true;
    showThanks();
  });

  // Staff: a pause ends with "and now?" (0-10, or skip). The pause is recorded once, with whatever she said;
  // if she closes the app at that question, it is recorded without the second answer.
  const pauseForm = $("[data-pause-form]");
  let pauseRecorded = false;
  function recordPause(after) {
    if (pauseRecorded || !finished) return Promise.resolve();
    pauseRecorded = true;
    const before = root.dataset.before === "" ? null : Number(root.dataset.before);
    return record("pause_completed", {
      exercise_version: version, seconds: Math.round(practisedMs / 1000),
      ...(before === null ? {} : { stress_before: before }), ...(after === null ? {} : { stress_after: after }),
    });
  }
  if (pauseForm) {
    pauseForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = event.submitter ? event.submitter.value : "skip";
      await recordPause(/^\d+$/.test(value) ? Number(value) : null);
      flush();
      pauseForm.hidden = true;
      showThanks();
    });
    window.addEventListener("pagehide", () => { recordPause(null); });
  }

  showStep();
  if ("autostart" in root.dataset) play();
}
