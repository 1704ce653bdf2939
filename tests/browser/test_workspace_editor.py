"""The editor at a desk, looked at as a midwife writing an exercise would (issue 16): the editor for an
exercise, a course and a resource, an exercise's history and the admin's accounts page, at 1280 × 800 and
1600 × 900, and the exercise editor on a 390 px phone. Each page is saved as a screenshot
(tests/browser/screenshots/editor-*.png) and checked for what a person notices: fields she can write in
(titles and step texts at least 280 px wide, every other text field at least 200 px), no button taller than
64 px, nothing scrolling sideways, and Publish with the save state in sight after scrolling to the last step.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_workspace import create_account, sign_in

pytestmark = pytest.mark.browser
DESKS = ({"width": 1280, "height": 800}, {"width": 1600, "height": 900})
PHONE = {"width": 390, "height": 844}
EXERCISE = "noticing-a-good-moment"  # no other test changes it
PAGES = {"exercise": f"/workspace/content/{EXERCISE}", "course": "/workspace/content/mbsr-8-weeks",
         "resource": "/workspace/content/livslinien", "history": f"/workspace/content/{EXERCISE}/history",
         "accounts": "/workspace/admin/accounts"}

# What a person would notice, measured in the page: each problem as a sentence.
LOOK = """() => {
  const problems = [];
  const name = (el) => el.id ? `#${el.id}`
    : `${el.tagName.toLowerCase()} "${(el.textContent || el.value || "").trim().slice(0, 30)}"`;
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const page = document.scrollingElement;
  if (page.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways: ${page.scrollWidth}px in ${window.innerWidth}px`);
  }
  const wide = new Set([...document.querySelectorAll("#title_da, #title_en, #name_da, #name_en, .step-item textarea")]);
  for (const el of wide) {
    const w = el.getBoundingClientRect().width;
    if (shown(el) && w < 280) problems.push(`${name(el)} is ${Math.round(w)}px wide, under 280`);
  }
  const texts = ["text", "email", "url", "tel", "search", "password"].map((t) => `main input[type=${t}]`)
    .concat(["main textarea"]).join(", ");
  for (const el of document.querySelectorAll(texts)) {
    const w = el.getBoundingClientRect().width;
    if (!wide.has(el) && shown(el) && w < 200) problems.push(`${name(el)} is ${Math.round(w)}px wide, under 200`);
  }
  for (const el of document.querySelectorAll("main button, main .button")) {
    const h = el.getBoundingClientRect().height;
    if (shown(el) && h > 64) problems.push(`the button ${name(el)} is ${Math.round(h)}px tall, over 64`);
  }
  return problems;
}"""

IN_SIGHT = """(selectors) => selectors.filter((s) => {
  const el = document.querySelector(s);
  if (!el) return true;
  const r = el.getBoundingClientRect();
  return !(r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth && r.height > 0);
})"""


@pytest.fixture(scope="module")
def desk(browser, live_server):
    """An editor who is also the admin, signed in at a desk, in Danish."""
    email = f"editor-admin-{uuid.uuid4().hex[:8]}@example.org"
    create_account(live_server, email, "editor")
    live_server.query("UPDATE account SET roles = 'editor,admin' WHERE email = ?", email)
    context = browser.new_context(viewport=DESKS[0], locale="da-DK", device_scale_factor=1)
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, email)
    page.wait_for_url(f"{live_server.url}/workspace")
    yield page
    problems = page.problems  # type: ignore[attr-defined]
    context.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems


def shoot(page, label: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(Path(SCREENSHOTS) / f"editor-{label}-{size['width']}.png"), full_page=True)


def look(page, label: str) -> list[str]:
    page.wait_for_timeout(150)  # a relayout after the new size
    shoot(page, label)
    return [f"{label} at {page.viewport_size['width']}px: {p}" for p in page.evaluate(LOOK)]


def publish_a_change_and_roll_it_back(page, live_server) -> None:
    """So the history has a change to show; the exercise ends as it was, for every other test."""
    page.goto(live_server.url + PAGES["exercise"])
    before = page.input_value("#title_da")
    page.fill("#title_da", before + " i dag")
    page.fill("#step0_da", page.input_value("#step0_da") + " Mærk, hvordan det føles.")
    page.click("button[name=action][value=publish]")
    page.wait_for_url(re.compile(r"\?published=\d+$"))
    page.goto(live_server.url + PAGES["history"])
    page.locator("section.panel").nth(1).locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"\?published=\d+$"))
    assert page.input_value("#title_da") == before


def test_the_editor_and_its_pages_can_be_worked_in_at_a_desk(desk, live_server):
    publish_a_change_and_roll_it_back(desk, live_server)
    problems = []
    for size in DESKS:
        desk.set_viewport_size(size)
        for label, path in PAGES.items():
            desk.goto(live_server.url + path)
            problems += look(desk, label)
            if label in ("exercise", "course", "resource"):
                # Scrolled to the last step (week; for a resource, its last field): Publish and the save
                # state are still in sight.
                last = desk.locator(".step-item").last if desk.locator(".step-item").count() else desk.locator(
                    ".editor-form .panel").last
                last.scroll_into_view_if_needed()
                desk.evaluate("window.scrollBy(0, 200)")
                hidden = desk.evaluate(IN_SIGHT, ["button[name=action][value=publish]", "[data-autosave-status]",
                                                  ".action-bar .publish-state"])
                problems += [f"{label} at {size['width']}px: {s} is out of sight after scrolling down"
                             for s in hidden]
    assert not problems, "\n".join(problems)


def test_the_exercise_editor_puts_languages_and_the_phone_side_by_side(desk, live_server):
    desk.set_viewport_size(DESKS[0])
    desk.goto(live_server.url + PAGES["exercise"])
    box = lambda sel: desk.locator(sel).bounding_box()  # noqa: E731
    da, en = box("#title_da"), box("#title_en")
    assert abs(da["y"] - en["y"]) < 2 and en["x"] > da["x"] + da["width"], "Danish and English side by side"
    form, frame = box(".editor-form"), box("[data-preview-frame]")
    assert frame["x"] >= form["x"] + form["width"], "the phone preview beside the form"
    assert 370 <= frame["width"] <= 420, f"the preview at a phone's width, not {frame['width']}px"
    # A step's text box grows with her text.
    step = box("#step0_da")["height"]
    desk.fill("#step0_da", "Læg mærke til vejret. " * 30)
    assert box("#step0_da")["height"] > step + 40
    # A few seconds later it is saved by itself, and the bar says what is now left before publishing.
    expect(desk.locator("[data-autosave-status]")).to_contain_text("Kladden er gemt", timeout=15000)
    expect(desk.locator("[data-problem-summary]")).to_have_text("1 ting skal rettes før udgivelse")
    # Her own problems are named beside the field, in Danish.
    desk.fill("#title_da", "")
    desk.click("button[name=action][value=save]")
    desk.wait_for_url("**?saved=1")
    assert desk.text_content("#title_da-problem") == "Titel (dansk) mangler tekst"
    assert desk.text_content("#step0_da-problem").startswith("Trin 1 (dansk) er længere end")
    assert "2 ting skal rettes før udgivelse" in desk.text_content(".action-bar")
    live_server.query("DELETE FROM content_draft WHERE slug = ?", EXERCISE)  # as it was


def test_the_exercise_editor_is_one_column_on_a_phone(browser, live_server, desk):
    context = browser.new_context(viewport=PHONE, locale="da-DK", is_mobile=True, has_touch=True,
                                  storage_state=desk.context.storage_state())
    page = context.new_page()
    try:
        page.goto(live_server.url + PAGES["exercise"])
        shoot(page, "exercise")
        problems = [p for p in page.evaluate(LOOK) if "sideways" in p or "tall" in p]
        assert not problems, problems
        da, en = page.locator("#title_da").bounding_box(), page.locator("#title_en").bounding_box()
        assert en["y"] > da["y"] + da["height"], "Danish above English"
        form, frame = page.locator(".editor-form").bounding_box(), page.locator("[data-preview-frame]").bounding_box()
        assert frame["y"] >= form["y"] + form["height"], "the preview after the form"
    finally:
        context.close()
