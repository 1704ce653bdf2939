// Entry point: progressive enhancement only. Every page works without this file.
import { record, startAutoFlush, flush } from "./outbox.js";
import { initPwa } from "./pwa.js";
import { recoverUnfinished } from "./recovery.js";

document.documentElement.classList.add("js");

if (document.body.dataset.enrolled === "1") {
  // Recovery first: the update check must know whether a practice is still running.
  recoverUnfinished(record).finally(() => {
    startAutoFlush();
    initPwa();
  });
  // One app_opened per browser session, not per page.
  if (!sessionStorage.getItem("pusterum-opened")) {
    sessionStorage.setItem("pusterum-opened", "1");
    record("app_opened");
  }
}

// Withdrawn, here or on another phone (the outbox was answered 410): forget everything on this phone.
if (document.querySelector("[data-forget-device]")) import("./forget.js").then(({ forgetDevice }) => forgetDevice());
// The start page's path is rendered by the server from the route's name (<body data-start-url>).
window.addEventListener("pusterum:withdrawn", () => {
  import("./forget.js").then(({ forgetDevice }) => forgetDevice()).then(() => {
    const start = document.body.dataset.startUrl;
    if (start) window.location.assign(start); else window.location.reload();  // a page saved before it had one
  });
});

// The player is loaded only on the page that has one.
const player = document.querySelector("[data-player]");
// In the editor's preview the player records nothing: the editor is not a participant.
const quiet = { record: async () => {}, flush: () => {} };
if (player) {
  import("./player.js").then(({ initPlayer }) => initPlayer(player, "preview" in player.dataset ? quiet : { record, flush }));
}

// The staff e-learning course: progress on this phone, answers through the outbox.
if (document.querySelector("[data-learning-lesson], [data-learning-course], [data-learning-certificate]")) {
  // In the editor's preview nothing is recorded or kept: the editor is not a participant.
  const preview = !!document.querySelector("[data-learning-lesson][data-preview]");
  import("./learning.js").then(({ initLearning }) => initLearning(preview ? quiet.record : record, { preview }));
}

// The wellbeing check-in goes through the outbox like every other answer, so it is kept offline too.
const checkin = document.querySelector("form[data-checkin]");
if (checkin) {
  checkin.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(checkin);
    const answers = [...checkin.querySelectorAll("fieldset")].map((_f, i) => Number(data.get(`item${i}`)));
    await record("questionnaire_answered", { questionnaire_version: Number(checkin.dataset.version), answers });
    await flush();
    window.location.assign(checkin.dataset.done);
  });
}

// The editor's autosave (workspace only).
const editor = document.querySelector("form[data-editor]");
if (editor) import("./editor.js").then(({ initEditor }) => initEditor(editor));

// Reminders: subscribing this browser needs script; the rest of that page is a plain form.
const reminders = document.querySelector("[data-reminders]");
if (reminders) import("./reminders.js").then(({ initReminders }) => initReminders(reminders));

// The library's filters swap the list with htmx, but htmx (50 KB) is fetched and parsed only once she
// touches them: at load it blocked an old phone's main thread for ~70 ms. The form stays a plain GET
// form underneath, so it works without JavaScript, and falls back to one if htmx cannot be loaded.
const filters = document.querySelector("form[data-htmx-src]");
if (filters) {
  let state = "idle";  // idle → loading → ready (or failed)
  let pending = null;  // the select she changed before htmx was there
  const load = () => {
    if (state !== "idle") return;
    state = "loading";
    // htmx sets itself up on DOMContentLoaded, or at once if the document has finished loading.
    const inject = () => {
      const script = document.createElement("script");
      script.src = filters.dataset.htmxSrc;
      script.onload = () => {
        state = "ready";  // htmx has read its <meta name="htmx-config"> and processed the form
        if (pending) pending.dispatchEvent(new Event("change", { bubbles: true }));
        pending = null;
      };
      script.onerror = () => {
        state = "failed";
        if (pending) filters.submit();
      };
      document.head.append(script);
    };
    if (document.readyState === "complete") inject();
    else window.addEventListener("load", inject, { once: true });
  };
  filters.addEventListener("focusin", load, { once: true });
  filters.addEventListener("pointerdown", load, { once: true });
  filters.addEventListener("change", (event) => {
    if (state === "ready") return;  // htmx's own listener has it
    if (state === "failed") { filters.submit(); return; }
    pending = event.target;
    load();
  });
}
