"""The follow-up dashboard and the annual report in the browser: accessible (also in dark mode), readable at
320 px with 200 % text, filtered without JavaScript, and printed without its forms but with the coordinator's
commentary.

The activity is made the way phones make it: patients and staff join through their invite links and send
their events to /api/events, some of them dated weeks back (a WHO-5 baseline), so the figures have a
month-by-month table, a paired WHO-5 change, staff stress and a municipality small enough to be hidden.
"""

from __future__ import annotations

import re
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.browser.conftest import SCREENSHOTS, assert_accessible, assert_fits
from tests.browser.test_staff import staff_link
from tests.browser.test_workspace import create_account, sign_in

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}
API = {"X-Pusterum": "1", "Content-Type": "application/json"}
REPORTS = "/workspace/reports"
ANNUAL = "/workspace/reports/annual"
DEMO_CLINIC = "demo-familieambulatoriet"  # `pusterum demo`'s patient site (server.participants.services)


def _csrf(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _event(type_: str, when: datetime | None = None, **fields) -> dict:
    return {"id": str(uuid.uuid4()), "type": type_, "occurred_at": (when or datetime.now(UTC)).isoformat(), **fields}


def _join(base: str, link: str, municipality: str | None) -> httpx.Client:
    """Her phone: follows the invite link, consents, says where she lives (patients); keeps the cookie."""
    phone = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    door, code = re.search(r"/([ju])/([^/?#\s]+)", link).groups()
    consent = phone.get(f"/{door}/{code}/consent", params={"lang": "en"})
    assert consent.status_code == 200, consent.text
    joined = phone.post(f"/{door}/{code}", data={"_csrf_token": _csrf(consent.text), "lang": "en", "consent": "yes"})
    assert joined.status_code == 303, joined.text
    if municipality is not None:
        form = phone.get("/welcome/municipality")
        chosen = phone.post("/welcome/municipality", data={"_csrf_token": _csrf(form.text),
                                                           "municipality": municipality})
        assert chosen.status_code == 303, chosen.text
    return phone


def _send(phone: httpx.Client, events: list[dict]) -> None:
    response = phone.post("/api/events", json={"events": events}, headers=API)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def activity(live_server) -> dict:
    """Twelve patients at the demo clinic (two of them in Ballerup: a small group; four tried a second
    exercise) and eleven nurses at the demo hospital (means are shown for ten or more people), each with a
    few weeks of use; returns the demo clinic's id and name."""

    def published(kind: str, slug: str) -> int:
        (row,) = live_server.query("SELECT published_version FROM content_item WHERE kind = ? AND slug = ?",
                                   kind, slug)
        return row[0]

    practice, pause = published("exercise", "breathing-space-3"), published("exercise", "box-breathing")
    # A few tried something else once: exercises with fewer than five people, hidden in their table.
    tried = [published("exercise", slug) for slug in ("body-scan-10", "one-minute-landing", "baby-movements")]
    who5, satisfaction = published("questionnaire", "who-5"), published("questionnaire", "app-satisfaction")
    now = datetime.now(UTC)
    weeks_ago = now - timedelta(days=40)
    homes = ["0101"] * 10 + ["0151"] * 2  # København; Ballerup is fewer than five
    for i, home in enumerate(homes):
        with closing(_join(live_server.url, live_server.invite_url, home)) as phone:
            _send(phone, [
                _event("questionnaire_answered", weeks_ago, questionnaire_version=who5, answers=[2, 2, 1, 2, 2]),
                _event("exercise_started", weeks_ago, exercise_version=practice),
                _event("exercise_completed", weeks_ago, exercise_version=practice, seconds=180),
                _event("exercise_started", exercise_version=practice),
                _event("exercise_completed", exercise_version=practice, seconds=170 + i),
                _event("rating_given", exercise_version=practice, rating=3 + i % 3),
                _event("questionnaire_answered", questionnaire_version=who5, answers=[3, 3, 2 + i % 2, 3, 2]),
                _event("questionnaire_answered", questionnaire_version=satisfaction, answers=[4, 3, i % 5, 3]),
                *([_event("exercise_started", exercise_version=tried[i % 3])] if i < 4 else []),
            ])
    nurses = staff_link(live_server)
    for i in range(11):
        with closing(_join(live_server.url, nurses, None)) as phone:
            _send(phone, [_event("pause_completed", weeks_ago, exercise_version=pause, seconds=60),
                          _event("pause_completed", exercise_version=pause, seconds=60 + i,
                                 stress_before=6 + i % 3, stress_after=3 + i % 2)])
    (clinic,) = live_server.query("SELECT id, name FROM site WHERE slug = ?", DEMO_CLINIC)
    return {"clinic_id": clinic[0], "clinic_name": clinic[1]}


@pytest.fixture
def person(browser, live_server, request):
    """A signed-in workspace account of the given role, in a browser context of her own."""
    contexts = []

    def make(role: str, viewport: dict = LAPTOP, **options):
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
        create_account(live_server, email, role)
        context = browser.new_context(viewport=viewport, locale="da-DK", **options)
        contexts.append(context)
        page = context.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
        sign_in(page, live_server, email)
        page.wait_for_url(f"{live_server.url}/workspace")
        page.email = email  # type: ignore[attr-defined]
        return page

    yield make
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        for i, page in enumerate(p for context in contexts for p in context.pages):
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{i}.png"), full_page=True)
    problems = [p for context in contexts for page in context.pages for p in page.problems]
    for context in contexts:
        context.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems


def figures_shown(page) -> None:
    assert page.locator("#overview-title").count() == 1, "the figures are shown"
    assert page.locator("table.numbers").count() >= 4


def test_the_dashboard_its_filtered_view_and_the_annual_report_are_accessible(person, live_server, activity):
    page = person("researcher")
    page.click(f"a[href='{REPORTS}']")
    page.wait_for_url(f"**{REPORTS}")
    figures_shown(page)
    assert page.locator("#who5-title ~ dl.figures").count() == 1, "a paired WHO-5 change"
    assert page.locator("#stress-title ~ .table-scroll table").count() == 1, "staff stress before and after"
    geo = page.locator("#municipalities-table")  # by municipality: Ballerup hidden, and one more with it
    assert geo.locator(".hidden-cell").count() >= 8
    charts = page.locator("figure.bar-chart").count()
    assert charts >= 4 and page.locator("svg[role=img] title").count() == charts, "every chart is named"
    assert_accessible(page)

    page.select_option("#f-kind", "patient")
    page.select_option("#f-period", str(datetime.now(UTC).year))  # a whole calendar year, quarter or month
    page.click("form.report-filters button[type=submit]")
    page.wait_for_url(re.compile(r"kind=patient"))
    figures_shown(page)
    assert page.input_value("#f-kind") == "patient"
    assert_accessible(page)

    page.click(f"a[href='{ANNUAL}']")
    page.wait_for_url(f"**{ANNUAL}")
    assert page.locator("article.report h1").count() == 1
    figures_shown(page)
    assert page.locator("form.notes-form").count() == 0, "a researcher reads; coordinators write"
    assert_accessible(page)


def test_the_filters_work_without_javascript(person, activity):
    page = person("researcher", java_script_enabled=False)
    page.goto(page.url + "/reports")
    figures_shown(page)
    page.select_option("#f-kind", "staff")
    page.click("form.report-filters button[type=submit]")
    page.wait_for_url(re.compile(r"kind=staff"))
    assert "kind=staff" in page.url
    # The form says what is shown: Staff is the chosen "Who", and the staff's own figures are there.
    assert page.locator("#f-kind option[selected]").get_attribute("value") == "staff"
    assert page.locator("#f-kind option[selected]").text_content().strip() == "Personale"
    figures_shown(page)
    assert page.locator("#stress-title ~ .table-scroll table").count() == 1


# Elements (outside data tables) whose right edge passes the viewport; and the data tables wider than it.
OVERFLOW = """(width) => ({
    loose: [...document.querySelectorAll('body *')].filter(el => !el.closest('table'))
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')),
    tables: [...document.querySelectorAll('table')].filter(t => t.getBoundingClientRect().right > width + 0.5)
        .map(t => `${t.caption ? t.caption.textContent.trim() : 'a table'}: ${Math.round(t.scrollWidth)}px`),
})"""


def test_the_reports_fit_320px_also_at_200_percent_text_and_dark_mode_is_accessible(person, live_server, activity):
    page = person("researcher", viewport=NARROW, is_mobile=True, has_touch=True)
    too_wide = []
    for path in (REPORTS, f"{REPORTS}?kind=patient", ANNUAL):
        page.emulate_media(color_scheme="light")
        page.goto(f"{live_server.url}{path}")
        figures_shown(page)
        assert_fits(page, 320)
        page.emulate_media(color_scheme="dark")
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert_accessible(page)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        overflow = page.evaluate(OVERFLOW, 320)
        assert overflow["loose"] == [], f"{path} at 200 % text: these do not reflow: {overflow['loose'][:8]}"
        if page.evaluate("document.documentElement.scrollWidth") > 320:
            too_wide.append(f"{path}: {'; '.join(overflow['tables'])}")
    # A table of seven columns cannot fit 320 px at 200 % text: it scrolls in its own focusable region,
    # never the page (WCAG 1.4.10).
    assert too_wide == [], " | ".join(too_wide)


def test_an_admin_links_a_coordinator_whose_commentary_prints_with_the_annual_report(person, live_server, activity):
    coordinator = person("coordinator")
    admin = person("admin")

    # The admin gives the coordinator the demo clinic.
    admin.goto(f"{live_server.url}/workspace/admin/accounts")
    row = admin.locator("tr", has_text=coordinator.email)
    row.locator("details.site-links summary").click()
    assert_accessible(admin)
    row.locator("label.choice", has_text=activity["clinic_name"]).locator("input").check()
    row.locator("details.site-links button[type=submit]").click()
    admin.wait_for_url("**/workspace/admin/accounts?saved=1")
    assert admin.locator("p.notice[role=status]").count() == 1
    assert_accessible(admin)
    assert live_server.query("SELECT site FROM account_site s JOIN account a ON a.id = s.account WHERE a.email = ?",
                             coordinator.email) == [(activity["clinic_id"],)]

    # She writes her commentary for her clinic's annual report.
    coordinator.goto(f"{live_server.url}{ANNUAL}")
    coordinator.select_option("#a-site", DEMO_CLINIC)
    coordinator.click("form.report-filters button[type=submit]")
    coordinator.wait_for_url(re.compile(r"site=" + DEMO_CLINIC))
    figures_shown(coordinator)
    summary = "Et roligt år med mange nye deltagere.\nFlest brugte øvelserne om aftenen."
    ahead = "Vi vil tilbyde flere hold i 2027."
    coordinator.fill("#note-summary", summary)
    coordinator.fill("#note-ahead", ahead)
    coordinator.click("form.notes-form button[type=submit]")
    coordinator.wait_for_url(re.compile(r"saved=1"))
    assert coordinator.locator("p.notice[role=status]").is_visible()
    assert coordinator.input_value("#note-summary") == summary
    assert_accessible(coordinator)

    # On paper: no forms, no notice, but her words with the figures.
    coordinator.emulate_media(media="print")
    assert coordinator.locator("form.filters").is_hidden()
    assert coordinator.locator("form.notes-form").is_hidden()
    assert coordinator.locator("p.notice[role=status]").is_hidden()
    notes = coordinator.locator("article.report .note-text")
    assert notes.count() == 2 and notes.first.is_visible() and notes.last.is_visible()
    assert notes.first.inner_text().split("\n") == summary.split("\n"), "her line breaks are kept"
    assert notes.last.inner_text() == ahead
    assert coordinator.locator("article.report #overview-title").is_visible()
    pdf = coordinator.pdf(format="A4")  # headless Chromium prints; the print media above is what it uses
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))  # one page object per sheet (not the /Pages tree)
    assert pages >= 1, "an A4 document with at least one page"
