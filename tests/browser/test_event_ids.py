"""Event ids on a browser without crypto.randomUUID (Safari before 15.4, any page outside a secure context):
the server takes only UUIDs, so the phone must still make proper version-4 ones, in the page and in the worker."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import poll
from tests.browser.test_offline import outbox_empty, wait_for_controller
from tests.browser.test_patient_flow import enrol_in_danish

pytestmark = pytest.mark.browser
NO_RANDOM_UUID = "delete Crypto.prototype.randomUUID;"
UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MAKE_IDS = "async (n) => { const { newEventId } = await import('/static/js/outbox.js');" \
           " return Array.from({ length: n }, () => newEventId()); }"


def batch_statuses(page) -> list[int]:
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status)
            if r.request.method == "POST" and r.url.endswith("/api/events") else None)
    return statuses


def stored(page, live_server, sql: str, *args, timeout: float = 15.0) -> list[tuple]:
    """The rows once there are any. Waits through the page, so that its events (the batches' answers) are
    taken in meanwhile: Playwright delivers them only while it is being called."""
    deadline = time.monotonic() + timeout
    while not (rows := live_server.query(sql, *args)) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    return rows


def test_it_makes_valid_distinct_version_4_ids_without_random_uuid(page, live_server):
    page.add_init_script(NO_RANDOM_UUID)
    page.goto(live_server.url)
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    ids = page.evaluate(MAKE_IDS, 5000)
    assert len(ids) == len(set(ids)) == 5000
    assert [i for i in ids if not UUID_V4.match(i)] == []


def test_a_practice_left_midway_without_random_uuid_is_stored(page, live_server):
    page.add_init_script(NO_RANDOM_UUID)
    statuses = batch_statuses(page)
    enrol_in_danish(page, live_server)
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]

    page.goto(f"{live_server.url}/exercises/body-scan-10/play")
    page.click("[data-action=toggle]")
    page.wait_for_timeout(300)
    page.click("[data-action=skip]")  # a step_completed too
    # Sent before she leaves: an event queued in the very millisecond of a navigation may be dropped with the
    # page's IndexedDB transaction (no person taps that fast; CI did once), and this test is about the ids.
    assert stored(page, live_server, "SELECT 1 FROM event WHERE participant = ? AND type = 'step_completed'",
                  participant), f"/api/events answered {statuses}"
    page.goto(f"{live_server.url}/home")  # leaving fires pagehide: exercise_left waits in the outbox

    rows = stored(page, live_server, "SELECT type FROM event WHERE participant = ? AND type = 'exercise_left'",
                  participant)
    assert rows == [("exercise_left",)], f"/api/events answered {statuses}"
    types = {r[0] for r in live_server.query("SELECT type FROM event WHERE participant = ?", participant)}
    assert {"app_opened", "exercise_started", "step_completed", "exercise_left"} <= types
    outbox_empty(page)
    assert statuses and set(statuses) == {200}, f"every batch was taken: {statuses}"


def test_the_worker_logs_a_reminder_tap_without_random_uuid(page, context, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    outbox_empty(page)
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    context.grant_permissions(["notifications"], origin=live_server.url)
    worker = context.service_workers[0]

    # A tap on a reminder, as sw-push.js sees it: the worker queues reminder_opened in the outbox.
    # (In one evaluation with the removal: a worker that was stopped and restarted would have it back.)
    assert worker.evaluate(NO_RANDOM_UUID + """ (async () => {
        await self.registration.showNotification('Pusterum', { tag: 'test', data: { url: '/home' } });
        const [notification] = await self.registration.getNotifications({ tag: 'test' });
        const event = new NotificationEvent('notificationclick', { notification });
        event.waitUntil = () => {};  // an untrusted event may not extend itself; the handler still runs
        self.dispatchEvent(event);
        return typeof crypto.randomUUID;
    })()""") == "undefined"
    # The worker sends it itself, unless focusing the page failed first; then the page's outbox does.
    sent = "SELECT type FROM event WHERE participant = ? AND type = 'reminder_opened'"
    deadline = time.monotonic() + 15
    while not (rows := live_server.query(sent, participant)) and time.monotonic() < deadline:
        poll(page, "async () => { await (await import('/static/js/outbox.js')).flush(); return true; }")
        page.wait_for_timeout(300)
    assert rows == [("reminder_opened",)]

    worker_ids = worker.evaluate(NO_RANDOM_UUID + " Array.from({ length: 1000 }, "
                                                  "() => self.PusterumOutbox.newEventId())")
    assert len(set(worker_ids)) == 1000 and all(UUID_V4.match(i) for i in worker_ids)
