"""Withdrawal: she stops taking part, and chooses whether what was recorded stays in the follow-up.

This is the one place that knows everything a participant leaves behind, across domains, so that
nothing is forgotten when a new kind of record (reminders, questionnaire answers) is added.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from server import db
from server.engagement import history
from server.engagement.tables import Event
from server.participants import partners
from server.participants.tables import Participant
from server.reminders import services as reminders
from server.reports.rollups import forget as forget_rollups

Choice = Literal["keep", "delete"]


async def withdraw(participant_id: uuid.UUID, choice: Choice, *, now: datetime | None = None) -> bool:
    """Returns False when she had already withdrawn (a second click changes nothing).

    ``keep``: the pseudonymous records made so far stay in the follow-up; nothing new is accepted.
    ``delete``: her events go, and so does her municipality; only a bare row remains that says
    "withdrawn", so a phone that still holds her cookie is told so (410) instead of being a stranger.
    """
    now = now or datetime.now(UTC)
    async with db.transaction():
        changed = await Participant.update({Participant.withdrawn_at: now, Participant.withdrawal: choice}).where(
            (Participant.id == participant_id) & Participant.withdrawn_at.is_null()
        ).returning(Participant.id)
        if not changed:
            return False
        # What reaches her phone from the server ends at once, whatever she chose.
        await reminders.turn_off(participant_id)
        await partners.forget_inviter(participant_id)  # her unused link for a partner stops working
        if choice == "delete":
            await Event.delete().where(Event.participant == participant_id)
            await forget_rollups(participant_id)
            await Participant.update({Participant.municipality_code: None}).where(Participant.id == participant_id)
    history.forget(participant_id)  # after the commit: nothing read before it is kept
    return True

