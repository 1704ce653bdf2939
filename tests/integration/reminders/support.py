"""Reminder test helpers: participants with a due plan and a subscription at the push double."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from server.participants import services
from server.participants.tables import Participant
from server.reminders.endpoints import push_session
from server.reminders.sender import Sender
from server.reminders.tables import PushSubscription, ReminderPlan
from server.reminders.vapid import Signer
from server.settings import get_settings


async def run_sender(vapid_key, now: datetime | None = None, *, send_timeout: float | None = None) -> int:
    """One round of a newly started sender (as after a restart: nothing carried over in memory) at ``now``;
    returns when every send has an answer and is recorded. ``send_timeout``: seconds for one send."""
    options = {} if send_timeout is None else {"timeout": send_timeout}
    async with push_session() as session:
        return await Sender(session, Signer(vapid_key, get_settings().push_contact), **options).run_once(now)


async def due_participants(push, n: int, *, kind: str = "patient", language: str = "da",
                           due: datetime | None = None) -> list[dict]:
    """``n`` participants, each with a plan due at ``due`` (default: a minute ago) and one subscription."""
    site_id = await services.ensure_site("reminder-site", "Reminder clinic", "0101")
    now = datetime.now(UTC)
    due = due or now - timedelta(minutes=1)
    ids = [uuid.uuid4() for _ in range(n)]
    await Participant.insert(*[Participant(id=i, kind=kind, site=site_id, language=language,
                                           consent_version="test", consented_at=now, created_at=now) for i in ids])
    subscriptions = [push.new_subscription() for _ in ids]
    await PushSubscription.insert(*[PushSubscription(participant=i, endpoint=s["endpoint"], p256dh=s["keys"]["p256dh"],
                                                     auth=s["keys"]["auth"], created_at=now)
                                    for i, s in zip(ids, subscriptions, strict=True)])
    await ReminderPlan.insert(*[ReminderPlan(participant=i, enabled=True, choice=json.dumps({"times": ["08:00"]}),
                                             slots=json.dumps(["08:00"]), days="1234567", next_due_at=due,
                                             updated_at=now) for i in ids])
    return [{"participant": i, **s} for i, s in zip(ids, subscriptions, strict=True)]
