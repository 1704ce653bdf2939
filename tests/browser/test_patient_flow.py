"""A pregnant woman's first visit on her phone, from the invite link to a rated practice."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import assert_accessible, assert_fits

pytestmark = pytest.mark.browser
SHORT = "one-minute-landing"
FIRST = "breathing-space-3"  # the short practice offered right after consent
PHONE_SIZE = {"width": 390, "height": 844}


def wait_for_rows(live_server, sql: str, expected: int, timeout: float = 10.0) -> list[tuple]:
    deadline = time.monotonic() + timeout
    rows = live_server.query(sql)
    while len(rows) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = live_server.query(sql)
    return rows


def enrol_in_danish(page, live_server, *, practise_first: bool = False) -> None:
    """Joins as she would; the first practice offered after consent is skipped unless ``practise_first``."""
    page.goto(live_server.invite_url)
    assert_accessible(page)
    page.click("a[hreflang=da]")
    page.wait_for_url("**/consent?lang=da")
    assert page.get_attribute("html", "lang") == "da"
    assert_accessible(page)
    page.check("#consent")
    page.click(".consent-form button[type=submit]")
    page.wait_for_url("**/welcome")  # gives before it asks: a short practice first, no questions
    assert_accessible(page)
    assert page.locator("a[href='/wellbeing/checkin']").count() == 0
    if practise_first:
        page.click(f".first-practice a[href='/exercises/{FIRST}/play']")
        return
    page.click("main a[href='/home']")
    page.wait_for_url("**/home")


def test_it_walks_from_invite_to_a_rated_practice_and_logs_every_step(page, live_server):
    enrol_in_danish(page, live_server, practise_first=True)
    page.wait_for_selector("[data-stage]:not([hidden])")
    assert page.is_hidden("[data-step-list]"), "with JavaScript the player replaces the step list"
    assert_accessible(page)
    first_step = page.text_content("[data-step-text]")
    page.click("[data-action=toggle]")
    # The timers run 50× faster in tests: the three-minute practice ends in about four seconds.
    page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
    assert first_step
    assert_accessible(page)
    page.click("label[for=rating-4]")
    page.fill("#comment", "Det var rart")
    page.click("[data-rating-form] button[type=submit]")
    page.wait_for_selector("[data-thanks]:not([hidden])")
    assert_accessible(page)
    page.click("[data-thanks] a[href='/home']")
    page.wait_for_url("**/home")
    assert page.locator(".week h2").count() == 1, "her course week is on the home page"
    assert page.inner_text("h1") == "Velkommen", "her first visit"
    assert page.locator(".checkin-offer a[href='/wellbeing/checkin']").count() == 1, "after her first practice"

    steps = live_server.query(
        "SELECT json_array_length(json_extract(v.data, '$.steps')) FROM content_version v "
        "JOIN content_item i ON i.published_version = v.id WHERE i.slug = ?", FIRST)[0][0]
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    rows = wait_for_rows(live_server, f"SELECT type, step, rating, comment, seconds FROM event "
                                      f"WHERE participant = '{participant}'", steps + 4)
    types = sorted(r[0] for r in rows)
    assert types.count("step_completed") == steps
    assert {"app_opened", "exercise_started", "exercise_completed", "rating_given"} <= set(types)
    rating = next(r for r in rows if r[0] == "rating_given")
    assert (rating[2], rating[3]) == (4, "Det var rart")
    # Her municipality is asked later, on home, once the first check-in is behind her.
    assert live_server.query("SELECT language, municipality_code FROM participant WHERE id = ?", participant) == [
        ("da", None)]


def test_it_pauses_resumes_skips_and_goes_back(page, live_server):
    enrol_in_danish(page, live_server)
    page.goto(f"{live_server.url}/exercises/body-scan-10/play")
    page.click("[data-action=toggle]")
    page.click("[data-action=toggle]")  # pause
    assert page.get_attribute("[data-action=toggle]", "aria-pressed") == "false"
    paused_at = page.text_content("[data-step-remaining]")
    time.sleep(0.5)
    assert page.text_content("[data-step-remaining]") == paused_at, "the timer stands still while paused"
    counter = page.text_content("[data-step-count]")
    page.click("[data-action=skip]")
    assert page.text_content("[data-step-count]") != counter
    page.click("[data-action=back]")
    assert page.text_content("[data-step-count]") == counter


def test_it_shows_a_breathing_guide_and_a_still_one_under_reduced_motion(page, live_server):
    enrol_in_danish(page, live_server)
    slug = live_server.query(
        "SELECT i.slug FROM content_item i JOIN content_version v ON v.id = i.published_version "
        "WHERE i.kind = 'exercise' AND json_extract(v.data, '$.steps[0].breathing') IS NOT NULL "
        "AND json_extract(v.data, '$.audience') LIKE '%patient%' LIMIT 1")
    if not slug:
        slug = live_server.query(
            "SELECT i.slug FROM content_item i JOIN content_version v ON v.id = i.published_version "
            "WHERE v.data LIKE '%\"inhale\"%' AND json_extract(v.data, '$.audience') LIKE '%patient%' LIMIT 1")
    assert slug, "the seed content has a patient exercise with a breathing pattern"
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{live_server.url}/exercises/{slug[0][0]}/play")
    page.click("[data-action=toggle]")
    page.wait_for_selector("[data-breath]:not([hidden])", timeout=20000)
    assert page.text_content("[data-breath-label]")
    transition = page.eval_on_selector("[data-breath-circle]", "el => getComputedStyle(el).transitionDuration")
    assert transition in ("0s", "")


def test_every_patient_page_fits_320px_at_200_percent_text_in_dark_mode(context, live_server):
    page = context.new_page()
    enrol_in_danish(page, live_server)
    page.set_viewport_size({"width": 320, "height": 640})
    page.emulate_media(color_scheme="dark")
    for path in ("/home", "/library", f"/exercises/{SHORT}", f"/exercises/{SHORT}/play", "/support",
                 "/settings", "/about"):
        page.goto(f"{live_server.url}{path}")
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert_fits(page, 320)
        assert_accessible(page)


def test_the_library_filters_by_chips_and_every_page_links_support(page, live_server):
    enrol_in_danish(page, live_server)
    page.goto(f"{live_server.url}/library")
    assert_accessible(page)
    before = page.locator(".card").count()
    assert page.is_hidden(".more-filters .filter-heading")  # length and situation are folded away
    page.click(".filter-chip:text-is('Smertemestring')")
    page.wait_for_url("**/library?kind=pain_coping")
    assert 0 < page.locator(".card").count() < before
    assert page.get_attribute(".filter-chip:text-is('Smertemestring')", "aria-current") == "true"
    page.click(".more-filters summary")
    page.click(".filter-chip:text-is('Op til 5 minutter')")
    page.wait_for_url("**/library?kind=pain_coping&duration=short")
    assert page.is_visible(".more-filters .filter-heading")  # open while one of its filters is chosen
    assert_accessible(page)
    assert page.locator("a[href='/support']").first.is_visible()
    page.click(".topnav .support-link")
    page.wait_for_url("**/support")
    assert_accessible(page)
    assert page.locator("a[href='tel:112']").count() == 1


def test_an_unknown_invite_is_explained_kindly(page, live_server):
    response = page.goto(f"{live_server.url}/j/not-a-real-code-123")
    assert response.status == 404
    assert_accessible(page)
    assert page.locator("a[href='/support']").count() >= 1


def test_the_start_and_support_pages_work_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server.url)
    assert page.locator("a[href='/support']").count() >= 1
    page.goto(f"{live_server.url}/support")
    assert page.locator("a[href='tel:112']").count() == 1
    context.close()


def test_a_patient_can_join_practise_and_rate_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE_SIZE, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.invite_url)
    page.click("a[hreflang=en]")
    page.check("#consent")
    page.click(".consent-form button[type=submit]")
    page.wait_for_url("**/welcome")  # the first practice is offered, and skippable without JavaScript too
    page.click("main a[href='/home']")
    page.wait_for_url("**/home")
    page.goto(f"{live_server.url}/exercises/{SHORT}/play")
    assert page.is_visible("[data-step-list]"), "without JavaScript every step is listed"
    page.click(f"a[href='/exercises/{SHORT}/done']")
    page.click("label[for=rating-5]")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"**/exercises/{SHORT}/thanks")
    rows = wait_for_rows(live_server, "SELECT type, rating FROM event WHERE type = 'rating_given' AND rating = 5", 1)
    assert rows
    context.close()


def test_leaving_a_practice_midway_is_logged_with_the_time_practised(page, live_server):
    enrol_in_danish(page, live_server)
    before = len(live_server.query("SELECT id FROM event WHERE type = 'exercise_left'"))
    page.goto(f"{live_server.url}/exercises/body-scan-10/play")
    page.click("[data-action=toggle]")
    page.wait_for_timeout(300)
    page.goto(f"{live_server.url}/home")  # leaving fires pagehide; the event waits in the outbox
    rows = wait_for_rows(live_server, "SELECT seconds FROM event WHERE type = 'exercise_left'", before + 1)
    assert len(rows) == before + 1
    assert rows[-1][0] is not None
