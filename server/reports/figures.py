"""The follow-up's figures for a period and a set of filters, read from the rollups and protected by
``server.lib.disclosure`` before anything leaves this module.

Everything here is a count of people, practices or minutes, or a mean; nothing names or lists a person.

The rollups are read one row per person and month (or person, month and exercise), for everyone in her
scope over the calendar year around the period — not only the people the filters choose — because each
figure is compared with the same figure in every coarser view (filters dropped, the period widened to
its quarter and year; ``Lattice``), and the people of a cell are needed for its cell key and for the
largest contributions that scale its noise. A year of a large region is some ten thousand people, so the
work is a few fixed queries and one pass in Python; the SQL needs no per-filter columns.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from server.content.catalog import Catalog
from server.db.readers import fetch
from server.lib.disclosure import MIN_PEOPLE, MIN_PEOPLE_FOR_MEANS, Cell, Lattice, Row, protect, too_few
from server.lib.localtime import local, start_of_day
from server.reports.stats import t95
from server.wellbeing.services import INSTRUMENT, SATISFACTION

# Filter name -> the column (in the participant table and in every rollup) it tests.
ATTRIBUTES = {"site": "site", "unit": "unit", "municipality": "municipality_code", "kind": "kind",
              "group": "course_group"}
SUMS = ("started", "completed", "pauses", "seconds", "ratings", "rating_sum", "stress_pairs", "stress_before_sum",
        "stress_after_sum")
EXERCISE_SUMS = ("started", "completed", "seconds", "ratings", "rating_sum")
_PERSON = "u.kind, u.site, u.unit, u.course_group, u.municipality_code, p.record_key"


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_of(month: date) -> date:
    return date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)


@dataclass(frozen=True, slots=True)
class Filters:
    first_month: date  # the first day of the first month
    last_month: date  # the first day of the last month (inclusive): a month, a quarter or a calendar year
    scope: tuple[int, ...] | None = None  # the sites she may see; None: all (researchers)
    site: int | None = None
    unit: int | None = None
    municipality: str | None = None  # a code, or "none" for people who did not say
    kind: str | None = None
    group: int | None = None

    @property
    def end(self) -> date:
        """The day after the period."""
        return add_months(self.last_month, 1)

    def active(self) -> list[str]:
        return [name for name in ATTRIBUTES if getattr(self, name) is not None]

    def mask(self, person: dict[str, Any]) -> int:
        """Bit i set when she meets the i-th active filter."""
        bits = 0
        for i, name in enumerate(self.active()):
            wanted, value = getattr(self, name), person[ATTRIBUTES[name]]
            if (value is None) if wanted == "none" else (value == wanted):
                bits |= 1 << i
        return bits

    def levels(self) -> list[tuple[date, date]]:
        """The period (first month, the first day after it), then each wider calendar period around it that
        a reader could ask for and subtract: a month's quarter and year, a quarter's year."""
        out = [(self.first_month, self.end)]
        months = (self.end.year - self.first_month.year) * 12 + self.end.month - self.first_month.month
        if months == 1:
            quarter = quarter_of(self.first_month)
            out.append((quarter, add_months(quarter, 3)))
        if months < 12:
            out.append((date(self.first_month.year, 1, 1), date(self.first_month.year + 1, 1, 1)))
        return out

    def span(self) -> tuple[date, date]:
        """The widest level: what is read from the rollups."""
        levels = self.levels()
        return min(first for first, _end in levels), max(end for _first, end in levels)


def levels_of(months: Iterable[date], levels: list[tuple[date, date]]) -> int:
    """Bit j set when any of ``months`` (first days) lies in level j."""
    bits = 0
    for month in months:
        for j, (first, end) in enumerate(levels):
            if first <= month < end:
                bits |= 1 << j
    return bits


@dataclass(slots=True)
class Person:
    key: int
    attributes: dict[str, Any]
    months: dict[date, dict[str, int]] = field(default_factory=dict)  # her sums per month of the span


@dataclass(frozen=True, slots=True)
class Change:
    """WHO-5 from first check-in to latest, as published: every number protected."""

    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    ci_low: float
    ci_high: float
    share_improved: float | None  # None: fewer than five people improved (or worsened)
    share_worsened: float | None


@dataclass(slots=True)
class Dashboard:
    filters: Filters
    period_end: date  # the last day counted (today, if the period runs on)
    shown: bool  # False: the people in these filters (or those left out by them) are fewer than five
    withheld_by: str | None = None  # the filter (or "period") whose wider view differs by a few people
    totals: dict[str, Any] = field(default_factory=dict)
    months: list[Row] = field(default_factory=list)
    exercises: list[Row] = field(default_factory=list)
    municipalities: list[Row] = field(default_factory=list)
    sites: list[Row] = field(default_factory=list)
    who5: Change | None = None
    stress: dict[str, Any] = field(default_factory=dict)
    satisfaction: list[Row] = field(default_factory=list)
    min_people: int = MIN_PEOPLE
    min_people_for_means: int = MIN_PEOPLE_FOR_MEANS


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _scope(f: Filters, alias: str) -> tuple[str, list[Any]]:
    if f.scope is None:
        return "", []
    return f" AND {alias}.site IN ({', '.join('{}' for _ in f.scope) or 'NULL'})", list(f.scope)


async def _people(f: Filters) -> dict[Any, Person]:
    first, end = f.span()
    scope, args = _scope(f, "u")
    rows = await fetch(
        f"SELECT u.participant, u.month, {_PERSON}, {', '.join(f'u.{s}' for s in SUMS)} "  # noqa: S608 — constants
        "FROM usage_month u JOIN participant p ON p.id = u.participant "
        f"WHERE u.month >= {{}} AND u.month < {{}}{scope}", first, end, *args)
    people: dict[Any, Person] = {}
    for r in rows:
        person = people.get(r["participant"])
        if person is None:
            person = people[r["participant"]] = Person(r["record_key"], {a: r[a] for a in ATTRIBUTES.values()})
        person.months[_as_date(r["month"])] = {s: r[s] or 0 for s in SUMS}
    return people


def _period_sums(person: Person, first: date, end: date, names: tuple[str, ...]) -> dict[str, float]:
    out = dict.fromkeys(names, 0)
    for month, sums in person.months.items():
        if first <= month < end:
            for name in names:
                out[name] += sums.get(name, 0)
    return out


def _values(cell: Cell, figure: str) -> dict[str, float | int | None]:
    """A cell's protected sums, and the means that may be shown for it: a protected sum over the true
    number it is shared by (a protected denominator too would only add error; the number shown beside a
    mean is the protected one)."""
    def magnitude(name: str) -> float:
        return cell.magnitude(name, figure)

    started, ratings = cell.sums.get("started", 0), cell.sums.get("ratings", 0)
    means = cell.people >= MIN_PEOPLE_FOR_MEANS
    return {"started": round(magnitude("started")), "completed": round(magnitude("completed")),
            "pauses": round(magnitude("pauses")), "minutes": round(magnitude("seconds") / 60),
            "ratings": round(magnitude("ratings")),
            "rating": round(min(5.0, max(1.0, magnitude("rating_sum") / ratings)), 1) if means and ratings else None,
            "completion": round(min(100.0, 100 * magnitude("completed") / started)) if means and started else None}


@dataclass(slots=True)
class _Figure:
    """One figure's people: who is in it (a cell) and who is in each coarser view (a lattice)."""

    lattice: Lattice
    cell: Cell = field(default_factory=Cell)

    def row(self, key: Any, label: str, figure: str) -> Row:
        people = self.cell.count(f"{figure}:people")
        row = Row(key, label, people if people is not None else self.cell.people, _values(self.cell, figure))
        if people is None and self.cell.people:
            row.hidden = "small"
        elif self.lattice.gap() is not None:
            row.hidden = "complement"
        return row


def _collect(f: Filters, levels: list[tuple[date, date]],
             members: Iterable[tuple[Person, Iterable[date], dict[str, float] | None]]) -> _Figure:
    """``members``: everyone in scope who could be in this figure, with the months that count for her and,
    if she is in the view's own period, her contribution (None: not in this period)."""
    figure = _Figure(Lattice(f.active(), len(levels)))
    full = figure.lattice.full
    for person, months, values in members:
        mask, bits = f.mask(person.attributes), levels_of(months, levels)
        if not bits:
            continue
        figure.lattice.add(mask, bits)
        if mask == full and bits & 1:
            figure.cell.add(person.key, values)
    return figure


async def build(f: Filters, catalog: Catalog, *, today: date, labels: dict[str, dict[Any, str]],
                language: str) -> Dashboard:
    """``labels``: names for keys (site ids, municipality codes) so rows can be sorted and shown."""
    period_end = min(today, f.end - timedelta(days=1))
    board = Dashboard(filters=f, period_end=period_end, shown=True)
    people, exercises, readings, joined, active = await asyncio.gather(
        _people(f), _exercise_rows(f), _readings(f), _joined(f), _active(f, period_end))
    levels = f.levels()
    first, end = levels[0]
    in_period = {pid: _period_sums(p, first, end, SUMS) for pid, p in people.items()
                 if any(first <= m < end for m in p.months)}
    total = _collect(f, levels, ((p, p.months, in_period.get(pid)) for pid, p in people.items()))
    shown = total.cell.count("total:people")
    if too_few(total.cell.people) or not total.cell.people or shown is None:
        board.shown = False
        return board
    if (reason := total.lattice.gap()) is not None:
        board.shown, board.withheld_by = False, reason
        return board
    board.totals = {"people": shown, **_values(total.cell, "total"),
                    "enrolled": _count(f, levels, joined, "joined"),
                    **{name: _count(f, [levels[0]], rows, name) for name, rows in active.items()}}
    board.stress = _stress(f, levels, people, in_period)
    board.months = _finish(_month_rows(f, people), by_size=False)
    board.exercises = _finish(_exercise_table(f, levels, people, exercises, catalog, language))
    for attribute, column, names in (("municipalities", "municipality_code", labels["municipality"]),
                                     ("sites", "site", labels["site"])):
        rows = _by_attribute(f, levels, people, in_period, column,
                             lambda k, names=names: names.get(k, str(k)) if k is not None else "")
        setattr(board, attribute, _finish(rows))
    board.who5 = _who5(f, levels, people, readings, catalog)
    board.satisfaction = _satisfaction(f, levels, people, readings, catalog, language)
    return board


def _finish(rows: list[Row], *, by_size: bool = True) -> list[Row]:
    """Small rows hidden and one more with them (``protect``); a hidden row keeps only its label, and hidden
    rows come last in the order of their labels, so neither their numbers nor their place tells their size."""
    protect(rows)
    for row in rows:
        if not row.shown:
            row.people, row.values = 0, {}
    if by_size:
        rows.sort(key=lambda row: (not row.shown, -row.people, row.label))
    return rows


def _count(f: Filters, levels: list[tuple[date, date]], members: list[tuple[Person, list[date]]],
           figure: str) -> int | None:
    """A count of people (joined, active lately), or None where it is small or a wider view singles out a few."""
    collected = _collect(f, levels, ((p, months, {}) for p, months in members))
    if collected.lattice.gap() is not None:
        return None
    return collected.cell.count(f"{figure}:people")


def _month_rows(f: Filters, people: dict[Any, Person]) -> list[Row]:
    """One row per month of the period; each is the view of that month alone, with its own wider periods,
    so a month shows the same here as when it is chosen as the period."""
    rows = []
    month = f.first_month
    while month < f.end:
        one = replace(f, first_month=month, last_month=month)
        levels = one.levels()
        collected = _collect(one, levels, ((p, p.months, p.months.get(month)) for p in people.values()))
        if collected.cell.people:
            row = collected.row(month, month.isoformat()[:7], f"month:{month.isoformat()}")
            rows.append(row)
        month = add_months(month, 1)
    return rows


def _by_attribute(f: Filters, levels: list[tuple[date, date]], people: dict[Any, Person],
                  in_period: dict[Any, dict[str, float]], column: str, label: Callable[[Any], str]) -> list[Row]:
    groups: dict[Any, list[Any]] = defaultdict(list)
    for pid, person in people.items():
        groups[person.attributes[column]].append(pid)
    rows = []
    for key, pids in groups.items():
        collected = _collect(f, levels, ((people[pid], people[pid].months, in_period.get(pid)) for pid in pids))
        if collected.cell.people:
            rows.append(collected.row(key, label(key), f"{column}:{key}"))
    return rows


async def _exercise_rows(f: Filters) -> list[dict[str, Any]]:
    first, end = f.span()
    scope, args = _scope(f, "u")
    return await fetch(
        f"SELECT u.participant, u.exercise, u.month, {', '.join(f'u.{s}' for s in EXERCISE_SUMS)} "  # noqa: S608
        f"FROM usage_exercise u WHERE u.month >= {{}} AND u.month < {{}}{scope}", first, end, *args)


def _exercise_table(f: Filters, levels: list[tuple[date, date]], people: dict[Any, Person],
                    rows: list[dict[str, Any]], catalog: Catalog, language: str) -> list[Row]:
    first, end = levels[0]
    used: dict[str, dict[Any, dict[date, dict[str, int]]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        used[r["exercise"]][r["participant"]][_as_date(r["month"])] = {s: r[s] or 0 for s in EXERCISE_SUMS}
    out = []
    for slug, by_person in used.items():
        def members(by_person: dict[Any, dict[date, dict[str, int]]] = by_person):
            for pid, months in by_person.items():
                person = people.get(pid)
                if person is None:
                    continue
                sums = {s: sum(v[s] for m, v in months.items() if first <= m < end) for s in EXERCISE_SUMS}
                yield person, months, sums if any(first <= m < end for m in months) else None
        collected = _collect(f, levels, members())
        if collected.cell.people:
            exercise = catalog.exercises.get(slug)
            title = (exercise.title.get(language) or exercise.title["da"]) if exercise else slug
            out.append(collected.row(slug, title, f"exercise:{slug}"))
    return out


async def _joined(f: Filters) -> list[tuple[Person, list[date]]]:
    """Who joined in the span (and was not withdrawn with deletion), with the month she joined."""
    first, end = f.span()
    scope, args = _scope(f, "p")
    rows = await fetch(
        f"SELECT p.created_at, {_PERSON.replace('u.', 'p.')} FROM participant p "  # noqa: S608 — constants
        f"WHERE p.created_at >= {{}} AND p.created_at < {{}} "
        f"AND (p.withdrawal IS NULL OR p.withdrawal <> 'delete'){scope}",
        start_of_day(first), start_of_day(end), *args)
    out = []
    for r in rows:
        moment = r["created_at"]  # text on SQLite
        day = local(moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)).date()
        out.append((Person(r["record_key"], {a: r[a] for a in ATTRIBUTES.values()}), [day.replace(day=1)]))
    return out


async def _active(f: Filters, period_end: date) -> dict[str, list[tuple[Person, list[date]]]]:
    """Who was active in the 7 and in the 30 days up to the period's end (as if in its first month)."""
    scope, args = _scope(f, "u")
    rows = await fetch(
        f"SELECT u.participant, max(u.day) AS last_day, {_PERSON} FROM active_day u "  # noqa: S608 — constants
        f"JOIN participant p ON p.id = u.participant WHERE u.day > {{}} AND u.day <= {{}}{scope} "
        f"GROUP BY u.participant, {_PERSON}", period_end - timedelta(days=30), period_end, *args)
    since7 = period_end - timedelta(days=7)
    out: dict[str, list[tuple[Person, list[date]]]] = {"active7": [], "active30": []}
    for r in rows:
        person = Person(r["record_key"], {a: r[a] for a in ATTRIBUTES.values()})
        out["active30"].append((person, [f.first_month]))
        if _as_date(r["last_day"]) > since7:
            out["active7"].append((person, [f.first_month]))
    return out


def _stress(f: Filters, levels: list[tuple[date, date]], people: dict[Any, Person],
            in_period: dict[Any, dict[str, float]]) -> dict[str, Any]:
    """Staff stress (0-10) before and after pauses she rated both times; means over pauses."""
    def members():
        for pid, person in people.items():
            rated = [m for m, sums in person.months.items() if sums.get("stress_pairs")]
            values = in_period.get(pid)
            yield person, rated, values if values and values["stress_pairs"] else None
    collected = _collect(f, levels, members())
    cell = collected.cell
    if cell.people < MIN_PEOPLE_FOR_MEANS or collected.lattice.gap() is not None:
        return {"people": cell.people, "shown": False}
    pairs = cell.sums.get("stress_pairs", 0)
    before = min(10.0, max(0.0, cell.magnitude("stress_before_sum", "stress") / pairs))
    after = min(10.0, max(0.0, cell.magnitude("stress_after_sum", "stress") / pairs))
    return {"people": cell.count("stress:people"), "shown": True,
            "pauses": round(cell.magnitude("stress_pairs", "stress")), "before": round(before, 1),
            "after": round(after, 1), "change": round(after - before, 1)}


async def _readings(f: Filters) -> list[dict[str, Any]]:
    """Every scored answer up to the span's end by people in scope (first check-ins can be years back)."""
    _first, end = f.span()
    scope, args = _scope(f, "u")
    return await fetch(
        f"SELECT u.participant, u.questionnaire, u.at, u.day, u.score, u.answers, {_PERSON} "  # noqa: S608
        f"FROM questionnaire_reading u JOIN participant p ON p.id = u.participant WHERE u.day < {{}}{scope}",
        end, *args)


def _by_person(readings: list[dict[str, Any]]) -> dict[Any, dict[str, list[dict[str, Any]]]]:
    """Per person and questionnaire: her readings in time order (the same moment twice counts once)."""
    out: dict[Any, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in sorted(readings, key=lambda r: str(r["at"])):
        found = out[r["participant"]][r["questionnaire"]]
        if found and str(found[-1]["at"]) == str(r["at"]):
            continue
        found.append(r)
    return out


def _person_of(r: dict[str, Any], people: dict[Any, Person]) -> Person:
    return people.get(r["participant"]) or Person(r["record_key"], {a: r[a] for a in ATTRIBUTES.values()})


def _who5(f: Filters, levels: list[tuple[date, date]], people: dict[Any, Person], readings: list[dict[str, Any]],
          catalog: Catalog) -> Change | None:
    """Each person's first check-in ever against her latest in the period (a pair needs two readings)."""
    instrument = catalog.questionnaires.get(INSTRUMENT)
    if instrument is None:
        return None
    threshold = instrument.scoring.meaningful_change or 10
    first, end = levels[0]
    pairs: list[tuple[Person, list[date], dict[str, float] | None]] = []
    for by_questionnaire in _by_person(readings).values():
        found = [r for r in by_questionnaire.get(INSTRUMENT, []) if r["score"] is not None]
        if len(found) < 2:
            continue
        person = _person_of(found[0], people)
        # The levels in which she has a pair: a latest reading in it, after her first.
        months = [_as_date(r["day"]).replace(day=1) for r in found[1:]]
        in_period = [r for r in found[1:] if first <= _as_date(r["day"]) < end]
        values = None
        if in_period:
            before, after = found[0]["score"], in_period[-1]["score"]
            values = {"before": before, "after": after, "change": after - before,
                      "improved": int(after - before >= threshold), "worsened": int(before - after >= threshold)}
        pairs.append((person, months, values))
    collected = _collect(f, levels, pairs)
    cell = collected.cell
    if cell.people < MIN_PEOPLE_FOR_MEANS or collected.lattice.gap() is not None:
        return None
    n, changes = cell.people, cell.parts.get("change", [])
    mean = cell.magnitude("change", "who5") / n
    half = t95(len(changes) - 1) * statistics.stdev(changes) / math.sqrt(len(changes))

    def share(name: str) -> float | None:
        subset = Cell()
        for person, _months, values in pairs:
            if values and values[name] and f.mask(person.attributes) == collected.lattice.full:
                subset.add(person.key)
        shown = subset.count(f"who5:{name}")
        return None if shown is None else min(1.0, shown / n)

    return Change(n=cell.count("who5:people") or n,
                  mean_before=min(100.0, max(0.0, cell.magnitude("before", "who5") / n)),
                  mean_after=min(100.0, max(0.0, cell.magnitude("after", "who5") / n)), mean_change=mean,
                  ci_low=mean - half, ci_high=mean + half, share_improved=share("improved"),
                  share_worsened=share("worsened"))


def _satisfaction(f: Filters, levels: list[tuple[date, date]], people: dict[Any, Person],
                  readings: list[dict[str, Any]], catalog: Catalog, language: str) -> list[Row]:
    """Per statement: the share agreeing (the top two answers) among each person's latest answers in the
    period. Each statement is answered by the same people, so all are shown or all are hidden."""
    instrument = catalog.questionnaires.get(SATISFACTION)
    if instrument is None:
        return []
    agree = sorted(o.score for o in instrument.options)[-2:]
    first, end = levels[0]
    members: list[tuple[Person, list[date], dict[str, float] | None]] = []
    answers: list[tuple[Person, list[int]]] = []
    for by_questionnaire in _by_person(readings).values():
        found = [r for r in by_questionnaire.get(SATISFACTION, []) if r["answers"]]
        if not found:
            continue
        person = _person_of(found[0], people)
        in_period = [r for r in found if first <= _as_date(r["day"]) < end]
        members.append((person, [_as_date(r["day"]).replace(day=1) for r in found], {} if in_period else None))
        if in_period:
            latest = in_period[-1]["answers"]
            answers.append((person, json.loads(latest) if isinstance(latest, str) else latest))
    collected = _collect(f, levels, members)
    hidden = "small" if collected.cell.people < MIN_PEOPLE_FOR_MEANS or collected.lattice.gap() is not None else None
    full = collected.lattice.full
    rows = []
    for i, item in enumerate(instrument.items):
        answered, agreeing = Cell(), Cell()
        for person, given in answers:
            if f.mask(person.attributes) != full or len(given) <= i:
                continue
            answered.add(person.key)
            if given[i] in agree:
                agreeing.add(person.key)
        n, yes = answered.count(f"satisfaction:{i}"), agreeing.count(f"satisfaction:{i}:agree")
        share = round(100 * min(1.0, yes / answered.people)) if n and yes is not None else None
        rows.append(Row(i, item.get(language) or item["da"], n or answered.people, {"agree": share}, hidden))
    return rows
