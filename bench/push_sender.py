"""One sender process for the bench (as one app worker would run it), started with the app's environment.

``python -m bench.push_sender setup <subscriptions.json> <due epoch>``: inserts a participant, a plan due at
that moment and the subscription for each entry. ``python -m bench.push_sender send <due epoch>``: waits
until then, sends until nothing more is due, prints how many reminders it claimed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp


async def setup(subscriptions: list[dict], due_epoch: float) -> None:
    from server.participants.services import ensure_site
    from server.participants.tables import Participant
    from server.reminders.tables import PushSubscription, ReminderPlan

    site_id = await ensure_site("bench-site", "Bench clinic")
    now, due = datetime.now(UTC), datetime.fromtimestamp(due_epoch, UTC)
    for start in range(0, len(subscriptions), 1000):
        chunk = subscriptions[start:start + 1000]
        ids = [uuid.uuid4() for _ in chunk]
        await Participant.insert(*[Participant(id=i, kind="staff", site=site_id, language="da", consent_version="b",
                                               consented_at=now, created_at=now) for i in ids])
        await PushSubscription.insert(*[PushSubscription(participant=i, endpoint=s["endpoint"],
                                                         p256dh=s["keys"]["p256dh"], auth=s["keys"]["auth"],
                                                         created_at=now) for i, s in zip(ids, chunk, strict=True)])
        await ReminderPlan.insert(*[ReminderPlan(participant=i, enabled=True, slots='["08:00"]', days="1234567",
                                                 next_due_at=due, updated_at=now) for i in ids])


async def send(due_epoch: float) -> int:
    from server.reminders.sender import Sender
    from server.reminders.vapid import Signer, load_key
    from server.settings import get_settings

    claimed, idle = 0, 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        sender = Sender(session, Signer(load_key(), get_settings().push_contact))
        await asyncio.sleep(max(0.0, due_epoch - time.time()))
        while idle < 3:
            n = await sender.run_once()
            claimed += n
            idle = 0 if n else idle + 1
            if not n:
                await asyncio.sleep(0.05)
    return claimed


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        asyncio.run(setup(json.loads(Path(sys.argv[2]).read_text()), float(sys.argv[3])))
    else:
        print(asyncio.run(send(float(sys.argv[2]))))
