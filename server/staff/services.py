"""Micro-pauses for staff: choosing a pause, her own recent pauses, and her unit's totals.

Unit totals follow the rule for every aggregate in Pusterum: nothing is shown for fewer than five
distinct people, so no total can be traced back to one colleague.
"""

from __future__ import annotations

import random
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.content.catalog import Catalog
from server.content.schemas import PublishedExercise
from server.engagement.tables import Event
from server.lib.disclosure import MIN_PEOPLE
from server.lib.localtime import month_start, week_start
from server.participants.tables import Participant

# Minutes chosen on the pause screen -> the pauses that fit in them.
LENGTHS = {"1": (0, 1), "3": (2, 3), "5": (4, 5)}
# Filters on the pause screen: key -> test on a published exercise.
FILTERS: dict[str, Callable[[PublishedExercise], bool]] = {
    "standing": lambda e: "standing" in e.position,
    "sitting": lambda e: "sitting" in e.position,
    "eyes_open": lambda e: e.eyes_open_ok,
    "sink": lambda e: "hand_washing" in e.tags,
    "hard_moment": lambda e: "after_hard_moment" in e.tags or "before_hard_moment" in e.tags,
}


def pauses(catalog: Catalog, *, length: str = "", filters: tuple[str, ...] = ()) -> list[PublishedExercise]:
    bounds = LENGTHS.get(length)
    chosen = [e for e in catalog.for_audience("staff") if e.kind == "micro_pause"
              and (bounds is None or bounds[0] <= e.minutes <= bounds[1])
              and all(FILTERS[f](e) for f in filters if f in FILTERS)]
    return sorted(chosen, key=lambda e: (e.minutes, e.slug))


def pick(candidates: list[PublishedExercise], rng: random.Random | None = None) -> PublishedExercise | None:
    return (rng or random).choice(candidates) if candidates else None


@dataclass(frozen=True, slots=True)
class MyPause:
    occurred_at: datetime
    slug: str | None
    seconds: int
    stress_before: int | None
    stress_after: int | None


async def my_pauses(participant_id: uuid.UUID, catalog: Catalog, days: int = 30) -> list[MyPause]:
    since = datetime.now(UTC) - timedelta(days=days)
    rows = await Event.select(Event.occurred_at, Event.content_version, Event.seconds, Event.stress_before,
                              Event.stress_after).where(
        (Event.participant == participant_id) & (Event.type == "pause_completed") & (Event.occurred_at >= since)
    ).order_by(Event.occurred_at, ascending=False).limit(50)
    return [MyPause(r["occurred_at"], catalog.exercise_versions.get(r["content_version"]), r["seconds"] or 0,
                    r["stress_before"], r["stress_after"]) for r in rows]


@dataclass(frozen=True, slots=True)
class UnitTotals:
    enough: bool  # at least MIN_PEOPLE distinct colleagues in the period; otherwise nothing else is set
    pauses: int | None = None
    minutes: int | None = None
    median_change: float | None = None  # after minus before; None when fewer than MIN_PEOPLE rated both


def totals(rows: list[dict[str, Any]]) -> UnitTotals:
    people = {r["participant"] for r in rows}
    if len(people) < MIN_PEOPLE:
        return UnitTotals(enough=False)
    rated = [r for r in rows if r["stress_before"] is not None and r["stress_after"] is not None]
    change = None
    if len({r["participant"] for r in rated}) >= MIN_PEOPLE:
        change = statistics.median(r["stress_after"] - r["stress_before"] for r in rated)
    return UnitTotals(enough=True, pauses=len(rows), minutes=round(sum(r["seconds"] or 0 for r in rows) / 60),
                      median_change=change)


async def unit_totals(unit_id: int, now: datetime | None = None) -> dict[str, UnitTotals]:
    """This week's and this month's totals (local calendar) for one unit."""
    now = now or datetime.now(UTC)
    week, month = week_start(now), month_start(now)
    rows = await Event.select(Event.participant, Event.occurred_at, Event.seconds, Event.stress_before,
                              Event.stress_after).where(
        (Event.participant.unit == unit_id) & (Event.type == "pause_completed")
        & (Event.occurred_at >= min(week, month)) & (Event.occurred_at <= now)
    )
    return {"week": totals([r for r in rows if r["occurred_at"] >= week]),
            "month": totals([r for r in rows if r["occurred_at"] >= month])}


async def unit_of(participant_id: uuid.UUID) -> int | None:
    row = await Participant.select(Participant.unit).where(Participant.id == participant_id).first()
    return row["unit"] if row else None
