"""The outbox against a server that refuses or fails on some events: what can never be saved is dropped,
what fails is retried, and neither holds back the events queued with it."""

from __future__ import annotations

import json
import time

import pytest

from tests.browser.conftest import poll
from tests.browser.test_offline import outbox_empty, wait_for_controller
from tests.browser.test_patient_flow import enrol_in_danish

pytestmark = pytest.mark.browser
PENDING = "async () => (await import('/static/js/outbox.js')).pending()"
COUNT = "SELECT count(*) FROM event WHERE participant = ? AND type = 'reminder_opened'"


def _queue(page, count: int, **fields) -> list[str]:
    """Events made while offline (so they go together in one batch); returns their ids."""
    page.context.set_offline(True)
    ids = page.evaluate("""async ([count, fields]) => {
        const outbox = await import('/static/js/outbox.js');
        const ids = [];
        for (let i = 0; i < count; i++) ids.push((await outbox.record('reminder_opened', fields)).id);
        return ids;
    }""", [count, fields])
    return ids


def _enrolled(page, live_server) -> str:
    """A new patient whose outbox is empty; returns her participant id."""
    enrol_in_danish(page, live_server)
    outbox_empty(page)
    return live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]


def test_an_event_the_server_can_never_take_is_dropped_and_the_rest_arrive(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    outbox_empty(page)
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    good = _queue(page, 20)
    bad = _queue(page, 1, occurred_at="1999-12-31T23:00:00Z")  # a phone whose clock was reset
    page.context.set_offline(False)
    page.evaluate("async () => (await import('/static/js/outbox.js')).flush()")
    poll(page, f"async () => (await ({PENDING})()) === 0")
    assert live_server.query(COUNT, participant)[0][0] == len(good)
    assert live_server.query("SELECT count(*) FROM event WHERE id = ?", bad[0])[0][0] == 0


@pytest.fixture
def page_alone(browser):
    """A phone without the service worker: its Background Sync would send past the route below."""
    from tests.browser.conftest import PHONE

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="da-DK",
                                  service_workers="block")
    yield context.new_page()
    context.close()


def test_an_event_that_makes_the_server_fail_holds_back_only_itself(page_alone, live_server):
    page = page_alone
    participant = _enrolled(page, live_server)
    good = _queue(page, 30)
    poisoned = _queue(page, 1)[0]
    answers: list[int] = []

    def server_bug(route) -> None:
        # Any batch holding the poisoned event fails as a server bug would; the others reach the server.
        if any(e.get("id") == poisoned for e in json.loads(route.request.post_data or "{}").get("events", [])):
            answers.append(500)
            route.fulfill(status=500, content_type="application/json", body='{"detail": "boom"}')
        else:
            answers.append(200)
            route.continue_()

    page.route("**/api/events", server_bug)
    page.context.set_offline(False)
    for _ in range(3):  # the page's own retries back off; here they are asked for at once
        page.evaluate("async () => (await import('/static/js/outbox.js')).flush()")
    poll(page, f"async () => (await ({PENDING})()) === 1", timeout=30)
    assert live_server.query(COUNT, participant)[0][0] == len(good)
    assert 500 in answers and 200 in answers

    page.unroute("**/api/events")  # the bug is fixed: the held-back event arrives too
    page.evaluate("async () => (await import('/static/js/outbox.js')).flush()")
    poll(page, f"async () => (await ({PENDING})()) === 0", timeout=30)
    assert live_server.query(COUNT, participant)[0][0] == len(good) + 1


def test_a_429_is_honoured_nothing_is_sent_before_retry_after_and_nothing_is_lost(page_alone, live_server):
    page = page_alone
    participant = _enrolled(page, live_server)
    queued = _queue(page, 25)
    tries: list[float] = []

    def over_the_limit(route) -> None:
        tries.append(time.monotonic())
        if len(tries) == 1:  # the server's limit is reached: wait 3 s, keep everything
            route.fulfill(status=429, content_type="application/json", headers={"Retry-After": "3"},
                          body='{"error": "Prøv igen om lidt.", "detail": "events-minute limit reached"}')
        else:
            route.continue_()

    page.route("**/api/events", over_the_limit)
    page.context.set_offline(False)
    page.evaluate("async () => (await import('/static/js/outbox.js')).flush()")
    poll(page, "() => true")
    assert len(tries) == 1
    for _ in range(5):  # new events, coming online, a timer: every reason to send comes while it must wait
        page.evaluate("async () => (await import('/static/js/outbox.js')).flush()")
        page.wait_for_timeout(300)
    assert len(tries) == 1 and page.evaluate(PENDING) == len(queued)
    poll(page, f"async () => (await ({PENDING})()) === 0", timeout=30)
    assert tries[1] - tries[0] >= 3
    assert live_server.query(COUNT, participant)[0][0] == len(queued)
