"""Keeping the rollups level with the event log, so a dashboard reads thousands of rows, not millions.

A participant whose events arrived since the last refresh, or whose attributes changed (she moved:
``participant.changed_at``), has her rows rebuilt whole from the log: simple, idempotent, and cheap (a
person has hundreds of events, not millions). Events are late by
nature (the outbox sends when it can), so the watermark follows ``received_at`` with a margin for
transactions still in flight; rebuilding someone twice is harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from server import db
from server.engagement.tables import Event
from server.participants.tables import Participant
from server.reports.tables import (
    ATTRIBUTES,
    ActiveDay,
    QuestionnaireReading,
    RollupState,
    UsageExercise,
    UsageExerciseYear,
    UsageMonth,
    UsageYear,
)

MARGIN = timedelta(minutes=2)
CHUNK = 400  # participants rebuilt per statement (SQLite allows 32,766 parameters; PostgreSQL more)
STATE = "usage"
_lock = asyncio.Lock()  # one refresh at a time in this process; PostgreSQL also locks the state row

_ATTRS = ", ".join(f"p.{name}" for name in ATTRIBUTES)
_ATTR_COLUMNS = ", ".join(ATTRIBUTES)
_PAIRED = "e.type = 'pause_completed' AND e.stress_before IS NOT NULL AND e.stress_after IS NOT NULL"


def _positions(n: int) -> str:
    """GROUP BY the first ``n`` columns (the keys, then who she is)."""
    return ", ".join(str(i) for i in range(1, n + 1))


def _count(condition: str, value: str = "1") -> str:
    return f"sum(CASE WHEN {condition} THEN {value} ELSE 0 END)"


_SECONDS = _count("e.type IN ('exercise_completed', 'exercise_left')", "COALESCE(e.seconds, 0)")
_RATED = "e.type = 'rating_given'"
_STARTED, _COMPLETED, _PAUSED = ("e.type = 'exercise_started'", "e.type = 'exercise_completed'",
                                 "e.type = 'pause_completed'")
# Built from constants; values always travel as parameters. {month} is the engine's month expression,
# {where} narrows to some participants. reminder_sent is the server's own doing, not something she did.
_STATEMENTS = (
    ("usage_month", f"month, participant, {_ATTR_COLUMNS}, events, started, completed, pauses, seconds, ratings, "
                    "rating_sum, stress_pairs, stress_before_sum, stress_after_sum",
     f"SELECT {{month}}, e.participant, {_ATTRS}, count(*), {_count(_STARTED)}, "  # noqa: S608
     f"{_count(_COMPLETED)}, {_count(_PAUSED)}, {_SECONDS}, "
     f"{_count(_RATED)}, {_count(_RATED, 'COALESCE(e.rating, 0)')}, {_count(_PAIRED)}, "
     f"{_count(_PAIRED, 'e.stress_before')}, {_count(_PAIRED, 'e.stress_after')} "
     "FROM event e JOIN participant p ON p.id = e.participant "
     f"WHERE e.type <> 'reminder_sent' {{where}} GROUP BY {_positions(2 + len(ATTRIBUTES))}"),
    ("usage_exercise", f"month, participant, exercise, {_ATTR_COLUMNS}, started, completed, seconds, ratings, "
                       "rating_sum",
     f"SELECT {{month}}, e.participant, ci.slug, {_ATTRS}, {_count(_STARTED)}, "  # noqa: S608
     f"{_count(_COMPLETED)}, {_SECONDS}, {_count(_RATED)}, "
     f"{_count(_RATED, 'COALESCE(e.rating, 0)')} "
     "FROM event e JOIN participant p ON p.id = e.participant JOIN content_version cv ON cv.id = e.content_version "
     "JOIN content_item ci ON ci.id = cv.item AND ci.kind = 'exercise' "
     "WHERE e.type IN ('exercise_started', 'exercise_completed', 'exercise_left', "
     f"'rating_given') {{where}} GROUP BY {_positions(3 + len(ATTRIBUTES))}"),
    ("questionnaire_reading", f"participant, questionnaire, at, day, score, answers, {_ATTR_COLUMNS}",
     f"SELECT e.participant, ci.slug, e.occurred_at, e.day, e.score, e.answers, {_ATTRS} "  # noqa: S608
     "FROM event e JOIN participant p ON p.id = e.participant JOIN content_version cv ON cv.id = e.content_version "
     "JOIN content_item ci ON ci.id = cv.item AND ci.kind = 'questionnaire' "
     "WHERE e.type = 'questionnaire_answered' {where}"),
    ("active_day", f"day, participant, {_ATTR_COLUMNS}",
     f"SELECT DISTINCT e.day, e.participant, {_ATTRS} FROM event e JOIN participant p ON p.id = e.participant "  # noqa: S608
     "WHERE e.type <> 'reminder_sent' {where}"),
)
_EXERCISE_SUMS = "started, completed, seconds, ratings, rating_sum"
# Derived from the monthly rollups (rebuilt just before them, for the same people): {year} and {month_index} are
# the engine's expressions on u.month, {quarter} is 0 (a row for the year) or the month's quarter (a row per
# quarter), {where} narrows to some participants.
_USAGE_SUMS = ("started, completed, pauses, seconds, ratings, rating_sum, stress_pairs, stress_before_sum, "
               "stress_after_sum")
_DERIVED = (
    ("usage_year", f"year, quarter, participant, {_ATTR_COLUMNS}, months, {_USAGE_SUMS}",
     f"SELECT {{year}}, {{quarter}}, u.participant, {', '.join(f'u.{a}' for a in ATTRIBUTES)}, "  # noqa: S608
     f"sum(1 << {{month_index}}), {', '.join(f'sum(u.{n})' for n in _USAGE_SUMS.split(', '))} "
     f"FROM usage_month u WHERE 1 = 1 {{where}} GROUP BY {_positions(3 + len(ATTRIBUTES))}"),
    ("usage_exercise_year", f"year, quarter, participant, exercise, {_ATTR_COLUMNS}, months, {_EXERCISE_SUMS}",
     f"SELECT {{year}}, {{quarter}}, u.participant, u.exercise, {', '.join(f'u.{a}' for a in ATTRIBUTES)}, "  # noqa: S608
     f"sum(1 << {{month_index}}), {', '.join(f'sum(u.{n})' for n in _EXERCISE_SUMS.split(', '))} "
     f"FROM usage_exercise u WHERE 1 = 1 {{where}} GROUP BY {_positions(4 + len(ATTRIBUTES))}"),
)
ROLLUPS = tuple(table for table, _columns, _select in (*_STATEMENTS, *_DERIVED))


def _sqlite() -> bool:
    return db.is_sqlite()


def year_of(column: str) -> str:
    """SQL for a date column's year, in this engine's dialect (SQLite holds 'YYYY-MM-DD' text)."""
    return f"CAST(substr({column}, 1, 4) AS INTEGER)" if _sqlite() else f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"


def month_index_of(column: str) -> str:
    """SQL for a date column's month, 0 for January."""
    return (f"(CAST(substr({column}, 6, 2) AS INTEGER) - 1)" if _sqlite()
            else f"(CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1)")


def month_of(column: str) -> str:
    """SQL for the first day of ``column``'s month (a date column), in this engine's dialect."""
    return f"date({column}, 'start of month')" if _sqlite() else f"date_trunc('month', {column})::date"


async def _rebuild(participants: list | None) -> None:
    """Rebuild the rows of these participants (None: everybody) from the event log."""
    chunks = [None] if participants is None else [participants[i:i + CHUNK]
                                                  for i in range(0, len(participants), CHUNK)]
    for chunk in chunks:
        args = [str(p) if _sqlite() else p for p in chunk or []]
        marks = ", ".join("{}" for _ in args)
        where = f"AND e.participant IN ({marks})" if chunk else ""
        for table, columns, select in _STATEMENTS:
            await db.raw(f"DELETE FROM {table}" + (f" WHERE participant IN ({marks})" if chunk else ""),  # noqa: S608
                            *args)
            insert = f"INSERT INTO {table} ({columns}) " + select.format(month=month_of("e.day"), where=where)
            await db.raw(insert, *args)
        await _derive(chunk, args, marks)


async def derive() -> None:
    """The derived rollups (per person and year) made again from the monthly ones, for everybody: what a
    rebuild does after the monthly rollups, for a caller that wrote those itself (the privacy tests' world)."""
    await _derive(None, [], "")


async def _derive(chunk: list | None, args: list, marks: str) -> None:
    where = f"AND u.participant IN ({marks})" if chunk else ""
    for table, columns, select in _DERIVED:
        await db.raw(f"DELETE FROM {table}" + (f" WHERE participant IN ({marks})" if chunk else ""),  # noqa: S608
                     *args)
        month_index = month_index_of("u.month")
        for quarter in ("0", f"({month_index} / 3 + 1)"):  # the whole year, then each quarter
            insert = f"INSERT INTO {table} ({columns}) " + select.format(
                year=year_of("u.month"), quarter=quarter, month_index=month_index, where=where)
            await db.raw(insert, *args)


async def refresh(*, full: bool = False, now: datetime | None = None, fresh_for: timedelta = timedelta(0)) -> int:
    """Bring the rollups up to date; returns how many participants were rebuilt (-1: all of them).

    ``fresh_for``: rollups refreshed that recently (by any process) are left as they are, without taking
    the write lock. A dashboard opened every few seconds would otherwise hold SQLite's one write lock for a
    rebuild each time, and new patients joining meanwhile would wait for it (measured by ``make soak``).
    """
    now = now or datetime.now(UTC)
    if fresh_for and not full:
        state = await RollupState.select(RollupState.watermark).where(RollupState.name == STATE).first()
        if state is not None and state["watermark"] >= now - fresh_for:
            return 0
    async with _lock, db.transaction():
        query = RollupState.select(RollupState.watermark).where(RollupState.name == STATE)
        if not _sqlite():
            query = query.lock_rows("UPDATE")  # a second process waits here, then finds little to do
        state = await query.first()
        if full or state is None:
            await _rebuild(None)
            rebuilt = -1
        else:
            since = state["watermark"] - MARGIN
            # Not DISTINCT: SQLite would then walk the whole participant index instead of the few
            # rows the received_at index finds (measured: 300 ms against 1 ms on two million events).
            rows = await Event.select(Event.participant).where(Event.received_at > since)
            # …and those whose attributes changed (she moved): her rows carry a copy of them.
            rows += await Participant.select(Participant.id.as_alias("participant")).where(
                Participant.changed_at > since)
            participants = list(dict.fromkeys(r["participant"] for r in rows))
            if participants:
                await _rebuild(participants)
            rebuilt = len(participants)
        # Moved even when nothing was rebuilt: "up to date at ``now``" is as true then, and a dashboard
        # opened within ``fresh_for`` of it need not take the write lock just to find nothing again.
        if state is None:
            await RollupState.insert(RollupState(name=STATE, watermark=now))
        else:
            await RollupState.update({RollupState.watermark: now}).where(RollupState.name == STATE)
    return rebuilt


async def forget(participant_id: uuid.UUID) -> None:
    """Her rows go with her events (withdrawal with deletion), in the caller's transaction."""
    for table in (UsageMonth, UsageYear, UsageExercise, UsageExerciseYear, QuestionnaireReading, ActiveDay):
        await table.delete().where(table.participant == participant_id)


