// Entry point: progressive enhancement only. Every page works without this file.
import { record, startAutoFlush, flush } from "./outbox.js";
import { initPlayer, recoverUnfinished } from "./player.js";

document.documentElement.classList.add("js");

if (document.body.dataset.enrolled === "1") {
  recoverUnfinished(record).finally(startAutoFlush);
  // One app_opened per browser session, not per page.
  if (!sessionStorage.getItem("pusterum-opened")) {
    sessionStorage.setItem("pusterum-opened", "1");
    record("app_opened");
  }
}

const player = document.querySelector("[data-player]");
if (player) initPlayer(player, { record, flush });
