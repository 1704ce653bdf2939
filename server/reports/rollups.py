"""Keeping the rollups level with the event log, so a dashboard reads thousands of rows, not millions.

A participant whose events arrived since the last refresh has her rows rebuilt whole from the log:
simple, idempotent, and cheap (a person has hundreds of events, not millions). Events are late by
nature (the outbox sends when it can), so the watermark follows ``received_at`` with a margin for
transactions still in flight; rebuilding someone twice is harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from server.engagement.tables import Event
from server.lib.localtime import local
from server.reports.tables import ActiveDay, RollupState, UsageMonth

MARGIN = timedelta(minutes=2)
CHUNK = 400  # participants rebuilt per statement (SQLite allows 32,766 parameters; PostgreSQL more)
STATE = "usage"
_lock = asyncio.Lock()  # one refresh at a time in this process; PostgreSQL also locks the state row

_USAGE_COLUMNS = ("month, participant, exercise, events, started, completed, pauses, seconds, ratings, rating_sum, "
                  "stress_pairs, stress_before_sum, stress_after_sum")
_PAIRED = "e.type = 'pause_completed' AND e.stress_before IS NOT NULL AND e.stress_after IS NOT NULL"
# Built from constants; values always travel as parameters.
_USAGE_SELECT = (
    "SELECT {month} AS month, e.participant, COALESCE(ci.slug, '') AS exercise, count(*), "  # noqa: S608
    "sum(CASE WHEN e.type = 'exercise_started' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN e.type = 'exercise_completed' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN e.type = 'pause_completed' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN e.type IN ('exercise_completed', 'exercise_left') THEN COALESCE(e.seconds, 0) ELSE 0 END), "
    "sum(CASE WHEN e.type = 'rating_given' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN e.type = 'rating_given' THEN COALESCE(e.value, 0) ELSE 0 END), "
    f"sum(CASE WHEN {_PAIRED} THEN 1 ELSE 0 END), "
    f"sum(CASE WHEN {_PAIRED} THEN e.stress_before ELSE 0 END), "
    f"sum(CASE WHEN {_PAIRED} THEN e.stress_after ELSE 0 END) "
    "FROM event e LEFT JOIN content_version cv ON cv.id = e.content_version "
    "LEFT JOIN content_item ci ON ci.id = cv.item AND ci.kind = 'exercise' "
    # reminder_sent is the server's own doing, not something she did.
    "WHERE e.day IS NOT NULL AND e.type <> 'reminder_sent' {where} GROUP BY 1, 2, 3"
)
_ACTIVE_SELECT = ("SELECT DISTINCT e.day, e.participant FROM event e "
                  "WHERE e.day IS NOT NULL AND e.type <> 'reminder_sent' {where}")


def _sqlite() -> bool:
    return Event._meta.db.engine_type == "sqlite"


def month_of(column: str) -> str:
    """SQL for the first day of ``column``'s month (a date column), in this engine's dialect."""
    return f"date({column}, 'start of month')" if _sqlite() else f"date_trunc('month', {column})::date"


async def _backfill_days(since: datetime | None) -> None:
    """Rows written before events carried their Copenhagen day get it here: all of them in a full rebuild,
    otherwise only among the new arrivals (found by the received_at index, never by scanning the log)."""
    while True:
        missing = Event.day.is_null() if since is None else Event.day.is_null() & (Event.received_at > since)
        rows = await Event.select(Event.id, Event.occurred_at).where(missing).limit(5000)
        if not rows:
            return
        by_day: dict = defaultdict(list)
        for row in rows:
            by_day[local(row["occurred_at"]).date()].append(row["id"])
        for day, ids in by_day.items():
            await Event.update({Event.day: day}).where(Event.id.is_in(ids))


async def _rebuild(participants: list | None) -> None:
    """Rebuild the rows of these participants (None: everybody) from the event log."""
    if participants is None:
        await UsageMonth.raw("DELETE FROM usage_month")
        await ActiveDay.raw("DELETE FROM active_day")
        await UsageMonth.raw(f"INSERT INTO usage_month ({_USAGE_COLUMNS}) "
                             + _USAGE_SELECT.format(month=month_of("e.day"), where=""))
        await ActiveDay.raw("INSERT INTO active_day (day, participant) " + _ACTIVE_SELECT.format(where=""))
        return
    for start in range(0, len(participants), CHUNK):
        chunk = [str(p) if _sqlite() else p for p in participants[start:start + CHUNK]]
        marks = ", ".join("{}" for _ in chunk)
        where = f"AND e.participant IN ({marks})"
        await UsageMonth.raw(f"DELETE FROM usage_month WHERE participant IN ({marks})", *chunk)  # noqa: S608
        await ActiveDay.raw(f"DELETE FROM active_day WHERE participant IN ({marks})", *chunk)  # noqa: S608
        await UsageMonth.raw(f"INSERT INTO usage_month ({_USAGE_COLUMNS}) "
                             + _USAGE_SELECT.format(month=month_of("e.day"), where=where), *chunk)
        await ActiveDay.raw("INSERT INTO active_day (day, participant) "
                            + _ACTIVE_SELECT.format(where=where), *chunk)


async def refresh(*, full: bool = False, now: datetime | None = None) -> int:
    """Bring the rollups up to date; returns how many participants were rebuilt (-1: all of them)."""
    now = now or datetime.now(UTC)
    async with _lock:
        engine = Event._meta.db
        async with engine.transaction():
            query = RollupState.select(RollupState.watermark).where(RollupState.name == STATE)
            if not _sqlite():
                query = query.lock_rows("UPDATE")  # a second process waits here, then finds little to do
            state = await query.first()
            if full or state is None:
                await _backfill_days(None)
                await _rebuild(None)
                rebuilt = -1
            else:
                since = state["watermark"] - MARGIN
                await _backfill_days(since)
                rows = await Event.select(Event.participant).where(Event.received_at > since).distinct()
                participants = [r["participant"] for r in rows]
                if participants:
                    await _rebuild(participants)
                rebuilt = len(participants)
            if state is None:
                await RollupState.insert(RollupState(name=STATE, watermark=now))
            elif rebuilt:
                await RollupState.update({RollupState.watermark: now}).where(RollupState.name == STATE)
    return rebuilt


async def forget(participant_id: uuid.UUID) -> None:
    """Her rows go with her events (withdrawal with deletion), in the caller's transaction."""
    await UsageMonth.delete().where(UsageMonth.participant == participant_id)
    await ActiveDay.delete().where(ActiveDay.participant == participant_id)
