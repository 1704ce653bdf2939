"""Several app processes each run a sender: a due reminder must still be delivered exactly once."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from server.engagement.tables import Event
from server.reminders.tables import ReminderPlan
from tests.integration.reminders.support import due_participants

ROOT = Path(__file__).resolve().parents[3]


async def test_two_sender_processes_deliver_1000_due_reminders_exactly_once(db, push, vapid_key):
    await due_participants(push, 1000)
    workers = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.reminders.sender_worker", cwd=ROOT, env=os.environ.copy(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for _ in range(2)]
    outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), timeout=300)
    assert all(w.returncode == 0 for w in workers), [err.decode()[-2000:] for _, err in outputs]
    claimed = [int(out.decode().strip().splitlines()[-1]) for out, _ in outputs]

    deliveries = push.deliveries
    per_endpoint = Counter(d.endpoint for d in deliveries)
    assert len(deliveries) == 1000
    assert len(per_endpoint) == 1000 and max(per_endpoint.values()) == 1  # none twice
    assert sum(claimed) == 1000 and min(claimed) > 0  # both processes took part
    assert push.rejections == []
    assert await Event.count().where(Event.type == "reminder_sent") == 1000
    assert await ReminderPlan.count().where(ReminderPlan.next_due_at <= datetime.now(UTC)) == 0  # all moved on
