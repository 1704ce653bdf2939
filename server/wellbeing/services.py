"""Her wellbeing over time: the check-ins she has answered, when the next one is offered, and a chart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.content.catalog import Catalog, get_catalog
from server.content.scoring import score
from server.engagement.tables import Event
from server.participants.tables import Participant

INSTRUMENT = "who-5"
# The module a low reading points to (issue 18): linked only once it is published after clinical review.
LOW_MOOD_GUIDE = "perinatal-depression"
SATISFACTION = "app-satisfaction"
SATISFACTION_AFTER = timedelta(days=30)  # first asked a month after joining
SATISFACTION_EVERY = timedelta(days=90)  # then at most once a quarter


@dataclass(frozen=True, slots=True)
class Reading:
    occurred_at: datetime
    percent: int
    offer_support: bool


async def readings(participant_id: uuid.UUID, catalog: Catalog) -> list[Reading]:
    instrument = catalog.questionnaires.get(INSTRUMENT)
    versions = catalog.versions_of_questionnaire(INSTRUMENT)
    rows = await Event.select(Event.occurred_at, Event.answers).where(
        (Event.participant == participant_id) & (Event.type == "questionnaire_answered")
        & Event.content_version.is_in(versions or [0])
    ).order_by(Event.occurred_at).output(load_json=True)
    out = []
    for row in rows:
        result = score(instrument, row["answers"] or []) if instrument else None
        if result is not None:
            out.append(Reading(row["occurred_at"], result.percent, result.offer_support))
    return out


async def checkin_due(participant_id: uuid.UUID, now: datetime | None = None,
                      within_days: int | None = None) -> bool:
    """Offered when she has never answered, or her site's interval (default 14 days) has passed;
    ``within_days`` shortens it (the course's last week offers an end-of-course check-in)."""
    now = now or datetime.now(UTC)
    site = await Participant.select(Participant.site.checkin_every_days).where(
        Participant.id == participant_id).first()
    every = (site or {}).get("site.checkin_every_days") or 14
    if within_days is not None:
        every = min(every, within_days)
    last = await _last_answer(participant_id, INSTRUMENT)
    return last is None or now - last >= timedelta(days=every)


# What counts as her having practised: she finished a practice, or left one part-way (the phone says so).
PRACTISED = ("exercise_completed", "exercise_left")


async def has_practised(participant_id: uuid.UUID) -> bool:
    """The WHO-5 is offered after her first practice, never before it (on her first visit)."""
    return await Event.exists().where((Event.participant == participant_id) & Event.type.is_in(list(PRACTISED)))


async def first_checkin_may_be_offered(participant_id: uuid.UUID, *, first_visit: bool) -> bool:
    """Onboarding gives before it asks: on the day she joined, the check-in waits until she has practised;
    from her next visit on it is offered whether or not she has."""
    return not first_visit or await has_practised(participant_id)


async def _last_answer(participant_id: uuid.UUID, slug: str) -> datetime | None:
    versions = get_catalog().versions_of_questionnaire(slug)
    row = await Event.select(Event.occurred_at).where(
        (Event.participant == participant_id) & (Event.type == "questionnaire_answered")
        & Event.content_version.is_in(versions or [0])
    ).order_by(Event.occurred_at, ascending=False).first()
    return row["occurred_at"] if row else None


async def satisfaction_due(participant_id: uuid.UUID, joined_at: datetime, now: datetime | None = None) -> bool:
    """A month after joining, then at most once a quarter: often enough to follow, rarely enough not to nag."""
    now = now or datetime.now(UTC)
    if now - joined_at < SATISFACTION_AFTER:
        return False
    last = await _last_answer(participant_id, SATISFACTION)
    return last is None or now - last >= SATISFACTION_EVERY
