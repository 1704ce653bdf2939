"""A busy clinic: new patients join while other phones send their events, and nobody gets an error.

On SQLite a transaction that reads and then writes must hold the write lock from its first statement;
a deferred one is refused outright ("database is locked") once another connection has committed.
"""

from __future__ import annotations

import asyncio

from server.engagement.tables import Event
from server.participants.tables import InviteCode, Participant
from tests.support import app_client, csrf_token, event, make_invite, phone, post_events

JOINING = 16
SYNCING = 6
BATCHES = 4


async def _join(client, code: str) -> int:
    page = await client.get(f"/j/{code}/consent", params={"lang": "da"})
    response = await client.post(f"/j/{code}", data={"_csrf_token": csrf_token(page.text), "lang": "da",
                                                     "consent": "yes"})
    return response.status_code


async def _new_patient(app, code: str) -> int:
    async with phone(app) as client:
        return await _join(client, code)


async def _sync(app, code: str) -> list[int]:
    async with phone(app) as client:
        assert await _join(client, code) == 303
        return [(await post_events(client, [event("app_opened") for _ in range(50)])).status_code
                for _batch in range(BATCHES)]


async def test_it_lets_every_patient_join_while_other_phones_send_events(app, db):
    code = await make_invite(max_uses=JOINING + SYNCING)
    async with app_client(app):
        syncing = [asyncio.create_task(_sync(app, code)) for _ in range(SYNCING)]
        joined = await asyncio.gather(*(_new_patient(app, code) for _ in range(JOINING)))
        synced = await asyncio.gather(*syncing)
    assert joined == [303] * JOINING
    assert synced == [[200] * BATCHES] * SYNCING
    assert await Participant.count() == JOINING + SYNCING
    assert (await InviteCode.select(InviteCode.uses).first())["uses"] == JOINING + SYNCING
    assert await Event.count() == SYNCING * BATCHES * 50
