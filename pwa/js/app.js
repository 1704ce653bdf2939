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
window.addEventListener("pusterum:withdrawn", () => {
  import("./forget.js").then(({ forgetDevice }) => forgetDevice()).then(() => window.location.assign("/"));
});

// The player is loaded only on the page that has one.
const player = document.querySelector("[data-player]");
if (player) import("./player.js").then(({ initPlayer }) => initPlayer(player, { record, flush }));
