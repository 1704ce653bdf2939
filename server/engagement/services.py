"""Idempotent ingest of event batches: all of a batch or none of it, each event id stored once."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.content.catalog import Catalog
from server.content.scoring import NotScorable, score
from server.db.limits import Limit
from server.engagement import history
from server.engagement.schemas import LEARNING_TYPES, REQUIRED, EventIn
from server.engagement.store import Row, write_batch
from server.lib.errors import Conflict, Gone, NotYours, Problem, Refused, TooMany, Unrecognised
from server.lib.i18n import _
from server.lib.localtime import local, plausible
from server.lib.text import has_control
from server.settings import get_settings

FUTURE_TOLERANCE = timedelta(hours=24)
# A phone clock further off than this (at the moment of sending) is treated as wrong and corrected.
CLOCK_TOLERANCE = timedelta(minutes=5)
# Older than the phone's outbox keeps anything: stored, but flagged as a suspect clock.
OUTBOX_RETENTION = timedelta(days=60)


def fingerprint(event: EventIn, sent_utc_iso: str | None = None) -> str:
    """What the event says, so a reused id with different content can be told from a resend.

    ``sent_utc_iso`` is ``occurred_at`` as sent, in UTC, ISO 8601, when the caller has it already (the hot path)."""
    sent = sent_utc_iso or event.occurred_at.astimezone(UTC).isoformat()
    parts = (event.type, sent, event.exercise_version, event.step, event.seconds, event.rating, event.comment)
    if event.stress_before is not None or event.stress_after is not None:
        parts += (event.stress_before, event.stress_after)  # appended only when set: older prints stay valid
    if event.answers is not None:
        parts += (event.questionnaire_version, tuple(event.answers))
    if event.lesson_version is not None:
        parts += (event.lesson_version, event.question, event.option)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def clock_offset(sent_at: datetime | None, now: datetime) -> timedelta:
    """How far the phone's clock is behind ours, when it is off by more than a few minutes.

    Network time is small next to the tolerance, so the difference at sending is the clock's error.
    """
    if sent_at is None or abs(now - sent_at) <= CLOCK_TOLERANCE:
        return timedelta(0)
    return now - sent_at


def event_limits(participant_id: uuid.UUID) -> list[Limit]:
    """Per participant, a minute and a day: one phone (or a script with her cookie) cannot fill the log.
    Every event of a batch counts, resent ones too (the count comes before the write knows which are new)."""
    settings = get_settings()
    return [Limit("events-minute", participant_id.hex, settings.limit_events_per_minute, 60),
            Limit("events-day", participant_id.hex, settings.limit_events_per_day, 86400)]


def check_batch(events: list[EventIn], participant_id: uuid.UUID, catalog: Catalog,
                now: datetime, offset: timedelta = timedelta(0), *, kind: str) -> dict[uuid.UUID, int]:
    """Rules msgspec cannot express; raises on the first broken one so nothing is stored.

    Returns the score of each questionnaire answer (by event id): checking answers means scoring them.
    """
    seen: dict[uuid.UUID, EventIn] = {}
    scores: dict[uuid.UUID, int] = {}
    for index, event in enumerate(events):
        try:
            score_of = _check_event(event, f"events[{index}] ({event.type})", participant_id, catalog, now, offset,
                                    kind)
        except Problem as problem:
            problem.ids = problem.ids or [event.id]  # the phone drops what can never be saved, keeps the rest
            raise
        if score_of is not None:
            scores[event.id] = score_of
        earlier = seen.get(event.id)
        if earlier is not None and earlier != event:
            raise Conflict(_("The same activity was sent twice with different content."),
                           f"events[{index}]: id {event.id} appears twice with different content", [event.id])
        seen[event.id] = event
    return scores


def _check_event(event: EventIn, where: str, participant_id: uuid.UUID, catalog: Catalog, now: datetime,
                 offset: timedelta, kind: str) -> int | None:
    """One event's rules; returns its score when it answers a questionnaire."""
    # First: a moment near year 1 or 9999 would overflow the arithmetic below.
    if not plausible(event.occurred_at):
        raise Refused(_("The phone's clock seems to be wrong, so the activity was not saved."),
                      f"{where}: occurred_at is not between 2020 and 2100")
    if event.occurred_at + offset > now + FUTURE_TOLERANCE:
        raise Refused(_("The phone's clock seems to be wrong, so the activity was not saved."),
                      f"{where}: occurred_at is more than 24 hours in the future")
    if event.comment is not None and has_control(event.comment):
        raise Refused(_("Some activity could not be saved because it was not in the right form."),
                      f"{where}: the comment holds control characters")
    if event.participant is not None and event.participant != participant_id:
        raise NotYours(_("This phone is linked to another invite, so this was not saved."),
                       f"{where}: participant is not the signed-in participant")
    missing = [name for name in REQUIRED[event.type] if getattr(event, name) is None]
    if missing:
        raise Refused(_("Some activity could not be saved because it was incomplete."),
                      f"{where}: missing {', '.join(missing)}")
    if event.exercise_version is not None and event.exercise_version not in catalog.exercise_versions:
        raise Refused(_("Some activity refers to an exercise we do not know."),
                      f"{where}: unknown exercise_version {event.exercise_version}")
    if (event.answers is not None or event.questionnaire_version is not None) and (
            event.type != "questionnaire_answered"):
        raise Refused(_("Some activity could not be saved because it was not in the right form."),
                      f"{where}: answers and questionnaire_version belong to questionnaire_answered")
    if event.type in LEARNING_TYPES or event.lesson_version is not None or event.question or event.option:
        _check_learning(event, where, catalog, kind)
        return None
    if event.questionnaire_version is None:
        return None
    if kind != "patient":  # the questionnaires (WHO-5, app satisfaction) are patients' own; staff have none
        raise Refused(_("Some activity could not be saved because it was not in the right form."),
                      f"{where}: questionnaires are answered by patients only")
    slug = catalog.questionnaire_versions.get(event.questionnaire_version)
    instrument = catalog.questionnaires.get(slug or "")
    if instrument is None:
        raise Refused(_("Some answers refer to a questionnaire we do not know."),
                      f"{where}: unknown questionnaire_version {event.questionnaire_version}")
    try:
        return score(instrument, list(event.answers or [])).percent
    except NotScorable as exc:
        raise Refused(_("Some answers could not be saved because they were incomplete."),
                      f"{where}: {exc}") from None


def _check_learning(event: EventIn, where: str, catalog: Catalog, kind: str) -> None:
    """The staff e-learning's events: a lesson version that was published, and for an answer a question and
    an option that lesson version has. The e-learning course is for staff; a patient's phone sends none."""
    if event.type not in LEARNING_TYPES or (event.type == "lesson_completed" and (event.question or event.option)):
        raise Refused(_("Some activity could not be saved because it was not in the right form."),
                      f"{where}: lesson_version, question and option belong to lesson_completed / check_answered")
    if kind != "staff":
        raise Refused(_("Some activity could not be saved because it was not in the right form."),
                      f"{where}: the e-learning course is for staff")
    lesson = catalog.lesson_versions.get(event.lesson_version or 0)
    if lesson is None:
        raise Refused(_("Some activity refers to a lesson we do not know."),
                      f"{where}: unknown lesson_version {event.lesson_version}")
    if event.type == "check_answered" and _judge(lesson, event) is None:
        raise Refused(_("Some activity refers to a lesson we do not know."),
                      f"{where}: lesson_version {event.lesson_version} has no question {event.question!r} "
                      f"with an option {event.option!r}")


def _judge(lesson: Any, event: EventIn) -> bool | None:
    """Right or wrong, by the lesson version she read; None when it has no such question or option."""
    question = next((q for q in lesson.check if q.id == event.question), None)
    return None if question is None else question.is_correct(event.option or "")


async def ingest(events: list[EventIn], participant_id: uuid.UUID, catalog: Catalog,
                 now: datetime | None = None, sent_at: datetime | None = None, *,
                 kind: str) -> tuple[list[uuid.UUID], int]:
    """Store the new events of a batch; returns (ids now held, how many were new). ``kind`` is the
    participant's (patient or staff, from her signed cookie): some events belong to one kind only.

    A phone whose clock is wrong (``sent_at`` far from our time) has its times shifted by the error
    and flagged ``corrected``; the fingerprint stays that of what the phone sent, so a resend with
    another ``sent_at`` is still recognised as the same event.
    """
    now = now or datetime.now(UTC)
    if sent_at is not None and not plausible(sent_at):
        raise Refused(_("The phone's clock seems to be wrong, so the activity was not saved."),
                      "sent_at is not between 2020 and 2100", [e.id for e in events])
    offset = clock_offset(sent_at, now)
    # The server's score, never the phone's.
    scores = check_batch(events, participant_id, catalog, now, offset, kind=kind)
    rows = [_row(e, offset, now, scores, catalog) for e in {e.id: e for e in events}.values()]
    outcome = await write_batch(participant_id, rows, now, event_limits(participant_id))
    if outcome.over is not None:
        raise TooMany(_("A lot has been sent from this phone in a short time, so this was not saved just now. "
                        "Please try again in a little while."),
                      f"{outcome.over.kind} limit reached: nothing of this batch was stored; "
                      f"send it again after {outcome.over.retry_after} s", retry_after=outcome.over.retry_after)
    if outcome.status == "unknown_participant":
        raise Unrecognised(_("We could not recognise this phone. Please open your invite link again."))
    if outcome.status == "withdrawn":
        raise Gone(_("You have withdrawn from Pusterum, so nothing more is saved."))
    if outcome.status == "conflict":
        raise Conflict(_("Some activity was already saved with different content."),
                            f"{len(outcome.clashes)} event id(s) already hold other content", outcome.clashes)
    if outcome.stored:
        history.forget(participant_id)  # her library's marks read her events again
    return [r.id for r in rows], outcome.stored


def _row(e: EventIn, offset: timedelta, now: datetime, scores: dict[uuid.UUID, int], catalog: Catalog) -> Row:
    """The event as stored, ``occurred_at`` moved by the phone's clock error (``offset``).

    Runs for every event of every batch: the UTC time and its text are made once and shared by the
    fingerprint and the SQLite writer (``str(datetime)`` is its ISO form with a space for the "T")."""
    sent = e.occurred_at.astimezone(UTC)
    sent_iso = sent.isoformat()
    occurred_at = sent + offset if offset else sent
    answered = e.type == "check_answered"
    return Row(id=e.id, type=e.type,
               content_version=e.exercise_version or e.questionnaire_version or e.lesson_version,
               check_question=e.question, check_option=e.option,
               correct=_judge(catalog.lesson_versions[e.lesson_version or 0], e) if answered else None,
               occurred_at=occurred_at, day=local(occurred_at).date(), step=e.step, seconds=e.seconds,
               rating=e.rating, comment=e.comment, stress_before=e.stress_before, stress_after=e.stress_after,
               score=scores.get(e.id), answers=None if e.answers is None else tuple(e.answers),
               clock_suspect=_clock_flag(occurred_at, now, corrected=bool(offset)),
               fingerprint=fingerprint(e, sent_iso),
               occurred_text=None if offset else f"{sent_iso[:10]} {sent_iso[11:]}")


def _clock_flag(occurred_at: datetime, now: datetime, *, corrected: bool) -> str | None:
    if occurred_at > now + CLOCK_TOLERANCE:
        return "future"
    if occurred_at < now - OUTBOX_RETENTION:
        return "too_old"
    return "corrected" if corrected else None
