// The staff e-learning course on her phone: progress in localStorage (lessons completed, check answers), the
// cases' feedback and the check's right or wrong shown at once (the same forms post to the server without
// script), check_answered and lesson_completed through the outbox, and the certificate, whose name is only
// ever put into this page: it is never sent, stored by the server, or kept on the phone.
const KEY = "pusterum-learning";
let memory = null;  // the editor's preview: progress only for as long as the page is open

export function load() {
  if (memory) return JSON.parse(JSON.stringify(memory));
  try {
    const data = JSON.parse(localStorage.getItem(KEY) || "{}");
    return { lessons: data.lessons || {}, answers: data.answers || {} };
  } catch {
    return { lessons: {}, answers: {} };
  }
}

function save(progress) {
  if (memory) { memory = progress; return; }
  localStorage.setItem(KEY, JSON.stringify(progress));
}

// Her own calendar day, as the certificate shows it.
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

function readableDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const lang = document.documentElement.lang === "da" ? "da-DK" : "en-GB";
  return new Date(y, m - 1, d).toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric" });
}

function chosen(form) {
  const input = form.querySelector("input[name=option]:checked");
  return input ? input.value : null;
}

function initLesson(root, record) {
  const slug = root.dataset.learningLesson;
  const versionId = Number(root.dataset.versionId);
  const version = Number(root.dataset.version);
  const questions = root.dataset.questions.split(" ").filter(Boolean);
  const done = root.querySelector("[data-lesson-done]");

  const showAnswer = (form, option) => {
    const input = form.querySelector(`input[name=option][value="${CSS.escape(option)}"]`);
    if (!input) return null;
    input.checked = true;
    const right = input.hasAttribute("data-correct");
    const verdict = form.querySelector("[data-verdict]");
    verdict.textContent = right ? verdict.dataset.right : verdict.dataset.wrong;
    form.querySelector("[data-answer-feedback]").hidden = false;
    return right;
  };

  const markDone = async () => {
    const progress = load();
    const answers = progress.answers[slug] || {};
    if (!questions.every((q) => answers[q])) return;
    done.hidden = false;
    if (progress.lessons[slug]) return;
    progress.lessons[slug] = { version, versionId, completed: today() };
    save(progress);
    await record("lesson_completed", { lesson_version: versionId });
  };

  // Answers she gave earlier on this phone (to this lesson, whatever its version) are shown again.
  const earlier = load().answers[slug] || {};
  for (const form of root.querySelectorAll("form[data-question]")) {
    const mine = earlier[form.dataset.question];
    if (mine) showAnswer(form, mine.option);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const option = chosen(form);
      if (!option) return;
      const right = showAnswer(form, option);
      const progress = load();
      progress.answers[slug] = { ...(progress.answers[slug] || {}),
        [form.dataset.question]: { option, correct: right, versionId } };
      save(progress);
      await record("check_answered", { lesson_version: versionId, question: form.dataset.question, option });
      await markDone();
    });
  }
  for (const form of root.querySelectorAll("form[data-case]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const option = chosen(form);
      if (!option) return;
      for (const feedback of form.querySelectorAll("[data-feedback]")) feedback.hidden = feedback.dataset.feedback !== option;
    });
  }
  markDone();
}

function initCourse(root) {
  const progress = load();
  const slugs = root.dataset.lessons.split(" ").filter(Boolean);
  for (const link of root.querySelectorAll("[data-lesson-link]")) {
    const mark = link.querySelector("[data-done-mark]");
    if (progress.lessons[link.dataset.lessonLink]) mark.hidden = false;
  }
  const status = root.querySelector("[data-learning-progress]");
  const count = slugs.filter((s) => progress.lessons[s]).length;
  status.textContent = status.dataset.template.replace("{done}", count).replace("{total}", slugs.length);
  status.hidden = false;
}

function initCertificate(root) {
  const progress = load();
  const slugs = root.dataset.lessons.split(" ").filter(Boolean);
  const missing = slugs.filter((s) => !progress.lessons[s]);
  if (missing.length) {
    const list = root.querySelector("[data-missing-list]");
    for (const slug of missing) {
      const item = document.createElement("li");
      item.textContent = root.querySelector(`[data-lesson-titles] [data-slug="${CSS.escape(slug)}"]`).textContent;
      list.append(item);
    }
    root.querySelector("[data-certificate-missing]").hidden = false;
    return;
  }
  for (const row of root.querySelectorAll("[data-certificate-lesson]")) {
    const done = progress.lessons[row.dataset.certificateLesson];
    row.querySelector("[data-lesson-version]").textContent = String(done.version);
    row.querySelector("[data-lesson-date]").textContent = readableDate(done.completed);
  }
  root.querySelector("[data-certificate-date]").textContent = readableDate(today());
  const input = root.querySelector("#certificate-name");
  const name = root.querySelector("[data-certificate-name]");
  // Only into the page: no form, no request, not even localStorage.
  input.addEventListener("input", () => { name.textContent = input.value.trim(); });
  root.querySelector("[data-print-certificate]").addEventListener("click", () => window.print());
  root.querySelector("[data-certificate-ready]").hidden = false;
}

export function initLearning(record, { preview = false } = {}) {
  if (preview) memory = { lessons: {}, answers: {} };
  const lesson = document.querySelector("[data-learning-lesson]");
  if (lesson) initLesson(lesson, record);
  const course = document.querySelector("[data-learning-course]");
  if (course) initCourse(course);
  const certificate = document.querySelector("[data-learning-certificate]");
  if (certificate) initCertificate(certificate);
}
