"""The library and the course on a phone, online and off, and a publish reaching a phone that kept pages."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import assert_accessible, assert_fits
from tests.browser.test_offline import wait_for_controller, wait_until_cached
from tests.browser.test_patient_flow import enrol_in_danish

pytestmark = pytest.mark.browser


def test_a_filter_the_phone_has_not_kept_says_it_needs_the_network_offline(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    page.goto(f"{live_server.url}/library")
    wait_until_cached(page, f"{live_server.url}/library")
    page.click(".filter-chip:text-is('Mindfulness')")  # a list she has seen online is kept as it was
    page.wait_for_url("**/library?kind=mindfulness")
    wait_until_cached(page, f"{live_server.url}/library?kind=mindfulness")
    mindfulness = page.locator(".card").count()

    page.context.set_offline(True)
    try:
        page.goto(f"{live_server.url}/library")
        assert page.is_visible("[data-offline-note]")  # the kept copy says it is one
        page.click(".filter-chip:text-is('Smertemestring')")  # never opened: not on the phone
        page.wait_for_url("**/library?kind=pain_coping")
        assert page.locator("h1").text_content() == "Filtrene kræver net"
        assert page.locator(".card").count() == 0  # no other list standing in for the one she chose
        assert_accessible(page)
        page.click("main a:text-is('alle øvelser')")
        page.wait_for_url("**/library")
        assert page.locator(".card").count() > mindfulness
        page.click(".filter-chip:text-is('Mindfulness')")
        page.wait_for_url("**/library?kind=mindfulness")
        assert page.locator(".card").count() == mindfulness
    finally:
        page.context.set_offline(False)


def test_a_practice_she_finishes_is_marked_done_in_the_library_she_opens_next(page, live_server):
    slug = "sixty-second-breath"
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    page.goto(f"{live_server.url}/library")
    wait_until_cached(page, f"{live_server.url}/library")  # kept and fresh on the phone
    assert page.locator(".done-mark").count() == 0 and page.locator(".recent-link").count() == 0
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    page.goto(f"{live_server.url}/exercises/{slug}/play")
    page.click("[data-action=toggle]")
    page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
    deadline = time.monotonic() + 15
    while not live_server.query("SELECT 1 FROM event WHERE participant = ? AND type = 'exercise_completed'",
                                participant):
        assert time.monotonic() < deadline, "the completed practice never arrived"
        time.sleep(0.2)
    page.click(".topnav a[href='/library']")  # the next page she opens
    page.wait_for_url("**/library")
    title = page.locator(".recent-link").first.text_content()
    card = page.locator(".card", has_text=title)
    assert card.locator(".done-mark").text_content() == "Lavet"
    assert page.locator(".done-mark").count() == 1


def test_her_wellbeing_page_opens_offline_from_the_phone(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    page.goto(f"{live_server.url}/wellbeing")
    heading = page.locator("h1").first.text_content()
    wait_until_cached(page, f"{live_server.url}/wellbeing")
    assert page.is_hidden("[data-offline-note]")
    page.goto(f"{live_server.url}/home")
    page.context.set_offline(True)
    try:
        page.goto(f"{live_server.url}/wellbeing")
        assert page.locator("h1").first.text_content() == heading
        assert page.is_visible("[data-offline-note]")
        assert "Du er offline" in page.inner_text("[data-offline-note]")
        assert_accessible(page)
    finally:
        page.context.set_offline(False)


def test_the_course_overview_shows_every_week_and_the_day_a_locked_one_opens(page, live_server):
    enrol_in_danish(page, live_server)
    page.click("a[href='/course']")
    page.wait_for_url("**/course")
    assert page.locator(".course-week").count() == 8
    locked = page.locator(".course-week.locked")
    assert locked.count() >= 1
    assert re.fullmatch(r"Åbner \w+dag den \d{1,2}\. \w+", locked.first.locator(".opens").text_content())
    assert page.locator(".course-week.current").count() == 1
    for width in (390, 320):
        page.set_viewport_size({"width": width, "height": 844})
        assert_fits(page, width)
    assert_accessible(page)


def _publish(live_server, slug: str, old: str, new: str) -> None:
    path = live_server.content_dir / "exercises" / f"{slug}.md"
    path.write_text(path.read_text().replace(old, new))
    live_server.cli("content", "import")


def test_a_publish_reaches_her_next_visit_and_never_interrupts_a_practice(page, live_server):
    slug, old, corrected = "stop-practice", "du kan tage overalt.", "du kan tage hvor som helst."
    exercise = f"{live_server.url}/exercises/{slug}"
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    page.goto(exercise)
    wait_until_cached(page, exercise)
    page.goto(f"{live_server.url}/home")
    page.goto(exercise)  # kept and fresh: this visit and the next are answered from the phone
    assert page.inner_text(".lead").endswith(old)
    # She starts a practice; meanwhile an editor publishes a correction.
    page.goto(f"{live_server.url}/exercises/body-scan-10/play")
    page.evaluate("window.__samePage = true")
    page.click("[data-action=toggle]")
    _publish(live_server, slug, old, corrected)
    try:
        deadline = time.monotonic() + 15  # the server notices a publish within its 5-second poll
        while corrected not in page.request.get(exercise).text():  # asked past the phone's worker
            assert time.monotonic() < deadline, "the server never served the correction"
            time.sleep(0.3)
        # The practice goes on: nothing reloads the page she is practising on.
        assert page.evaluate("window.__samePage") is True and page.is_visible("[data-stage]")
        page.close()  # she leaves the app ...
        visit = page.context.new_page()  # ... and opens it again later: a new page load
        visit.goto(exercise)
        assert visit.inner_text(".lead").endswith(corrected)
        visit.close()
    finally:
        _publish(live_server, slug, corrected, old)
