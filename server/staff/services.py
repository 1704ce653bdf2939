"""Micro-pauses for staff: choosing a pause, her own recent pauses, and her unit's totals.

Unit totals follow the rules for every aggregate in Pusterum (``server.lib.disclosure``): nothing for fewer
than five people, and consistent noise on what is shown. Anyone can open a unit's QR code in a fresh
browser, so a curious colleague could make "colleagues" of her own and choose their pauses to lift a unit
of two over the threshold and read the real two: only phones that took part on at least two separate days
count as colleagues (a made-up one costs a day's wait, and enrolments per code and address are limited),
and no statistic is shown that a handful of chosen values can steer (no median; a mean change in stress
only for ten or more colleagues, with protected sums).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.content.catalog import Catalog
from server.content.schemas import PublishedExercise
from server.engagement.tables import Event
from server.lib.disclosure import MIN_PEOPLE_FOR_MEANS, Cell
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
    # Before and after something hard are different needs (gathering herself at a door, landing after an
    # emergency): two chips, each only the pauses tagged for it.
    "before_hard": lambda e: "before_hard_moment" in e.tags,
    "after_hard": lambda e: "after_hard_moment" in e.tags,
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


# Days on which a phone must have taken a pause before it counts as a colleague in the unit's totals.
COLLEAGUE_DAYS = 2


@dataclass(frozen=True, slots=True)
class UnitTotals:
    enough: bool  # five or more colleagues (as shown, after the protection); otherwise nothing else is set
    colleagues: int | None = None
    pauses: int | None = None
    minutes: int | None = None
    mean_change: float | None = None  # after minus before; None for fewer than ten colleagues who rated both


def totals(rows: list[dict[str, Any]], keys: dict[Any, int]) -> UnitTotals:
    """``rows``: the period's pauses by colleagues who count; ``keys``: their record keys."""
    by_person: dict[Any, dict[str, float]] = {}
    rated: dict[Any, list[int]] = {}
    for r in rows:
        mine = by_person.setdefault(r["participant"], {"pauses": 0, "seconds": 0})
        mine["pauses"] += 1
        mine["seconds"] += r["seconds"] or 0
        if r["stress_before"] is not None and r["stress_after"] is not None:
            rated.setdefault(r["participant"], []).append(r["stress_after"] - r["stress_before"])
    everyone = Cell()
    for person, values in by_person.items():
        everyone.add(keys[person], values)
    shown = everyone.count()
    if shown is None or not shown:
        return UnitTotals(enough=False)
    change = None
    if len(rated) >= MIN_PEOPLE_FOR_MEANS:
        rating = Cell()
        for person, changes in rated.items():
            rating.add(keys[person], {"change": sum(changes)})
        pairs = sum(len(changes) for changes in rated.values())
        change = round(rating.magnitude("change") / pairs, 1)
    return UnitTotals(enough=True, colleagues=shown, pauses=round(everyone.magnitude("pauses")),
                      minutes=round(everyone.magnitude("seconds") / 60), mean_change=change)


async def unit_totals(unit_id: int, now: datetime | None = None) -> dict[str, UnitTotals]:
    """This week's and this month's totals (local calendar) for one unit."""
    now = now or datetime.now(UTC)
    week, month = week_start(now), month_start(now)
    members = await Participant.select(Participant.id, Participant.record_key).where(
        (Participant.unit == unit_id) & Participant.withdrawn_at.is_null())
    keys = {m["id"]: m["record_key"] for m in members}
    if not keys:
        return {"week": UnitTotals(enough=False), "month": UnitTotals(enough=False)}
    pauses = await Event.select(Event.participant, Event.occurred_at, Event.day, Event.seconds, Event.stress_before,
                                Event.stress_after).where(
        Event.participant.is_in(list(keys)) & (Event.type == "pause_completed") & (Event.occurred_at <= now))
    days: dict[Any, set[str]] = {}
    for r in pauses:
        days.setdefault(r["participant"], set()).add(str(r["day"]))
    counted = {person for person, seen in days.items() if len(seen) >= COLLEAGUE_DAYS}
    rows = [r for r in pauses if r["participant"] in counted]
    return {"week": totals([r for r in rows if r["occurred_at"] >= week], keys),
            "month": totals([r for r in rows if r["occurred_at"] >= month], keys)}


async def unit_of(participant_id: uuid.UUID) -> int | None:
    row = await Participant.select(Participant.unit).where(Participant.id == participant_id).first()
    return row["unit"] if row else None
