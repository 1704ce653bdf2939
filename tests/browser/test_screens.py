"""Every patient and staff page, looked at on a phone (issue 15, item 10): at 390 px and at 320 px, in Danish.

The pages come from the route table (the GET routes the access allow-list in
tests/integration/security/test_access.py opens to a patient or a member of staff), so a new page is looked
at without anyone adding it here. Each page is saved as a screenshot under tests/browser/screenshots/
(git-ignored) for a person to look at, and checked for what a person would notice at once:

* no sideways scrolling of the page (a table may scroll inside its own region);
* buttons and form controls at least 44 × 44 px (a checkbox or radio button counts with its label, which is
  what she taps); links inside running text are not counted;
* body text at least 16 px (secondary text marked ``.muted``, ``.small`` or ``.eyebrow`` is allowed smaller);
* nothing cut off: no block of text that hides part of itself (overflow hidden and wider inside than out);
* no word broken over two lines in a button, a table header, a heading or a chip.

One browser and one phone per person for all pages, so the whole walk takes about a minute.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.integration.security.test_access import ROUTES

pytestmark = pytest.mark.browser
WIDTHS = (390, 320)
HEIGHT = 844

# Routes that are not a page to look at: files to download, media, and the door itself (a code in the path;
# the join pages are visited before joining, below).
NOT_PAGES = {"content:audio", "journeys:data_json", "journeys:data_csv", "participants:join",
             "participants:consent", "staff:go"}
SECTIONS = ("content:", "journeys:", "participants:", "wellbeing:", "reminders:", "staff:", "coordinate:join")
# Sample values for path parameters, per person: a practice meant for her.
SAMPLES = {"patient": {"slug": "breathing-space-3"}, "staff": {"slug": "doorway-pause"}}
# A nurse meets practices through her pauses: the pause pages, its player and its end, not the library.
STAFF_CONTENT = {"content:support", "content:about", "content:play", "content:done"}


def pages_for(actor: str) -> list[tuple[str, str]]:
    """(route name, path) of every GET page this person may open, from the app's own route table."""
    from server.app import create_app

    app = create_app()
    found: dict[str, str] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            name = handler.name
            if (name is None or "GET" not in handler.http_methods or name in NOT_PAGES
                    or not name.startswith(SECTIONS)):
                continue
            allowed = ROUTES.get(("GET", name), set())
            if actor not in allowed:
                continue
            if actor == "staff" and name.startswith("content:") and name not in STAFF_CONTENT:
                continue
            found.setdefault(name, _fill(route.path, actor, name))
    return sorted(found.items())


def _fill(path: str, actor: str, name: str) -> str:
    def value(match: re.Match) -> str:
        key, kind = match.group(1), match.group(2) or "str"
        return "1" if kind == "int" else SAMPLES[actor].get(key, "1")
    return re.sub(r"\{(\w+)(?::(\w+))?\}", value, path)


# What a person would notice, measured in the page. Returns a list of sentences, empty when all is well.
LOOK = """() => {
  const problems = [];
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || el.closest('[hidden], .visually-hidden')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const name = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    return `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).trim().replace(/\\s+/g, '.') : ''}`
      + (text ? ` "${text.slice(0, 40)}"` : '');
  };
  const scroller = document.scrollingElement;
  if (scroller.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways: ${scroller.scrollWidth}px wide in ${window.innerWidth}px`);
  }
  const controls = 'button, input:not([type=hidden]), select, textarea, [role=button], a.button, .topnav a';
  for (const el of document.querySelectorAll(controls)) {
    if (!visible(el)) continue;
    let r = el.getBoundingClientRect();
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      // What she taps is the control with its label (a chip, a choice row, a label element).
      const label = el.closest('label, .chip, .choice, .checkbox, .toggle')
        || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) {
        const l = label.getBoundingClientRect();
        r = {width: Math.max(r.right, l.right) - Math.min(r.left, l.left),
             height: Math.max(r.bottom, l.bottom) - Math.min(r.top, l.top)};
      }
    }
    if (r.width < 43.5 || r.height < 43.5) {
      problems.push(`a control is ${Math.round(r.width)} × ${Math.round(r.height)} px, under 44 × 44: ${name(el)}`);
    }
  }
  const secondary = '.muted, .small, small, .eyebrow, .pill, .visually-hidden, .skip-link, code';
  const text = ['p', 'li', 'td', 'th', 'dd', 'dt', 'label', 'legend', 'blockquote', 'summary'];
  for (const el of document.querySelectorAll(text.map((tag) => 'main ' + tag).join(', '))) {
    if (!visible(el) || el.closest(secondary)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 15.95) problems.push(`body text at ${size}px, under 16: ${name(el)}`);
  }
  // A word split over two lines ("minutte-r") in a button, a header or a heading: short texts that must read
  // at a glance. (Running text may break a word that is wider than the line; these may not.)
  const whole = 'th, button, a.button, .chip label, .topnav a, h1, h2, h3, dt, legend';
  for (const el of document.querySelectorAll(whole)) {
    if (!visible(el)) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) problems.push(`a word is broken over two lines: "${word[0]}" in ${name(el)}`);
      }
    }
  }
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    if (!visible(el)) continue;
    const s = getComputedStyle(el);
    const hides = ['hidden', 'clip'].includes(s.overflowX) || ['hidden', 'clip'].includes(s.overflow);
    if (!hides || !el.innerText || !el.innerText.trim()) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`text is cut off (${el.scrollWidth}px inside ${el.clientWidth}px): ${name(el)}`);
    }
  }
  return problems;
}"""


def look_at(page, label: str, width: int) -> list[str]:
    """Screenshot (full page) and the checks, at ``width``; the problems, each prefixed with where."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    page.wait_for_timeout(100)  # a relayout, and fonts that load late
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS) / f"{label}-{width}.png"), full_page=True)
    return [f"{label} at {width}px: {problem}" for problem in page.evaluate(LOOK)]


def visit(page, url: str, label: str) -> list[str]:
    response = page.goto(url, wait_until="load")
    if response is None or response.status >= 400:
        return [f"{label}: {url} answered {response.status if response else 'nothing'}"]
    return [problem for width in WIDTHS for problem in look_at(page, label, width)]


@pytest.fixture(scope="module")
def phone(browser):
    """One phone per person (a browser context of her own, in Danish), used for all her pages."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT}, is_mobile=True,
                                      has_touch=True, locale="da-DK", device_scale_factor=1,
                                      service_workers="block")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def join(page, link: str, prefix: str) -> list[str]:
    """The door as she meets it (choose a language, consent), looked at on the way, then joined."""
    problems = visit(page, link, f"{prefix}-join")
    page.click("a[hreflang=da]")
    page.wait_for_url("**/consent?lang=da")
    problems += [p for width in WIDTHS for p in look_at(page, f"{prefix}-consent", width)]
    page.check("#consent")
    page.click(".consent-form button[type=submit]")
    page.wait_for_load_state("load")
    return problems


def staff_link(live_server) -> str:
    match = re.search(r"(http\S+/u/\S+)", live_server.cli("demo"))
    assert match, "pusterum demo prints the staff link"
    return match.group(1)


def test_every_patient_page_fits_a_small_phone(phone, live_server):
    page = phone()
    problems = join(page, live_server.invite_url, "patient")
    for name, path in pages_for("patient"):
        problems += visit(page, live_server.url + path, "patient-" + name.replace(":", "-"))
    assert not problems, "\n".join(problems)


def take_pauses(page, live_server) -> None:
    """Three pauses in her list (one of them 3 min 20 s, so the minutes have decimals), sent as the app does."""
    (version,) = live_server.query(
        "SELECT v.id FROM content_version v JOIN content_item i ON v.item = i.id WHERE i.slug = ? "
        "ORDER BY v.id DESC LIMIT 1", "box-breathing")[0]
    status = page.evaluate("""async (version) => {
      const events = [200, 60, 180].map((seconds, i) => ({id: crypto.randomUUID(), type: 'pause_completed',
        occurred_at: new Date(Date.now() - i * 3600e3).toISOString(), exercise_version: version, seconds,
        stress_before: 7, stress_after: 4 + i}));
      const r = await fetch('/api/events', {method: 'POST', body: JSON.stringify({events}),
        headers: {'Content-Type': 'application/json', 'X-Pusterum': '1'}});
      return r.status;
    }""", version)
    assert status == 200


def test_every_staff_page_fits_a_small_phone(phone, live_server):
    page = phone()
    problems = join(page, staff_link(live_server), "staff")
    take_pauses(page, live_server)
    for name, path in pages_for("staff"):
        problems += visit(page, live_server.url + path, "staff-" + name.replace(":", "-"))
    assert not problems, "\n".join(problems)


def test_the_walk_covers_the_pages_people_meet():
    """The route table gives the walk its pages: the main ones of each person must be among them."""
    patient = {name for name, _ in pages_for("patient")}
    staff = {name for name, _ in pages_for("staff")}
    assert {"journeys:home", "content:library", "content:exercise", "content:play", "content:done",
            "content:support", "participants:settings", "reminders:page", "wellbeing:history",
            "content:about", "journeys:withdraw_form"} <= patient
    assert {"staff:home", "staff:pause", "staff:mine", "staff:unit", "participants:settings",
            "reminders:page", "content:support"} <= staff
    assert not any(name.startswith("wellbeing:") or "municipality" in name for name in staff)
