"""A generated follow-up with known truth, for the attacker's tests: sites of very different sizes, each with
units (staff) and course groups (patients), people in a handful of municipalities, active in some months of
one calendar year. Many groups are small on purpose (a site of two, a unit of one, a municipality with three
people at one site): what the attacker wants to single out.

It is written straight into the participant table, the monthly rollup (with each person's record key) and, if
asked, the questionnaire readings (WHO-5 and app satisfaction, so those figures have something to protect); the
yearly rollups are derived from that as a rebuild would (the rollups' own correctness is tested with the event
log in ``tests/integration/reports``). The world keeps each person's record key, so a test can work out what the
disclosure rules give for a view from the truth alone (``World.cell``), without asking the database.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from server.lib.disclosure import Cell, new_record_key
from server.participants.services import ensure_group, ensure_site, ensure_unit
from server.participants.tables import Participant
from server.reports import rollups
from server.reports.figures import SUMS, Filters
from server.reports.tables import QuestionnaireReading, UsageMonth
from server.wellbeing.services import INSTRUMENT, SATISFACTION

MUNICIPALITIES = ("0101", "0147", "0151", "0153")
YEAR = date.today().year - 1  # a whole year in the past: every month of it can be asked for


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    kind: str
    site: int
    unit: int | None
    group: int | None
    municipality: str | None
    months: dict[date, dict[str, int]]


@dataclass(slots=True)
class World:
    people: list[Person] = field(default_factory=list)
    sites: list[int] = field(default_factory=list)
    units: dict[int, int] = field(default_factory=dict)  # unit -> its site
    groups: dict[int, int] = field(default_factory=dict)  # course group -> its site
    record_keys: dict[uuid.UUID, int] = field(default_factory=dict)  # each person's, as stored

    def members(self, f: Filters) -> frozenset[uuid.UUID]:
        """Who a view is about, worked out from the truth (not by the code under test)."""
        def meets(p: Person) -> bool:
            checks = (("site", p.site), ("unit", p.unit), ("group", p.group), ("kind", p.kind))
            if any(getattr(f, name) is not None and getattr(f, name) != value for name, value in checks):
                return False
            if f.municipality is not None and f.municipality != (p.municipality or "none"):
                return False
            return any(f.first_month <= m < f.end for m in p.months)

        return frozenset(p.id for p in self.people if meets(p))

    def cell(self, f: Filters, *, stress: bool = False) -> Cell:
        """The cell a view's people make, from the truth: their record keys and their sums over the period's
        months. With ``stress``: only the months in which they rated a pause before and after, and only people
        who did (the dashboard's staff stress)."""
        chosen = self.members(f)
        collected = Cell()
        for p in self.people:
            if p.id not in chosen:
                continue
            months = [sums for month, sums in p.months.items()
                      if f.first_month <= month < f.end and (sums["stress_pairs"] or not stress)]
            if months:
                collected.add(self.record_keys[p.id], {name: sum(m[name] for m in months) for name in SUMS})
        return collected


async def make_world(seed: int, *, sizes: tuple[int, ...] = (48, 30, 16, 7, 3, 2), readings: bool = False) -> World:
    """``readings``: questionnaire answers too (the attacker's thousands of views are quicker without)."""
    rng = random.Random(seed)
    world = World()
    for s, size in enumerate(sizes):
        site = await ensure_site(f"w{seed}-site-{s}", f"Site {s}", rng.choice(MUNICIPALITIES))
        world.sites.append(site)
        units = [await ensure_unit(site, f"w{seed}-unit-{s}-{u}", f"Unit {s}.{u}") for u in range(2)]
        groups = [await ensure_group(site, f"w{seed}-group-{s}-{g}", f"Group {s}.{g}", "mbsr-8-weeks",
                                     date(YEAR, 1 + 6 * g, 1)) for g in range(2)]
        world.units.update(dict.fromkeys(units, site))
        world.groups.update(dict.fromkeys(groups, site))
        home = rng.choice(MUNICIPALITIES)  # most of a site's people live near it
        for _ in range(size):
            staff = rng.random() < 0.4
            unit = rng.choice(units) if staff and rng.random() < 0.9 else None
            group = None if staff or rng.random() < 0.25 else rng.choices(groups, weights=(4, 1))[0]
            municipality = None if rng.random() < 0.08 else home if rng.random() < 0.7 else rng.choice(MUNICIPALITIES)
            rate = rng.choice((0.15, 0.4, 0.8))
            months = {}
            for m in range(1, 13):
                if rng.random() < rate:
                    started = rng.randint(1, 8)
                    completed = rng.randint(0, started)
                    pairs = rng.randint(0, completed) if staff else 0
                    months[date(YEAR, m, 1)] = {
                        "started": started, "completed": completed, "pauses": completed if staff else 0,
                        "seconds": completed * rng.choice((60, 180, 600)), "ratings": (ratings := rng.randint(0, 2)),
                        "rating_sum": ratings * rng.randint(2, 5), "stress_pairs": pairs,
                        "stress_before_sum": pairs * rng.randint(4, 8), "stress_after_sum": pairs * rng.randint(2, 6)}
            if not months:
                continue
            world.people.append(Person(uuid.UUID(int=rng.getrandbits(128), version=4), "staff" if staff else "patient",
                                       site, unit, group, municipality, months))
    joined = datetime(YEAR, 1, 1, 12, tzinfo=UTC)
    keys = world.record_keys = {p.id: new_record_key() for p in world.people}
    await _insert(Participant, [Participant(
        id=p.id, kind=p.kind, site=p.site, unit=p.unit, course_group=p.group, municipality_code=p.municipality,
        consent_version="1", consented_at=joined, created_at=joined, record_key=keys[p.id])
        for p in world.people])
    await _insert(UsageMonth, [UsageMonth(
        month=month, participant=p.id, kind=p.kind, site=p.site, unit=p.unit, course_group=p.group,
        municipality_code=p.municipality, record_key=keys[p.id], events=sums["started"],
        **{s: sums[s] for s in SUMS})
        for p in world.people for month, sums in p.months.items()])
    if readings:  # drawn apart, so the people are the same either way
        await _insert(QuestionnaireReading, _readings(world, random.Random(f"{seed}:readings")))
    await rollups.derive()  # the yearly rollups, as a rebuild would make them from these
    return world


async def _insert(table: type, rows: list) -> None:
    """In batches: PostgreSQL takes at most 32,767 arguments in one statement (a larger world has more)."""
    for start in range(0, len(rows), 500):
        await table.insert(*rows[start:start + 500])


def _readings(world: World, rng: random.Random) -> list[QuestionnaireReading]:
    """Most people check in with WHO-5 in their first active month and again in a later one, and rate the app
    (four statements, 0-4) in one of their months."""
    out = []
    for p in world.people:
        months = sorted(p.months)
        taken: list[tuple[str, date, int | None, list[int] | None]] = []
        if len(months) > 1 and rng.random() < 0.7:
            first = rng.randint(6, 18)
            taken += [(INSTRUMENT, months[0], 4 * first, None),
                      (INSTRUMENT, rng.choice(months[1:]), 4 * max(0, min(25, first + rng.randint(-5, 8))), None)]
        if rng.random() < 0.6:
            taken.append((SATISFACTION, rng.choice(months), None, [rng.randint(0, 4) for _ in range(4)]))
        for questionnaire, month, score, answers in taken:
            day = month.replace(day=10 + len(out) % 10)
            at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            out.append(QuestionnaireReading(
                participant=p.id, questionnaire=questionnaire, at=at, day=day, score=score, answers=answers,
                kind=p.kind, site=p.site, unit=p.unit, course_group=p.group, municipality_code=p.municipality,
                record_key=world.record_keys[p.id]))
    return out
