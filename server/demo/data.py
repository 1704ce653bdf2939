"""``pusterum demo-data``: a synthetic year of use, for the dashboards, the annual report and the bench.

It makes its own sites (slugs starting with ``demo-``; the two that ``pusterum demo`` keeps for trying
the app by hand are not demo data and are never touched): two hospitals with their wards and three
family clinics with MBSR course groups starting through the year, in Region Hovedstaden and Region
Sjælland, with invite codes (random, only their hash stored, as always), participants and their events.

The rhythms are those a real year would show: fewer sessions in July and more in January, February and
the autumn; patients mostly in the evening and on Sundays, staff on weekdays within their shifts; and
every participant's use fading after she joins, with her own half-life (many stop within weeks, a few
keep going all year). Patients answer the WHO-5 when they join and every ~14 days while they are
active, with later scores a little better on average (with spread, so a paired change is realistic).

Rows are written as the real store writes them (every column, the Copenhagen ``day``, a fingerprint),
fast: generated in chunks with one ``random.Random`` per participant (the same seed gives the same
data on either engine), written with ``executemany`` on SQLite's own connection in one transaction, or
with ``COPY`` on PostgreSQL in one transaction. The rollups are rebuilt at the end (and on PostgreSQL the
tables analysed, as autovacuum would soon do). On SQLite that transaction holds the write lock for the
time it takes (about 40 s for the default year): run it while nobody is using the app.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import itertools
import json
import math
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from server import db
from server.accounts.tables import AccountSite
from server.content import scoring
from server.content.catalog import Catalog
from server.content.schemas import PublishedExercise, PublishedQuestionnaire
from server.content.services import load_catalog
from server.db.connections import BUSY_SECONDS, begin_immediate, sqlite_connection
from server.engagement.store import COLUMNS, SQLITE_INSERT
from server.lib.localtime import local, start_of_day, today
from server.participants.municipalities import municipalities
from server.participants.services import CONSENT_VERSION, DEMO_HOSPITAL_SLUG, DEMO_SITE_SLUG, hash_code
from server.participants.tables import CourseGroup, InviteCode, Participant, Site, Unit
from server.reports import rollups
from server.settings import get_settings
from server.staff.services import pauses as staff_pauses

DEFAULT_PATIENTS = 3000
DEFAULT_STAFF = 5000
DEFAULT_DAYS = 365
DEFAULT_SEED = 1
PREFIX = "demo-"
NOT_DEMO_DATA = (DEMO_SITE_SLUG, DEMO_HOSPITAL_SLUG)  # `pusterum demo`'s sites for trying the app by hand
COURSE_SLUG = "mbsr-8-weeks"
CHUNK = 50_000  # event rows generated and written at a time
WHO5 = "who-5"
SATISFACTION = "app-satisfaction"

# --- where people are: sites, wards, catchment areas ---

# Inhabitants (thousands, rounded) of the municipalities the demo sites serve: where people live is drawn
# in proportion, so bigger municipalities come up more often.
POPULATION = {
    "0101": 660, "0147": 105, "0151": 52, "0153": 39, "0155": 14, "0157": 75, "0159": 70, "0161": 23,
    "0163": 30, "0165": 28, "0167": 55, "0169": 58, "0173": 57, "0175": 41, "0183": 24, "0185": 44,
    "0187": 17, "0190": 41, "0201": 26, "0210": 41, "0217": 64, "0219": 53, "0223": 25, "0230": 57,
    "0240": 45, "0250": 46, "0260": 32, "0270": 42, "0400": 39,
    "0253": 52, "0259": 62, "0265": 90, "0269": 24, "0306": 33, "0316": 73, "0320": 37, "0326": 48,
    "0329": 36, "0330": 80, "0336": 23, "0340": 30, "0350": 29, "0360": 40, "0370": 84, "0376": 60,
    "0390": 45,
}
CITY = ("0101", "0147", "0151", "0153", "0155", "0157", "0159", "0161", "0163", "0165", "0167", "0169", "0173",
        "0175", "0183", "0185", "0187", "0400")
NORTH = ("0190", "0201", "0210", "0217", "0219", "0223", "0230", "0240", "0250", "0260", "0270")
ZEALAND = ("0253", "0259", "0265", "0269", "0306", "0316", "0320", "0326", "0329", "0330", "0336", "0340",
           "0350", "0360", "0370", "0376", "0390")


@dataclass(frozen=True)
class SiteSpec:
    slug: str
    name: str
    kind: str  # hospital | clinic
    municipality: str
    short: str  # for unit and group slugs
    share: float  # of the patients (clinics) or the staff (hospitals)
    catchment: tuple[str, ...]  # where its patients or staff live
    units: tuple[tuple[str, str, int], ...] = ()  # slug part, name, relative size


HOSPITALS = (
    SiteSpec("demo-hospital-hovedstaden", "Demo – Hospital Hovedstaden", "hospital", "0167", "hh", 0.6, CITY + NORTH,
             (("foedegangen", "Fødegangen", 9), ("barsel", "Barselsafsnittet", 8),
              ("svangreambulatoriet", "Svangreambulatoriet", 5), ("neonatal", "Neonatalafsnittet", 7),
              ("gynaekologi", "Gynækologisk sengeafsnit", 6), ("operation", "Operation og anæstesi", 8),
              ("akutmodtagelsen", "Akutmodtagelsen", 10))),
    SiteSpec("demo-sygehus-sjaelland", "Demo – Sygehus Sjælland", "hospital", "0370", "ss", 0.4, ZEALAND,
             (("foedegangen", "Fødegangen", 8), ("barsel", "Barselsafsnittet", 7), ("neonatal", "Neonatalafsnittet", 5),
              ("gynaekologi", "Gynækologisk afdeling", 6), ("akutmodtagelsen", "Akutmodtagelsen", 9))),
)
CLINICS = (
    SiteSpec("demo-familieambulatoriet-koebenhavn", "Demo – Familieambulatoriet København", "clinic", "0101", "kbh",
             0.45, CITY),
    SiteSpec("demo-familieambulatoriet-hilleroed", "Demo – Familieambulatoriet Hillerød", "clinic", "0219", "hil",
             0.25, NORTH),
    SiteSpec("demo-familieambulatoriet-roskilde", "Demo – Familieambulatoriet Roskilde", "clinic", "0265", "ros",
             0.30, ZEALAND),
)
GROUP_EVERY_DAYS = 42  # a new course group every six weeks at each clinic, staggered between clinics

# --- rhythms ---

SEASON = {1: 1.2, 2: 1.15, 3: 1.0, 4: 0.95, 5: 0.92, 6: 0.85, 7: 0.55, 8: 0.8, 9: 1.1, 10: 1.15, 11: 1.12,
          12: 0.85}
PATIENT_WEEKDAY = (0.9, 0.88, 0.9, 0.92, 0.9, 1.05, 1.3)  # Monday first
STAFF_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 0.95, 0.45, 0.4)
STAFF_WEEKEND_SHIFT_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.75, 0.7)  # evening and night shifts work weekends too
PATIENT_HOURS = (0.3, 0.15, 0.1, 0.1, 0.15, 0.3, 0.8, 1.5, 1.8, 1.6, 1.4, 1.3, 1.5, 1.4, 1.3, 1.4, 1.5, 1.6, 1.9,
                 2.6, 3.2, 3.4, 2.6, 1.2)
SHIFT_HOURS = {  # local hour -> weight, per shift
    "day": {7: 1.5, 8: 1.0, 9: 1.4, 10: 2.2, 11: 2.0, 12: 2.4, 13: 2.0, 14: 1.6},
    "evening": {15: 1.5, 16: 1.2, 17: 1.8, 18: 2.2, 19: 1.8, 20: 1.6, 21: 1.6, 22: 1.2},
    "night": {23: 1.4, 0: 1.2, 1: 1.6, 2: 1.8, 3: 2.0, 4: 1.8, 5: 1.4, 6: 1.2},
}
SHIFTS = (("day", 0.6), ("evening", 0.22), ("night", 0.1), ("rotating", 0.08))
# (share of people, median half-life in days of their use): many try it and stop, a few keep going.
PATIENT_HALF_LIVES = ((0.5, 12), (0.38, 40), (0.12, 160))
STAFF_HALF_LIVES = ((0.5, 9), (0.35, 45), (0.15, 220))
PATIENT_RATE = (0.85, 2.2)  # sessions a day just after joining (uniform between)
STAFF_RATE = (0.6, 1.85)  # pauses on a working day just after joining
RATINGS = (1, 2, 3, 4, 5)
RATING_WEIGHTS = (2, 5, 15, 38, 40)
NOTES = ("Dejlig øvelse", "Det hjalp lidt", "Rart at få ro på", "Lidt for lang i dag", "Faldt i søvn undervejs",
         "God til aftenen", "Tak", "Den vil jeg lave igen", "Svært at koncentrere mig i dag", "Rart med vejrtrækningen")
STRESS_DROP = (-1, 0, 1, 2, 3, 4)
STRESS_DROP_WEIGHTS = (3, 12, 40, 30, 10, 5)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = 1_000_000  # microseconds
_WEEK = 7 * 86_400 * _SECOND


class DemoDataExists(Exception):
    """Demo sites are there already and --replace was not given."""


class NoContent(Exception):
    """Nothing is published yet, so there is nothing to have practised."""


@dataclass(frozen=True)
class Summary:
    patients: int
    staff: int
    seed: int
    sites: int
    events: int
    first_day: date
    last_day: date
    removed_events: int
    seconds: float  # the whole run
    event_seconds: float  # generating and writing the events
    rollup_seconds: float


# --- the period ---

class Period:
    """The days of the period in Copenhagen, with each day's start in UTC (as microseconds) and length."""

    def __init__(self, end: date, days: int) -> None:
        self.days = [end - timedelta(days=days - 1 - i) for i in range(days)]
        starts = [start_of_day(d) for d in [*self.days, end + timedelta(days=1)]]
        self.start_us = [_us(s) for s in starts]
        self.length_us = [b - a for a, b in itertools.pairwise(self.start_us)]
        self.season = [SEASON[d.month] for d in self.days]
        self.weekday = [d.weekday() for d in self.days]
        self.end_us = self.start_us[-1]
        self.iso = [d.isoformat() for d in self.days]
        self.cum_season = list(itertools.accumulate(self.season))

    def __len__(self) -> int:
        return len(self.days)

    def seasonal_day(self, rng: random.Random, lo: int = 0, hi: int | None = None) -> int:
        """A day index in [lo, hi), drawn in proportion to the season (fewer people join in July)."""
        hi = len(self.days) if hi is None else hi
        base = self.cum_season[lo - 1] if lo else 0.0
        x = base + rng.random() * (self.cum_season[hi - 1] - base)
        return min(hi - 1, max(lo, bisect.bisect_left(self.cum_season, x)))

    def at(self, day: int, hour: float) -> int:
        """Microseconds since the epoch at about ``hour`` local time on day ``day`` (clipped into that day)."""
        offset = int(hour * 3600 * _SECOND)
        return self.start_us[day] + min(max(offset, 0), self.length_us[day] - 1)


def _us(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _SECOND + delta.microseconds


def _moment(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class _Choice:
    """Weighted choice by bisection over cumulative weights (random.choices rebuilds them on every call)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _half_life(rng: random.Random, mixture: tuple[tuple[float, float], ...]) -> float:
    x, acc = rng.random(), 0.0
    for share, median in mixture:
        acc += share
        if x < acc:
            return median * math.exp(rng.gauss(0, 0.6))
    return mixture[-1][1]


def _stops_after(rng: random.Random, half_life: float) -> int:
    """Days until she stops altogether (her use fades before that): on average 2.5 half-lives."""
    return 1 + int(rng.expovariate(1 / (2.5 * half_life)))


def _residence(site: SiteSpec) -> _Choice:
    codes = [c for c in site.catchment if c in municipalities()]
    return _Choice(codes, [POPULATION.get(c, 20) * (2 if c == site.municipality else 1) for c in codes])


# --- the plan: sites, groups and participants (thousands of rows, held in memory) ---

@dataclass(slots=True)
class Person:
    id: uuid.UUID
    kind: str
    site: int
    unit: int | None
    group: int | None
    code: int
    language: str
    municipality: str | None
    joined_day: int
    joined_us: int
    until_us: int  # the end of the period, or her withdrawal
    withdrawn_us: int | None
    course_start: int | None  # day index of her group's start
    key: str = ""  # str(id), as event rows carry it

    def __post_init__(self) -> None:
        self.key = str(self.id)


@dataclass(frozen=True)
class Layout:
    site_ids: dict[str, int]
    units: list[tuple[int, int, int, str]]  # (site id, unit id, weight, hospital slug)
    unit_codes: dict[int, int]
    groups: dict[int, list[tuple[int, int]]]  # site id -> [(group id, start day index)]
    group_codes: dict[int, int]
    site_codes: dict[int, int]


def _choose(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(items, weights)[0]


async def _make_layout(rng: random.Random, period: Period, now: datetime) -> Layout:
    first = period.days[0]
    created = start_of_day(first) - timedelta(days=7)
    site_ids: dict[str, int] = {}
    for spec in (*HOSPITALS, *CLINICS):
        site_ids[spec.slug] = (await Site.insert(Site(
            slug=spec.slug, name=spec.name, kind=spec.kind, municipality_code=spec.municipality, created_at=created,
        )).returning(Site.id))[0]["id"]

    def code(kind: str, site: int, unit: int | None = None, group: int | None = None, label: str = "") -> InviteCode:
        token = f"{rng.getrandbits(128):032x}"  # nobody is given these codes: only their hash is stored
        return InviteCode(code_hash=hash_code(token), kind=kind, site=site, unit=unit, course_group=group,
                          label=label, created_at=created)

    units: list[tuple[int, int, int, str]] = []
    unit_codes: dict[int, int] = {}
    for spec in HOSPITALS:
        for part, name, weight in spec.units:
            sid = site_ids[spec.slug]
            uid = (await Unit.insert(Unit(site=sid, slug=f"demo-{spec.short}-{part}", name=name, created_at=created))
                   .returning(Unit.id))[0]["id"]
            units.append((sid, uid, weight, spec.slug))
            unit_codes[uid] = (await InviteCode.insert(code("staff", sid, unit=uid, label=f"QR {name}"))
                               .returning(InviteCode.id))[0]["id"]
    groups: dict[int, list[tuple[int, int]]] = {}
    group_codes: dict[int, int] = {}
    site_codes: dict[int, int] = {}
    for n, spec in enumerate(CLINICS):
        sid = site_ids[spec.slug]
        site_codes[sid] = (await InviteCode.insert(code("patient", sid, label="Konsultation"))
                           .returning(InviteCode.id))[0]["id"]
        groups[sid] = []
        for start in range(10 + 14 * n, len(period) - 3, GROUP_EVERY_DAYS):
            starts_on = period.days[start]
            gid = (await CourseGroup.insert(CourseGroup(
                site=sid, slug=f"demo-{spec.short}-hold-{starts_on.isoformat()}", name=f"Hold {starts_on:%d.%m.%Y}",
                course_slug=COURSE_SLUG, starts_on=starts_on, created_at=min(now, start_of_day(starts_on)
                                                                             - timedelta(days=21)),
            )).returning(CourseGroup.id))[0]["id"]
            groups[sid].append((gid, start))
            group_codes[gid] = (await InviteCode.insert(code("patient", sid, group=gid, label=f"Hold {starts_on}"))
                                .returning(InviteCode.id))[0]["id"]
    return Layout(site_ids, units, unit_codes, groups, group_codes, site_codes)


def _plan_people(rng: random.Random, period: Period, layout: Layout, patients: int, staff: int) -> list[Person]:
    people: list[Person] = []
    everywhere = list(municipalities())
    days = len(period)

    def residence(choice: _Choice, none_share: float) -> str | None:
        x = rng.random()
        if x < none_share:
            return None
        return rng.choice(everywhere) if x < none_share + 0.03 else choice(rng)

    def joined(day: int, hours: tuple[float, float]) -> int:
        return period.at(day, rng.uniform(*hours))

    def withdrawal(joined_day: int, joined_us: int) -> int | None:
        if rng.random() >= 0.02:
            return None
        day = joined_day + rng.randint(3, 150)
        return max(joined_us + 60 * _SECOND, period.at(day, rng.uniform(8, 22))) if day < days else None

    clinic = _Choice(CLINICS, [c.share for c in CLINICS])
    homes = {c.slug: _residence(c) for c in (*CLINICS, *HOSPITALS)}
    for _ in range(patients):
        spec = clinic(rng)
        sid = layout.site_ids[spec.slug]
        group, course_start, code = None, None, layout.site_codes[sid]
        if layout.groups[sid] and rng.random() < 0.5:
            group, course_start = rng.choice(layout.groups[sid])
            code = layout.group_codes[group]
            day = max(0, course_start - rng.randint(0, 14))
        else:
            day = period.seasonal_day(rng)
        at = joined(day, (8.5, 15.5) if rng.random() < 0.7 else (16, 22))  # mostly at the clinic, some at home
        gone = withdrawal(day, at)
        people.append(Person(
            uuid.UUID(int=rng.getrandbits(128), version=4), "patient", sid, None, group, code,
            "da" if rng.random() < 0.88 else "en", residence(homes[spec.slug], 0.1), day, at,
            gone or period.end_us, gone, course_start))
    unit = _Choice(layout.units, [u[2] for u in layout.units])
    launch = min(30, days)
    for _ in range(staff):
        sid, uid, _weight, hospital = unit(rng)
        day = rng.randrange(launch) if rng.random() < 0.35 else period.seasonal_day(rng)
        at = joined(day, (7, 22))
        gone = withdrawal(day, at)
        people.append(Person(
            uuid.UUID(int=rng.getrandbits(128), version=4), "staff", sid, uid, None, layout.unit_codes[uid],
            "da" if rng.random() < 0.93 else "en", residence(homes[hospital], 0.6), day, at,
            gone or period.end_us, gone, None))
    return people


async def _insert_people(people: list[Person]) -> None:
    uses: dict[int, int] = {}
    for start in range(0, len(people), 500):
        rows = []
        for p in people[start:start + 500]:
            joined = _moment(p.joined_us)
            rows.append(Participant(
                id=p.id, kind=p.kind, site=p.site, unit=p.unit, course_group=p.group, invite_code=p.code,
                language=p.language, municipality_code=p.municipality, consent_version=CONSENT_VERSION,
                consented_at=joined, created_at=joined,
                withdrawn_at=_moment(p.withdrawn_us) if p.withdrawn_us else None,
                withdrawal="keep" if p.withdrawn_us else None))
            uses[p.code] = uses.get(p.code, 0) + 1
        await Participant.insert(*rows)
    for code_id, n in uses.items():
        await InviteCode.update({InviteCode.uses: n}).where(InviteCode.id == code_id)


# --- events ---

@dataclass(frozen=True)
class Content:
    patient: _Choice  # (version id, step seconds) of a patient exercise
    pauses: _Choice  # (version id, total seconds) of a staff pause
    course_weeks: list[list[tuple[int, tuple[int, ...]]]]  # week -> its practices
    who5: PublishedQuestionnaire
    satisfaction: PublishedQuestionnaire | None


def _content(catalog: Catalog) -> Content:
    def weight(e: PublishedExercise) -> float:
        return 3.0 if e.minutes <= 3 else 2.0 if e.minutes <= 10 else 1.0

    # In slug order: the catalog's order is the database's, and the same seed must give the same data anywhere.
    patient = sorted(catalog.for_audience("patient"), key=lambda e: e.slug)
    pauses = staff_pauses(catalog)  # what the pause picker offers staff
    if not patient or not pauses or WHO5 not in catalog.questionnaires:
        raise NoContent("no published exercises or WHO-5 yet: run `pusterum content import` first")
    steps = {e.slug: (e.version_id, tuple(s.seconds for s in e.steps)) for e in patient}
    course = catalog.courses.get(COURSE_SLUG)
    weeks = [[steps[s] for s in week.practices if s in steps] for week in (course.weeks if course else ())]
    return Content(
        patient=_Choice([steps[e.slug] for e in patient], [weight(e) for e in patient]),
        pauses=_Choice([(e.version_id, e.seconds) for e in pauses], [weight(e) for e in pauses]),
        course_weeks=weeks, who5=catalog.questionnaires[WHO5],
        satisfaction=catalog.questionnaires.get(SATISFACTION))


# An event as generated: (id, participant, type, content version, occurred µs, received µs, step, seconds,
# rating, comment, stress before, stress after, score, answers as JSON, day index); written rows follow
# store.COLUMNS.
Raw = tuple


class _Events:
    """One participant's events, appended to ``out`` in the order they happened."""

    def __init__(self, period: Period, content: Content, now_us: int) -> None:
        self.period, self.content, self.now_us = period, content, now_us
        self.patient_hours = _Choice(range(24), PATIENT_HOURS)
        self.shift_hours = {name: _Choice(list(h), list(h.values())) for name, h in SHIFT_HOURS.items()}
        self.shift = _Choice([s for s, _ in SHIFTS], [w for _, w in SHIFTS])

    def _add(self, out: list, rng: random.Random, p: Person, day: int, kind: str, cv: int | None, at: int,
             step: int | None = None, seconds: int | None = None, rating: int | None = None,
             comment: str | None = None, before: int | None = None, after: int | None = None,
             score: int | None = None, answers: str | None = None) -> None:
        """``day`` is the session's day: a moment pushed past midnight (a long practice late in the evening)
        moves on to the next one. Nothing at or after her withdrawal or the period's end is kept."""
        if at >= p.until_us:
            return
        at -= at % 1000  # a phone's clock says milliseconds
        starts = self.period.start_us
        while at >= starts[day + 1]:
            day += 1
        x = rng.random()  # the outbox mostly sends at once; sometimes the phone was offline for a while
        delay = (rng.uniform(0.3, 20) if x < 0.85 else rng.uniform(30, 1800) if x < 0.97
                 else rng.uniform(3600, 20 * 3600))
        received = min(at + int(delay * _SECOND), self.now_us)
        out.append((rng.getrandbits(128), p.key, kind, cv, at, received, step, seconds, rating, comment, before,
                    after, score, answers, day))

    def patient(self, p: Person, rng: random.Random, out: list) -> None:
        period, content = self.period, self.content
        half_life = _half_life(rng, PATIENT_HALF_LIVES)
        rate0 = rng.uniform(*PATIENT_RATE)
        baseline = min(92.0, max(8.0, rng.gauss(50, 17)))
        gain = rng.gauss(12.5, 12)  # her change in WHO-5 over her first six weeks
        last_who5 = p.joined_us
        last_satisfaction: int | None = None
        busy_until = 0  # the end of her previous session: sessions do not overlap

        def who5(at: int, day: int) -> None:
            nonlocal last_who5
            weeks = (at - p.joined_us) / _WEEK
            answers = _who5_answers(rng, baseline + gain * min(1.0, weeks / 6) + rng.gauss(0, 6))
            self._questionnaire(out, rng, p, day, content.who5, answers, at)
            last_who5 = at

        for day in range(p.joined_day, min(len(period), p.joined_day + _stops_after(rng, half_life))):
            age = day - p.joined_day
            fading = rate0 * math.exp(-age * math.log(2) / half_life)
            if fading < 0.003:
                break
            week = None  # her course week (0-7) while her group's course runs
            if p.course_start is not None and 0 <= day - p.course_start < 56:
                week = (day - p.course_start) // 7
            rate = fading * period.season[day] * PATIENT_WEEKDAY[period.weekday[day]] * (1.0 if week is None else 1.4)
            sessions = int(rate) + (rng.random() < rate - int(rate))
            moments = sorted(period.at(day, self.patient_hours(rng) + rng.random()) for _ in range(sessions))
            if age == 0:  # she joined today: her first session follows the welcome pages
                moments = [p.joined_us + rng.randint(30, 90) * _SECOND,
                           *(m for m in moments if m > p.joined_us + 1800 * _SECOND)]
            for n, at in enumerate(moments):
                at = max(at, busy_until + rng.randint(600, 7200) * _SECOND)
                if at >= p.until_us:
                    return
                self._add(out, rng, p, day, "app_opened", None, at)
                at += rng.randint(5, 40) * _SECOND
                if age == 0 and n == 0:
                    if rng.random() < 0.85:
                        who5(at, day)
                    at += rng.randint(90, 240) * _SECOND
                elif ((at - last_who5 >= 2 * _WEEK and rng.random() < 0.45)
                      or (week == 7 and at - last_who5 >= _WEEK and rng.random() < 0.6)):  # the course's last week
                    who5(at, day)
                    at += rng.randint(90, 240) * _SECOND
                elif (content.satisfaction and age >= 30 and rng.random() < 0.25
                      and (last_satisfaction is None or at - last_satisfaction >= 13 * _WEEK)):
                    answers = [_choose(rng, (0, 1, 2, 3, 4), (2, 5, 13, 40, 40)) for _ in content.satisfaction.items]
                    self._questionnaire(out, rng, p, day, content.satisfaction, answers, at)
                    last_satisfaction = at
                    at += rng.randint(40, 120) * _SECOND
                practices = 0 if rng.random() < 0.15 else 2 if rng.random() < 0.15 else 1
                for _ in range(practices):
                    if (week is not None and week < len(content.course_weeks) and content.course_weeks[week]
                            and rng.random() < 0.7):  # mostly her course week's practices
                        exercise = rng.choice(content.course_weeks[week])
                    else:
                        exercise = content.patient(rng)
                    at = self._practice(out, rng, p, day, exercise, at) + rng.randint(20, 300) * _SECOND
                busy_until = at

    def _practice(self, out: list, rng: random.Random, p: Person, day: int, exercise: tuple[int, tuple[int, ...]],
                  at: int) -> int:
        """One practice in the player, step by step; returns when she was done with it."""
        version, steps = exercise
        started = at
        self._add(out, rng, p, day, "exercise_started", version, at)
        leaves = rng.random() < 0.2
        last = rng.randrange(len(steps)) if leaves else len(steps)
        practised = 0.0
        for step in range(last):
            length = steps[step] * rng.uniform(0.85, 1.15)
            practised += length
            at += int(length * _SECOND)
            self._add(out, rng, p, day, "step_completed", version, at, step=step)
        if leaves:  # sent when the page is hidden, stamped with the moment she started (as the player does)
            practised += steps[last] * rng.uniform(0.05, 0.9)
            self._add(out, rng, p, day, "exercise_left", version, started, seconds=round(practised))
            return at + int(rng.uniform(1, 60) * _SECOND)
        at += rng.randint(1, 3) * _SECOND
        self._add(out, rng, p, day, "exercise_completed", version, at, seconds=round(practised))
        if rng.random() < 0.33:
            at += rng.randint(5, 40) * _SECOND
            comment = rng.choice(NOTES) if rng.random() < 0.12 else None
            self._add(out, rng, p, day, "rating_given", version, at, rating=_choose(rng, RATINGS, RATING_WEIGHTS),
                      comment=comment)
        return at

    def _questionnaire(self, out: list, rng: random.Random, p: Person, day: int, instrument: PublishedQuestionnaire,
                       answers: list[int], at: int) -> None:
        self._add(out, rng, p, day, "questionnaire_answered", instrument.version_id, at,
                  score=scoring.score(instrument, answers).percent,  # scored as the server scores what a phone sends
                  answers=json.dumps(answers))

    def staff(self, p: Person, rng: random.Random, out: list) -> None:
        period = self.period
        half_life = _half_life(rng, STAFF_HALF_LIVES)
        rate0 = rng.uniform(*STAFF_RATE)
        shift = self.shift(rng)
        weekday = STAFF_WEEKDAY if shift in ("day", "rotating") else STAFF_WEEKEND_SHIFT_WEEKDAY
        stress = rng.gauss(5.5, 1.6)  # how stressed she usually says she is
        says_before, says_after = rng.uniform(0.6, 0.95), rng.uniform(0.7, 0.98)
        busy_until = 0
        for day in range(p.joined_day, min(len(period), p.joined_day + _stops_after(rng, half_life))):
            age = day - p.joined_day
            fading = rate0 * math.exp(-age * math.log(2) / half_life)
            if fading < 0.003:
                break
            today = shift if shift != "rotating" else ("day", "evening", "night")[(day // 7) % 3]
            rate = fading * period.season[day] * weekday[period.weekday[day]]
            pauses = int(rate) + (rng.random() < rate - int(rate))
            hours = self.shift_hours[today]
            moments = sorted(period.at(day, hours(rng) + rng.random()) for _ in range(pauses))
            if age == 0:  # she scanned the unit's code and took a pause there and then
                moments = [p.joined_us + rng.randint(20, 60) * _SECOND,
                           *(m for m in moments if m > p.joined_us + 1800 * _SECOND)]
            for at in moments:
                at = max(at, busy_until + rng.randint(900, 5400) * _SECOND)
                if at >= p.until_us:
                    return
                version, length = self.content.pauses(rng)
                self._add(out, rng, p, day, "exercise_started", version, at)
                seconds = min(300, max(60, round(length * rng.uniform(0.9, 1.15))))
                at += seconds * _SECOND
                self._add(out, rng, p, day, "exercise_completed", version, at, seconds=seconds)
                level = stress + rng.gauss(0, 1.5)
                before = min(10, max(0, round(level))) if rng.random() < says_before else None
                after = (min(10, max(0, round(level) - _choose(rng, STRESS_DROP, STRESS_DROP_WEIGHTS)))
                         if rng.random() < says_after else None)
                at += rng.randint(2, 20) * _SECOND  # "and now?" answered, or skipped
                self._add(out, rng, p, day, "pause_completed", version, at, seconds=seconds, before=before,
                          after=after)
                busy_until = at


def _who5_answers(rng: random.Random, percent: float) -> list[int]:
    """Five answers 0–5 whose sum × 4 is close to ``percent``, spread a little between the items."""
    raw = min(25, max(0, round(percent / 4)))
    answers = [raw // 5] * 5
    for i in rng.sample(range(5), raw % 5):
        answers[i] += 1
    for _ in range(2):
        i, j = rng.sample(range(5), 2)
        if answers[i] < 5 and answers[j] > 0:
            answers[i] += 1
            answers[j] -= 1
    return answers


def _event_stream(people: list[Person], events: _Events, seed: int) -> Iterator[list[Raw]]:
    """Chunks of about CHUNK events; each participant's events come from her own generator, so the same
    seed gives the same events whatever the chunking or the engine."""
    out: list[Raw] = []
    for index, person in enumerate(people):
        rng = random.Random(f"{seed}:{index}")
        (events.patient if person.kind == "patient" else events.staff)(person, rng, out)
        if len(out) >= CHUNK:
            yield out
            out = []
    if out:
        yield out


# --- writing: through the event log's own statement and column list (server.engagement.store) ---


_V4_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_V4_BITS = (0x4000 << 64) | (0x8000 << 48)


def _uuid4_text(bits: int) -> str:
    """str(uuid.UUID(int=bits, version=4)), three times as fast (it is done two million times)."""
    h = "%032x" % ((bits & _V4_MASK) | _V4_BITS)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _fingerprint(bits: int) -> str:
    return hashlib.blake2b(bits.to_bytes(16, "big"), digest_size=16).hexdigest()


def _sqlite_rows(raw: list[Raw], iso: list[str]) -> list[tuple]:
    # The text Piccolo's SQLite adapter stores: str() of the UUID and of the UTC datetime, ISO dates.
    epoch, us = _EPOCH, timedelta
    return [(_uuid4_text(i), pid, kind, cv, str(epoch + us(microseconds=at)), str(epoch + us(microseconds=rec)),
             step, sec, rating, comment, None, _fingerprint(i), sb, sa, score, ans, iso[day])
            for i, pid, kind, cv, at, rec, step, sec, rating, comment, sb, sa, score, ans, day in raw]


def _pg_rows(raw: list[Raw], days: list[date]) -> list[tuple]:
    # asyncpg takes a UUID as text; timestamps and dates as datetime and date.
    epoch, us = _EPOCH, timedelta
    return [(_uuid4_text(i), pid, kind, cv, epoch + us(microseconds=at), epoch + us(microseconds=rec),
             step, sec, rating, comment, None, _fingerprint(i), sb, sa, score, ans, days[day])
            for i, pid, kind, cv, at, rec, step, sec, rating, comment, sb, sa, score, ans, day in raw]


async def _write_chunks(chunks: Iterator[list[Raw]], convert, write) -> int:
    """One chunk after another. (Generating the next chunk in a thread meanwhile was measured: no faster,
    as the generator and the driver take turns holding the GIL.)"""
    written = 0
    for raw in chunks:
        rows = convert(raw)
        await write(rows)
        written += len(rows)
    return written


async def _write_sqlite(chunks: Iterator[list[Raw]], period: Period) -> int:
    conn = sqlite_connection(get_settings().sqlite_path, "bulk")
    try:
        begin_immediate(conn, patience=BUSY_SECONDS * 2)
        try:
            written = await _write_chunks(chunks, lambda raw: _sqlite_rows(raw, period.iso),
                                          lambda rows: asyncio.to_thread(conn.executemany, SQLITE_INSERT, rows))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return written
    finally:
        conn.close()


async def _write_postgres(chunks: Iterator[list[Raw]], period: Period) -> int:
    conn = await db.engine().get_new_connection()
    try:
        async with conn.transaction():
            return await _write_chunks(chunks, lambda raw: _pg_rows(raw, period.days),
                                       lambda rows: conn.copy_records_to_table("event", records=rows, columns=COLUMNS))
    finally:
        await conn.close()


# --- removing earlier demo data ---

async def demo_sites() -> list[dict[str, Any]]:
    return await Site.select(Site.id, Site.slug).where(
        Site.slug.like(f"{PREFIX}%") & Site.slug.not_in(list(NOT_DEMO_DATA))).order_by(Site.slug)


async def remove_demo_data() -> int:
    """Everything that belongs to demo sites, in one transaction; returns how many events went."""
    ids = [s["id"] for s in await demo_sites()]
    if not ids:
        return 0
    marks = ", ".join("{}" for _ in ids)
    people = f"SELECT id FROM participant WHERE site IN ({marks})"  # noqa: S608
    events = (await db.raw(f"SELECT count(*) AS n FROM event WHERE participant IN ({people})", *ids))[0]["n"]  # noqa: S608
    async with db.transaction():
        await db.raw(f"DELETE FROM event WHERE participant IN ({people})", *ids)  # noqa: S608
        # Her rollup rows, reminder plan and push subscription go with her (ON DELETE CASCADE).
        await Participant.delete().where(Participant.site.is_in(ids))
        await InviteCode.delete().where(InviteCode.site.is_in(ids))
        await CourseGroup.delete().where(CourseGroup.site.is_in(ids))
        await Unit.delete().where(Unit.site.is_in(ids))
        await AccountSite.delete().where(AccountSite.site.is_in(ids))
        await Site.delete().where(Site.id.is_in(ids))
    return events


# --- the command ---

def yesterday() -> date:
    return today() - timedelta(days=1)


async def generate(*, patients: int = DEFAULT_PATIENTS, staff: int = DEFAULT_STAFF, days: int = DEFAULT_DAYS,
                   seed: int = DEFAULT_SEED, end: date | None = None, replace: bool = False) -> Summary:
    began = time.perf_counter()
    now = datetime.now(UTC)
    end = end or yesterday()
    if end >= local(now).date():
        raise ValueError("the period must end before today (events cannot lie in the future)")
    catalog = await load_catalog()
    content = _content(catalog)
    existing = await demo_sites()
    if existing and not replace:
        raise DemoDataExists(f"demo data is already there ({', '.join(s['slug'] for s in existing)}); "
                             "use --replace to replace it")
    removed = await remove_demo_data() if existing else 0

    rng = random.Random(seed)
    period = Period(end, days)
    layout = await _make_layout(rng, period, now)
    people = _plan_people(rng, period, layout, patients, staff)
    await _insert_people(people)

    written_at = time.perf_counter()
    chunks = _event_stream(people, _Events(period, content, _us(now)), seed)
    try:
        writer = _write_postgres if get_settings().is_postgres else _write_sqlite
        events = await writer(chunks, period)
    except BaseException:
        await remove_demo_data()  # no half-made year is left behind
        raise
    rollup_at = time.perf_counter()
    await rollups.refresh(full=True)
    if get_settings().is_postgres:
        # Autovacuum would do this soon after; the dashboards should not be planned on empty statistics.
        await db.raw("ANALYZE event, participant, usage_month, usage_exercise, usage_year, usage_exercise_year, "
                     "questionnaire_reading, active_day")
    finished = time.perf_counter()
    return Summary(patients=patients, staff=staff, seed=seed, sites=len(layout.site_ids), events=events,
                   first_day=period.days[0], last_day=end, removed_events=removed, seconds=finished - began,
                   event_seconds=rollup_at - written_at, rollup_seconds=finished - rollup_at)
