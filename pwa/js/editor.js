// The editor's autosave: a few seconds after she stops typing, the whole form is saved as the draft
// (the same POST as the Save button, answered with JSON). A 409 means another editor saved in between:
// then autosave stops and says so, and her own text stays on the page.
const DELAY_MS = 4000;

export function initEditor(form) {
  const status = form.querySelector("[data-autosave-status]");
  const revision = form.querySelector("[data-revision]");
  const frame = document.querySelector("[data-preview-frame]");
  let timer = null;
  let stopped = false;

  async function save() {
    if (stopped) return;
    const body = new FormData(form);
    body.set("action", "save");
    let response;
    try {
      // getAttribute: the Save and Publish buttons are named "action", so form.action is those buttons
      response = await fetch(form.getAttribute("action"), { method: "POST", body, credentials: "same-origin",
                                             headers: { "X-Autosave": "1" } });
    } catch {
      status.textContent = form.dataset.offline || "Not saved: no connection.";
      return;
    }
    const result = await response.json().catch(() => ({}));
    if (response.status === 409) {
      stopped = true;
      status.textContent = result.error || "Someone else has saved this draft.";
      status.classList.add("error");
      return;
    }
    if (!response.ok) return;
    revision.value = String(result.revision);
    showProblems(result);
    status.textContent = `${form.dataset.savedText || "Draft saved"} ${new Date().toLocaleTimeString()}`;
    if (frame) frame.src = frame.src.replace(/r=\d+/, `r=${result.revision}`);
  }

  // What is left before it can be published, after each autosave: the bar's count and the list at the top
  // (the messages beside each field are the server's, shown again when the page is next loaded).
  function showProblems(result) {
    if (!Array.isArray(result.problems)) return;
    const summary = document.querySelector("[data-problem-summary]");
    const ready = document.querySelector("[data-ready]");
    const panel = document.getElementById("problems");
    const list = document.querySelector("[data-problem-list]");
    const some = result.problems.length > 0;
    if (summary) { summary.hidden = !some; summary.textContent = result.summary || ""; }
    if (ready) ready.hidden = some;
    if (panel) panel.hidden = !some;
    if (list) list.replaceChildren(...result.problems.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
  }

  // Text boxes grow with their text: CSS field-sizing where the browser has it, else their scroll height.
  if (!CSS.supports("field-sizing", "content")) {
    const grow = (box) => { box.style.height = "auto"; box.style.height = `${box.scrollHeight + 4}px`; };
    form.querySelectorAll("textarea").forEach(grow);
    form.addEventListener("input", (event) => { if (event.target.matches("textarea")) grow(event.target); });
  }

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  });
  form.addEventListener("submit", () => clearTimeout(timer));
}
