"""One browser's failure is only its own (issue 12 item 4): a bad key, a send that raises, a push service that
throttles, hangs or is down for a while. Each round is a newly started sender at a moment the test chooses,
so what carries a reminder from one round to the next can only be the database."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from datetime import UTC, datetime, timedelta

from pywebpush import WebPusher

from server.engagement.tables import Event
from server.reminders.tables import PushSubscription, ReminderPlan
from tests.integration.reminders.support import due_participants, run_sender
from tests.support import API_HEADERS

# 65 bytes starting 0x04, as a P-256 public key is, but (1, 1) is not a point on the curve.
NOT_A_POINT = base64.urlsafe_b64encode(b"\x04" + b"\x00" * 31 + b"\x01" + b"\x00" * 31 + b"\x01").rstrip(b"=").decode()


async def sent_events() -> int:
    return await Event.count().where(Event.type == "reminder_sent")


async def test_a_key_that_is_not_a_p256_point_is_refused_and_changes_nothing(patient, push):
    good = push.new_subscription()
    bad = {**good, "keys": {**good["keys"], "p256dh": NOT_A_POINT}}
    refused = await patient.post("/api/push/subscription", json=bad, headers=API_HEADERS)
    assert refused.status_code == 422 and refused.json()["error"].startswith("This browser gave keys")
    assert refused.json()["detail"] == "p256dh is not a point on P-256"  # for developers
    assert await PushSubscription.count() == 0 and await ReminderPlan.count() == 0
    assert (await patient.post("/api/push/subscription", json=good, headers=API_HEADERS)).status_code == 200
    again = await patient.post("/api/push/subscription", json=bad, headers=API_HEADERS)  # the same browser
    assert again.status_code == 422
    [kept] = await PushSubscription.select(PushSubscription.p256dh)
    assert kept["p256dh"] == good["keys"]["p256dh"]


async def test_a_bad_subscription_stored_before_the_check_does_not_stop_the_others(db, push, vapid_key):
    others = await due_participants(push, 3)
    [bad] = await due_participants(push, 1)
    await PushSubscription.update({PushSubscription.p256dh: NOT_A_POINT}).where(
        PushSubscription.participant == bad["participant"])
    assert await run_sender(vapid_key) == 4
    assert sorted(d.endpoint for d in push.deliveries) == sorted(o["endpoint"] for o in others)
    assert await sent_events() == 3
    # No push can ever reach it: it goes, as a subscription the push service calls gone does.
    assert not await PushSubscription.exists().where(PushSubscription.participant == bad["participant"])


async def test_no_reminder_is_lost_when_a_send_raises(db, push, vapid_key, monkeypatch):
    who = await due_participants(push, 3)
    victim, raised = who[1]["endpoint"], []
    send_async = WebPusher.send_async

    async def raises_once(self: WebPusher, *args, **kwargs):
        if self.subscription_info["endpoint"] == victim and not raised:
            raised.append(victim)
            raise RuntimeError("something nobody foresaw")
        return await send_async(self, *args, **kwargs)

    monkeypatch.setattr(WebPusher, "send_async", raises_once)
    now = datetime.now(UTC)
    await run_sender(vapid_key, now)
    assert raised and len(push.deliveries) == 2 and await sent_events() == 2  # the others are delivered, recorded
    await run_sender(vapid_key, now + timedelta(minutes=2))
    assert Counter(d.endpoint for d in push.deliveries) == {w["endpoint"]: 1 for w in who}
    assert await sent_events() == 3


async def test_a_throttling_service_delays_only_its_own_subscriptions(db, push, other_push, vapid_key):
    [fast] = await due_participants(push, 1)
    [slow] = await due_participants(other_push, 1)
    other_push.script(slow["endpoint"], (429, {"Retry-After": "120"}))
    now = datetime.now(UTC)
    # The round does not sit out the two minutes the slow service asked for (the old sender slept them).
    await asyncio.wait_for(run_sender(vapid_key, now), timeout=30)
    assert [d.endpoint for d in push.deliveries] == [fast["endpoint"]] and await sent_events() == 1
    assert other_push.deliveries == [] and other_push.attempts == 1
    await run_sender(vapid_key, now + timedelta(seconds=60))
    assert other_push.attempts == 1  # its Retry-After is honoured
    await run_sender(vapid_key, now + timedelta(seconds=125))
    assert [d.endpoint for d in other_push.deliveries] == [slow["endpoint"]] and await sent_events() == 2


async def test_a_hanging_service_delays_only_its_own_subscriptions(db, push, other_push, vapid_key):
    [fast] = await due_participants(push, 1)
    [slow] = await due_participants(other_push, 1)
    other_push.hang()
    round_ = asyncio.create_task(run_sender(vapid_key))
    assert [d.endpoint for d in await push.wait_for_async(1)] == [fast["endpoint"]]
    for _ in range(200):  # the fast service's reminder is recorded while the slow one still has no answer
        if await sent_events() == 1:
            break
        await asyncio.sleep(0.02)
    assert await sent_events() == 1 and other_push.waiting == 1 and not round_.done()
    other_push.release()
    await round_
    assert [d.endpoint for d in other_push.deliveries] == [slow["endpoint"]] and await sent_events() == 2


async def test_a_send_that_times_out_is_tried_again_later(db, push, vapid_key):
    [who] = await due_participants(push, 1)
    push.hang()
    now = datetime.now(UTC)
    await run_sender(vapid_key, now, send_timeout=0.5)
    for _ in range(100):  # the double notices that the sender hung up
        if push.waiting == 0:
            break
        await asyncio.sleep(0.05)
    assert [r.reason for r in push.rejections] == ["the sender hung up while we hung"]
    push.release()
    assert push.deliveries == [] and await sent_events() == 0
    await run_sender(vapid_key, now + timedelta(minutes=1))
    assert [d.endpoint for d in push.deliveries] == [who["endpoint"]] and await sent_events() == 1


async def test_a_reminder_due_during_an_outage_is_delivered_once_after_it(db, push, vapid_key):
    [who] = await due_participants(push, 1)
    push.script(who["endpoint"], 503, 503, 502, 503, 503)  # longer than the old sender's 4 quick tries
    now = datetime.now(UTC)
    for minutes in (0, 1, 3, 6, 12):
        await run_sender(vapid_key, now + timedelta(minutes=minutes))
    assert push.attempts == 5 and push.deliveries == []
    for minutes in (25, 40):
        await run_sender(vapid_key, now + timedelta(minutes=minutes))
    [delivery] = push.deliveries
    assert delivery.ttl <= 3600 - 25 * 60  # what is left of its hour, not a fresh one
    assert await sent_events() == 1
    [sub] = await PushSubscription.select()
    assert sub["pending_until"] is None and sub["last_failure"] is None


async def test_after_its_ttl_a_reminder_is_given_up_and_recorded(db, push, vapid_key, caplog):
    [who] = await due_participants(push, 1)
    push.script(who["endpoint"], *[503] * 100)
    now = datetime.now(UTC)
    for minutes in range(0, 70, 5):
        await run_sender(vapid_key, now + timedelta(minutes=minutes))
    tries = push.attempts
    assert tries >= 10 and push.deliveries == [] and await sent_events() == 0
    await run_sender(vapid_key, now + timedelta(hours=2))
    assert push.attempts == tries  # given up: not tried again
    [sub] = await PushSubscription.select()  # kept: the next reminder may well get through
    assert sub["pending_until"] is None and sub["last_failed_at"] is not None
    assert sub["last_failure"].startswith("expired")  # "after 12 attempts, last 503", or before the next one
    assert "given up" in caplog.text and "/push/" not in caplog.text
