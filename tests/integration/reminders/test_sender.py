"""The sender against a push service double that verifies VAPID and really decrypts what we send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.engagement.tables import Event
from server.lib.localtime import TZ
from server.reminders.tables import PushSubscription, ReminderPlan
from tests.integration.reminders.support import due_participants, run_sender


async def test_a_due_reminder_arrives_once_encrypted_with_a_neutral_text(db, push, vapid_key):
    [who] = await due_participants(push, 1, language="da")
    assert await run_sender(vapid_key) == 1
    [delivery] = await push.wait_for_async(1)
    message = delivery.json()
    assert message["title"] == "Tid til et pusterum?"
    assert message["url"] == "/home"
    # Nothing personal or clinical on the lock screen: only these words and the two buttons (and, for a phone
    # without buttons, the page that offers their choices).
    assert set(message) == {"title", "body", "url", "later_url", "tag", "actions"}
    assert message["later_url"] == "/reminders/now"
    for word in ("gravid", "smerte", "angst", "depression", "pregnan", "pain"):
        assert word not in delivery.payload.decode().lower()
    assert 3500 <= delivery.ttl < 3600  # its hour counts from when it fell due, a minute ago
    assert delivery.urgency == "normal" and delivery.topic
    assert delivery.claims["aud"] == push.origin and delivery.claims["sub"].startswith("mailto:")
    # Sent once: running again finds nothing due, and the plan moved on to tomorrow 08:00 local.
    assert await run_sender(vapid_key) == 0
    assert len(push.deliveries) == 1
    plan = await ReminderPlan.select(ReminderPlan.next_due_at).where(ReminderPlan.participant == who["participant"]
                                                                      ).first()
    local = plan["next_due_at"].astimezone(TZ)
    assert local.strftime("%H:%M") == "08:00" and plan["next_due_at"] > datetime.now(UTC)
    assert await Event.count().where((Event.type == "reminder_sent") & (Event.participant == who["participant"])) == 1


async def test_staff_get_english_text_and_the_pause_picker(db, push, vapid_key):
    await due_participants(push, 1, kind="staff", language="en")
    await run_sender(vapid_key)
    [delivery] = await push.wait_for_async(1)
    assert delivery.json()["title"] == "Time for a breathing space?"
    assert delivery.json()["url"] == "/pause"


async def test_a_gone_subscription_is_deleted_and_not_counted_as_sent(db, push, vapid_key):
    [who] = await due_participants(push, 1)
    push.script(who["endpoint"], 410)
    await run_sender(vapid_key)
    assert push.attempts == 1 and push.deliveries == []
    assert await PushSubscription.count().where(PushSubscription.participant == who["participant"]) == 0
    assert await Event.count().where(Event.type == "reminder_sent") == 0


async def test_429_is_retried_after_the_time_the_service_asks_for(db, push, vapid_key):
    [who] = await due_participants(push, 1)
    push.script(who["endpoint"], (429, {"Retry-After": "120"}))
    now = datetime.now(UTC)
    await run_sender(vapid_key, now)
    await run_sender(vapid_key, now + timedelta(seconds=100))
    assert push.attempts == 1  # it honoured Retry-After instead of hammering the service
    await run_sender(vapid_key, now + timedelta(seconds=121))
    assert push.attempts == 2 and len(push.deliveries) == 1
    assert await Event.count().where(Event.type == "reminder_sent") == 1


async def test_a_5xx_is_retried_with_backoff(db, push, vapid_key):
    [who] = await due_participants(push, 1)
    push.script(who["endpoint"], 503, 502)
    now = datetime.now(UTC)
    await run_sender(vapid_key, now)
    await run_sender(vapid_key, now + timedelta(seconds=5))
    assert push.attempts == 1  # not at once: 15 s and more after the first failure
    for minutes in (1, 3):
        await run_sender(vapid_key, now + timedelta(minutes=minutes))
    assert push.attempts == 3 and len(push.deliveries) == 1


@pytest.mark.parametrize("status", [400, 403, 413])
async def test_configuration_errors_are_logged_not_retried(db, push, vapid_key, caplog, status):
    [who] = await due_participants(push, 1)
    push.script(who["endpoint"], status)
    now = datetime.now(UTC)
    await run_sender(vapid_key, now)
    await run_sender(vapid_key, now + timedelta(minutes=10))
    assert push.attempts == 1
    assert any(r.levelname == "ERROR" and str(status) in r.getMessage() for r in caplog.records)
    assert "/push/" not in caplog.text  # the subscription's secret path is not logged
    [kept] = await PushSubscription.select()  # kept: the fault is ours, not the browser's
    assert kept["last_failure"] == f"refused with {status}" and kept["pending_until"] is None


async def test_only_what_is_due_is_sent(db, push, vapid_key):
    await due_participants(push, 2)
    await due_participants(push, 3, due=datetime.now(UTC) + timedelta(hours=1))
    assert await run_sender(vapid_key) == 2
    # run_once returns when every send has been answered, so nothing else is on its way
    assert len(push.deliveries) == 2 and push.attempts == 2


async def test_a_withdrawn_participant_gets_nothing(db, push, vapid_key):
    from server.journeys.withdrawal import withdraw

    [who] = await due_participants(push, 1)
    await withdraw(who["participant"], "keep")
    assert await run_sender(vapid_key) == 0
    assert push.attempts == 0
    assert await PushSubscription.count() == 0
