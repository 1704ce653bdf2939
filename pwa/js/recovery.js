export const ACTIVE_KEY = "pusterum-active-practice";

// A practice she leaves (closing the tab, locking away the app, a crash) must still be logged.
// While a practice runs, a small marker in localStorage (written synchronously) holds what the
// exercise_left event would say; the next page load turns a left-over marker into that event with
// the same id and content, so a copy that did get out during pagehide is simply acknowledged twice.
export async function recoverUnfinished(record) {
  const raw = localStorage.getItem(ACTIVE_KEY);
  if (!raw) return;
  try {
    const m = JSON.parse(raw);
    await record("exercise_left", { id: m.id, occurred_at: m.occurred_at, exercise_version: m.version, seconds: m.seconds });
  } catch (error) {
    console.warn("pusterum: could not recover an unfinished practice", error);
  }
  localStorage.removeItem(ACTIVE_KEY);
}
