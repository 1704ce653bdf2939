"""Idempotent ingest of event batches: all of a batch or none of it, each event id stored once."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.content.catalog import Catalog
from server.engagement.schemas import REQUIRED, EventIn
from server.engagement.tables import Event
from server.lib.i18n import _
from server.participants.tables import Participant

FUTURE_TOLERANCE = timedelta(hours=24)
# Older than the phone's outbox keeps anything: stored, but flagged as a suspect clock.
OUTBOX_RETENTION = timedelta(days=60)


class BatchRejected(Exception):
    """The batch as a whole is refused; ``status`` is the HTTP status, the message is for people."""

    def __init__(self, status: int, message: str, detail: str | None = None,
                 ids: list[uuid.UUID] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.detail, self.ids = status, message, detail, ids


def fingerprint(event: EventIn) -> str:
    """What the event says, so a reused id with different content can be told from a resend."""
    parts = (event.type, event.occurred_at.astimezone(UTC).isoformat(), event.exercise_version, event.step,
             event.seconds, event.rating, event.comment)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def check_batch(events: list[EventIn], participant_id: uuid.UUID, catalog: Catalog,
                now: datetime) -> None:
    """Rules msgspec cannot express; raises on the first broken one so nothing is stored."""
    seen: dict[uuid.UUID, EventIn] = {}
    for index, event in enumerate(events):
        where = f"events[{index}] ({event.type})"
        if event.participant is not None and event.participant != participant_id:
            raise BatchRejected(403, _("These events belong to someone else, so they were not saved."),
                                f"{where}: participant is not the signed-in participant")
        missing = [name for name in REQUIRED[event.type] if getattr(event, name) is None]
        if missing:
            raise BatchRejected(422, _("Some activity could not be saved because it was incomplete."),
                                f"{where}: missing {', '.join(missing)}")
        if event.exercise_version is not None and event.exercise_version not in catalog.exercise_versions:
            raise BatchRejected(422, _("Some activity refers to an exercise we do not know."),
                                f"{where}: unknown exercise_version {event.exercise_version}")
        if event.occurred_at > now + FUTURE_TOLERANCE:
            raise BatchRejected(422, _("The phone's clock seems to be wrong, so the activity was not saved."),
                                f"{where}: occurred_at is more than 24 hours in the future")
        earlier = seen.get(event.id)
        if earlier is not None and earlier != event:
            raise BatchRejected(409, _("The same activity was sent twice with different content."),
                                f"{where}: id {event.id} appears twice with different content", [event.id])
        seen[event.id] = event


# One writer at a time per process: SQLite has a single write lock, and queuing here is far cheaper
# than queuing on SQLite's busy handler (measured: p99 1.5 s → ~0.1 s under 500 concurrent writes).
_write_lock = asyncio.Lock()


async def ingest(events: list[EventIn], participant_id: uuid.UUID, catalog: Catalog,
                 now: datetime | None = None) -> tuple[list[uuid.UUID], int]:
    """Store the new events of a batch; returns (ids now held, how many were new)."""
    now = now or datetime.now(UTC)
    check_batch(events, participant_id, catalog, now)
    unique = list({e.id: e for e in events}.values())
    ids = [e.id for e in unique]
    prints = {e.id: fingerprint(e) for e in unique}
    db = Event._meta.db
    is_sqlite = isinstance(db, SQLiteEngine)
    async with _write_lock if is_sqlite else contextlib.nullcontext():
        transaction = (db.transaction(transaction_type=TransactionType.immediate) if is_sqlite
                       else db.transaction())
        async with transaction:
            who = await Participant.select(Participant.withdrawn_at).where(
                Participant.id == participant_id).first()
            if who is None:
                raise BatchRejected(401, _("We could not recognise this phone. Please open your invite link again."))
            if who["withdrawn_at"] is not None:
                raise BatchRejected(410, _("You have withdrawn from Pusterum, so nothing more is saved."))
            inserted = await Event.insert(*[
                Event(id=e.id, participant=participant_id, type=e.type, content_version=e.exercise_version,
                      occurred_at=e.occurred_at, received_at=now, step=e.step, seconds=e.seconds,
                      value=e.rating, note=e.comment, clock_suspect=_clock_flag(e, now),
                      fingerprint=prints[e.id])
                for e in unique
            ]).on_conflict(action="DO NOTHING").returning(Event.id)
            new = {row["id"] for row in inserted}
            if len(new) < len(ids):
                held = await Event.select(Event.id, Event.participant, Event.fingerprint).where(
                    Event.id.is_in([i for i in ids if i not in new]))
                clashes = [row["id"] for row in held
                           if row["participant"] != participant_id or row["fingerprint"] != prints[row["id"]]]
                if clashes:
                    # Raising inside the transaction rolls back this batch's new rows too.
                    raise BatchRejected(409, _("Some activity was already saved with different content."),
                                        f"{len(clashes)} event id(s) already hold other content", clashes)
    return ids, len(new)


def _clock_flag(event: EventIn, now: datetime) -> str | None:
    if event.occurred_at > now + timedelta(minutes=5):
        return "future"
    if event.occurred_at < now - OUTBOX_RETENTION:
        return "too_old"
    return None
