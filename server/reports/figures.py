"""The follow-up's figures for a period and a set of filters, read from the rollups and protected by
``server.lib.disclosure`` before anything leaves this module.

Everything here is a count of people, practices or minutes, or a mean; nothing names or lists a person.

Each figure is compared with the same figure in every coarser view (filters dropped, the period widened
to its quarter and year; ``Lattice``), and needs the sum of its people's record keys and its largest single
contribution (``Cell``). So the rollups are read for everyone in her scope over the calendar year around
the period, not only the people the filters choose, but grouped in SQL first: per person (her sums in the
period, and a 12-bit mask of the months she was active in), then per kind of person — which of the
view's filters she meets (``mask``), which months, and the table row she belongs to — with a count, the
sum of record keys, the sums and the largest contribution. Python then reads a few thousand groups, not
every person (the dashboard's aim is p95 ≤ 300 ms for a region's year, ``python -m bench``).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from server.content.catalog import Catalog
from server.db import is_sqlite
from server.db.readers import fetch
from server.lib.disclosure import MIN_PEOPLE, MIN_PEOPLE_FOR_MEANS, Cell, Lattice, Row, protect, too_few
from server.lib.localtime import start_of_day
from server.reports.stats import half_width
from server.wellbeing.services import INSTRUMENT, SATISFACTION

# Filter name -> the column (in the participant table and in every rollup) it tests.
ATTRIBUTES = {"site": "site", "unit": "unit", "municipality": "municipality_code", "kind": "kind",
              "group": "course_group"}
SUMS = ("started", "completed", "pauses", "seconds", "ratings", "rating_sum", "stress_pairs", "stress_before_sum",
        "stress_after_sum")
EXERCISE_SUMS = ("started", "completed", "seconds", "ratings", "rating_sum")
STRESS_SUMS = ("stress_pairs", "stress_before_sum", "stress_after_sum")


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


def month_bits(first: date, end: date) -> int:
    """The months from ``first`` up to ``end`` within one calendar year, as bits (January is bit 0)."""
    bits = 0
    month = first
    while month < end:
        bits |= 1 << (month.month - 1)
        month = add_months(month, 1)
    return bits


class _Sql:
    """A query's text and its arguments, in the order Piccolo's ``{}`` placeholders take them: build the text
    in reading order, each placeholder where its value goes."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return "{}"

    def mask(self, f: Filters, alias: str) -> str:
        """SQL for the bits of the view's filters that a row's person meets (bit i: the i-th active filter)."""
        parts = []
        for i, name in enumerate(f.active()):
            column, wanted = f"{alias}.{ATTRIBUTES[name]}", getattr(f, name)
            test = f"{column} IS NULL" if wanted == "none" else f"{column} = {self.arg(wanted)}"
            parts.append(f"CASE WHEN {test} THEN {1 << i} ELSE 0 END")
        return " + ".join(parts) or "0"

    def scope(self, f: Filters, alias: str) -> str:
        if f.scope is None:
            return ""
        return f" AND {alias}.site IN ({', '.join(self.arg(s) for s in f.scope) or 'NULL'})"


def _month_index(column: str) -> str:
    """SQL for a date's month, 0 for January."""
    # SQLite holds a date as 'YYYY-MM-DD' text: its characters 6-7 are the month (strftime parses each row).
    return (f"(CAST(substr({column}, 6, 2) AS INTEGER) - 1)" if is_sqlite()
            else f"(CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1)")


_PERSON_COLUMNS = "u.participant, u.record_key, u.kind, u.site, u.unit, u.course_group, u.municipality_code"


def _groups(table: str, f: Filters, sums: tuple[str, ...], by: tuple[str, ...], where: str) -> tuple[str, list[Any]]:
    """Per person (her sums in the period and her months, as bits), then per (``by``, mask, months): how many,
    the sum of their record keys, the sums and the largest one person contributed."""
    sql = _Sql()
    first, end = f.levels()[0]
    inside = month_bits(first, end)
    index = _month_index("u.month")
    person_sums = ", ".join(f"sum(CASE WHEN (1 << {index}) & {inside} <> 0 THEN u.{name} ELSE 0 END) AS {name}"
                            for name in sums)
    keep = ", ".join(f"u.{column}" for column in by)
    # Built from constants and column names; values travel as arguments.
    inner = (f"SELECT {keep + ', ' if keep else ''}{sql.mask(f, 'u')} AS mask, sum(1 << {index}) AS months, "  # noqa: S608
             f"u.record_key, {person_sums} FROM {table} u ")
    span_first, span_end = f.span()
    inner += (f"WHERE u.month >= {sql.arg(span_first)} AND u.month < {sql.arg(span_end)}{sql.scope(f, 'u')}"
              f"{' AND ' + where if where else ''} ")
    inner += f"GROUP BY {keep + ', ' if keep else ''}{_PERSON_COLUMNS}"
    outer_by = ", ".join((*by, "mask", "months"))
    totals = ", ".join(f"sum({name}) AS {name}, max({name}) AS top_{name}" for name in sums)
    query = (f"SELECT {outer_by}, count(*) AS n, sum(record_key) AS record_keys, {totals} "  # noqa: S608
             f"FROM ({inner}) person GROUP BY {outer_by}")
    return query, sql.args


async def _grouped(table: str, f: Filters, sums: tuple[str, ...], by: tuple[str, ...] = (),
                   where: str = "") -> list[dict[str, Any]]:
    query, args = _groups(table, f, sums, by, where)
    return await fetch(query, *args)


async def _usage_years(f: Filters, quarter: int = 0) -> list[dict[str, Any]]:
    """Per (site, municipality, mask, months) for the span's calendar year (or one quarter of it), from the
    per-person yearly rollup: who was active in which months (for every wider view and each month's row) and
    the sums."""
    sql = _Sql()
    totals = ", ".join(f"sum(u.{name}) AS {name}, max(u.{name}) AS top_{name}" for name in SUMS)
    query = (f"SELECT u.site, u.municipality_code, {sql.mask(f, 'u')} AS mask, u.months, count(*) AS n, "  # noqa: S608
             f"sum(u.record_key) AS record_keys, {totals} FROM usage_year u "
             f"WHERE u.year = {sql.arg(f.span()[0].year)} AND u.quarter = {sql.arg(quarter)}{sql.scope(f, 'u')} "
             f"GROUP BY 1, 2, 3, 4")
    return await fetch(query, *sql.args)


def _quarter(f: Filters) -> int | None:
    """The view's quarter (1-4) when its period is one, else None."""
    first, end = f.levels()[0]
    if first.month % 3 == 1 and add_months(first, 3) == end:
        return (first.month - 1) // 3 + 1
    return None


async def _one_month(table: str, f: Filters, sums: tuple[str, ...], by: tuple[str, ...]) -> list[dict[str, Any]]:
    """A one-month view's own groups: a monthly rollup holds one row per person (and ``by``) and month, so
    its sums per person are its rows, with no grouping per person first."""
    sql = _Sql()
    totals = ", ".join(f"sum(u.{name}) AS {name}, max(u.{name}) AS top_{name}" for name in sums)
    keep = "".join(f"u.{column}, " for column in by)
    query = (f"SELECT {keep}{sql.mask(f, 'u')} AS mask, 1 AS levels, count(*) AS n, "  # noqa: S608
             f"sum(u.record_key) AS record_keys, {totals} FROM {table} u "
             f"WHERE u.month = {sql.arg(f.first_month)}{sql.scope(f, 'u')} "
             f"GROUP BY {', '.join(str(i + 1) for i in range(len(by) + 1))}")
    return await fetch(query, *sql.args)


async def _usage_rows(f: Filters) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The yearly groups, and for a view shorter than its year the period's own groups (whose sums it shows):
    a quarter's from the rollup's quarter rows, a month's from the monthly rollup."""
    if _whole_year(f):
        return await _usage_years(f), None
    quarter = _quarter(f)
    period = (_usage_years(f, quarter) if quarter
              else _one_month("usage_month", f, SUMS, ("site", "municipality_code")))
    return await asyncio.gather(_usage_years(f), period)


def _collapse(rows: list[dict[str, Any]], sums: tuple[str, ...]) -> list[dict[str, Any]]:
    """Groups that differ only in a table's key (site, municipality) merged into one per (mask, months): the
    total and the month rows need no more, and read far fewer groups. (PostgreSQL's sums are Decimals, hence
    the ``int``s; the loop runs over every group of a year, hence the plain lists.)"""
    merged: dict[tuple[int, int], list[int]] = {}
    tops = [f"top_{name}" for name in sums]
    for row in rows:
        key = (int(row["mask"]), int(row["months"]))
        values = [int(row["n"]), int(row["record_keys"]), *(int(row[name] or 0) for name in sums),
                  *(int(row[top] or 0) for top in tops)]
        into = merged.get(key)
        if into is None:
            merged[key] = values
            continue
        width = 2 + len(sums)
        for i in range(width):
            into[i] += values[i]
        for i in range(width, width + len(tops)):
            if values[i] > into[i]:
                into[i] = values[i]
    names = ("n", "record_keys", *sums, *tops)
    return [{"mask": mask, "months": months, **dict(zip(names, values, strict=True))}
            for (mask, months), values in merged.items()]


def _whole_year(f: Filters) -> bool:
    return f.levels()[0] == (date(f.first_month.year, 1, 1), date(f.first_month.year + 1, 1, 1))


def _with_period(figures: dict[Any, _Figure], period: dict[Any, _Figure] | None) -> dict[Any, _Figure]:
    """Each figure's cell from the period's own rows (its sums), its lattice kept from the year's."""
    if period is None:
        return figures
    for key, figure in figures.items():
        figure.cell = period[key].cell if key in period else Cell()
    return {key: figure for key, figure in figures.items() if figure.cell.people}


async def _exercise_years(f: Filters, quarter: int = 0) -> list[dict[str, Any]]:
    """Per (exercise, mask, levels) for the span's calendar year (or one quarter of it), from the per-person
    yearly rollup: who used which exercise in which of the view's levels and the sums, with no grouping per
    person."""
    sql = _Sql()
    totals = ", ".join(f"sum(u.{name}) AS {name}, max(u.{name}) AS top_{name}" for name in EXERCISE_SUMS)
    # The levels a person's months meet, as bits (the view's period first): grouped by those, not by every
    # combination of months, a region's year is a few hundred groups rather than some ten thousand.
    levels = " + ".join(f"CASE WHEN u.months & {month_bits(first, end)} <> 0 THEN {1 << j} ELSE 0 END"
                        for j, (first, end) in enumerate(f.levels()))
    query = (f"SELECT u.exercise, {sql.mask(f, 'u')} AS mask, {levels} AS levels, count(*) AS n, "  # noqa: S608
             f"sum(u.record_key) AS record_keys, {totals} FROM usage_exercise_year u "
             f"WHERE u.year = {sql.arg(f.span()[0].year)} AND u.quarter = {sql.arg(quarter)}{sql.scope(f, 'u')} "
             f"GROUP BY 1, 2, 3")
    return await fetch(query, *sql.args)


async def _exercise_rows(f: Filters) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The yearly groups, and for a view shorter than its year the period's own groups (whose sums it shows)."""
    if _whole_year(f):
        return await _exercise_years(f), None
    quarter = _quarter(f)
    period = (_exercise_years(f, quarter) if quarter
              else _one_month("usage_exercise", f, EXERCISE_SUMS, ("exercise",)))
    return await asyncio.gather(_exercise_years(f), period)


async def _by_month(f: Filters) -> list[dict[str, Any]]:
    """Per month of the span and mask: the month's people (one row each in the rollup), sums and largest."""
    sql = _Sql()
    index = _month_index("u.month")
    totals = ", ".join(f"sum(u.{name}) AS {name}, max(u.{name}) AS top_{name}" for name in SUMS)
    first, end = f.span()
    query = (f"SELECT {index} AS month, {sql.mask(f, 'u')} AS mask, count(*) AS n, "  # noqa: S608 — constants
             f"sum(u.record_key) AS record_keys, {totals} FROM usage_month u "
             f"WHERE u.month >= {sql.arg(first)} AND u.month < {sql.arg(end)}{sql.scope(f, 'u')} GROUP BY 1, 2")
    return await fetch(query, *sql.args)


def _figure_of(f: Filters, levels: list[tuple[date, date]], rows: Iterable[dict[str, Any]],
               sums: tuple[str, ...]) -> _Figure:
    """One figure from grouped rows: the lattice of every row, the cell of those in the view's period."""
    figure = _Figure(Lattice(f.active(), len(levels)))
    masks = [month_bits(first, end) for first, end in levels]
    of_months: dict[int, int] = {}  # a set of months as level bits: the same few sets recur in many groups
    lattice, cell, full = figure.lattice, figure.cell, figure.lattice.full
    for row in rows:
        if "levels" in row:  # already as level bits (the view's own levels)
            bits = int(row["levels"])
        else:
            months = int(row["months"])
            bits = of_months.get(months, -1)
            if bits < 0:
                bits = of_months[months] = sum(1 << j for j, m in enumerate(masks) if months & m)
        mask = int(row["mask"])
        lattice.add(mask, bits, int(row["n"]))
        if mask == full and bits & 1:
            cell.merge_group(row, sums)
    return figure


def levels_of(months: Iterable[date], levels: list[tuple[date, date]]) -> int:
    """Bit j set when any of ``months`` (first days) lies in level j."""
    bits = 0
    for month in months:
        for j, (first, end) in enumerate(levels):
            if first <= month < end:
                bits |= 1 << j
    return bits


@dataclass(frozen=True, slots=True)
class Person:
    key: int  # her record key
    mask: int  # the view's filters she meets (bit i: the i-th active filter), worked out in SQL


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
    who5_months: list[Row] = field(default_factory=list)  # WHO-5 per month: people answering, their mean
    practices: list[Row] = field(default_factory=list)  # ``exercises`` split: the practices (not staff-only)
    staff_pauses: list[Row] = field(default_factory=list)  # …and the staff pauses, each table protected anew
    min_people: int = MIN_PEOPLE
    min_people_for_means: int = MIN_PEOPLE_FOR_MEANS


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _values(cell: Cell) -> dict[str, float | int | None]:
    """A cell's protected sums, and the means that may be shown for it: a protected sum over the true
    number it is shared by (a protected denominator too would only add error; the number shown beside a
    mean is the protected one)."""
    def magnitude(name: str) -> float:
        return cell.magnitude(name)

    started, ratings = cell.sums.get("started", 0), cell.sums.get("ratings", 0)
    means = cell.people >= MIN_PEOPLE_FOR_MEANS
    # Each sum has its own noise; more practices completed than started would read as an error, and capping
    # one published number by another tells nothing new.
    shown_started = round(magnitude("started"))
    return {"started": shown_started, "completed": min(round(magnitude("completed")), shown_started),
            "pauses": round(magnitude("pauses")), "minutes": round(magnitude("seconds") / 60),
            "ratings": round(magnitude("ratings")),
            "rating": round(min(5.0, max(1.0, magnitude("rating_sum") / ratings)), 1) if means and ratings else None,
            "completion": round(min(100.0, 100 * magnitude("completed") / started)) if means and started else None}


@dataclass(slots=True)
class _Figure:
    """One figure's people: who is in it (a cell) and who is in each coarser view (a lattice)."""

    lattice: Lattice
    cell: Cell = field(default_factory=Cell)

    def row(self, key: Any, label: str) -> Row:
        people = self.cell.count()
        row = Row(key, label, people if people is not None else self.cell.people, _values(self.cell))
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
    of_month: dict[date, int] = {}  # each month's level bits, worked out once
    for person, months, values in members:
        bits = 0
        for month in months:
            found = of_month.get(month)
            if found is None:
                found = of_month[month] = levels_of((month,), levels)
            bits |= found
        mask = person.mask
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
    usage, months, exercises, stress, readings, joined, active = await asyncio.gather(
        _usage_rows(f), _by_month(f),
        _exercise_rows(f),
        _grouped("usage_month", f, STRESS_SUMS, where="u.stress_pairs > 0"),
        _readings(f), _joined(f), _active(f, period_end))
    levels = f.levels()
    usage, usage_period = usage
    everyone = _collapse(usage, SUMS)  # the total and the month rows need no site or municipality
    total = _with_period({None: _figure_of(f, levels, everyone, SUMS)},
                         None if usage_period is None else {None: _figure_of(f, levels[:1], usage_period, SUMS)}
                         ).get(None) or _Figure(Lattice(f.active(), len(levels)))
    shown = total.cell.count()
    if too_few(total.cell.people) or not total.cell.people or shown is None:
        board.shown = False
        return board
    if (reason := total.lattice.gap()) is not None:
        board.shown, board.withheld_by = False, reason
        return board
    board.totals = {"people": shown, **_values(total.cell),
                    "enrolled": _count(f, levels, joined),
                    **{name: _count(f, [levels[0]], rows) for name, rows in active.items()}}
    board.stress = _stress(_figure_of(f, levels, stress, STRESS_SUMS))
    board.months = _finish(_month_rows(f, everyone, months), by_size=False)
    years, period = exercises  # the figures are the period's; who is in each wider view comes from the year
    by_exercise = _with_period(_by_key(f, levels, years, "exercise", EXERCISE_SUMS),
                               None if period is None else _by_key(f, levels[:1], period, "exercise", EXERCISE_SUMS))
    board.exercises = _finish([figure.row(slug, _title(catalog, slug, language))
                               for slug, figure in by_exercise.items()])
    for attribute, column, names in (("municipalities", "municipality_code", labels["municipality"]),
                                     ("sites", "site", labels["site"])):
        setattr(board, attribute, _finish([
            figure.row(key, names.get(key, str(key)) if key is not None else "")
            for key, figure in _with_period(
                _by_key(f, levels, usage, column, SUMS),
                None if usage_period is None else _by_key(f, levels[:1], usage_period, column, SUMS)).items()]))
    board.who5 = _who5(f, levels, readings, catalog)
    board.satisfaction = _satisfaction(f, levels, readings, catalog, language)
    board.who5_months = _who5_by_month(f, readings, catalog)
    board.practices, board.staff_pauses = split_exercises(board.exercises, catalog)
    return board


def _by_key(f: Filters, levels: list[tuple[date, date]], rows: list[dict[str, Any]], column: str,
            sums: tuple[str, ...]) -> dict[Any, _Figure]:
    """One figure per value of ``column`` (a table's rows), for the values someone in the view has."""
    by: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by[row[column]].append(row)
    figures = {key: _figure_of(f, levels, found, sums) for key, found in by.items()}
    return {key: figure for key, figure in figures.items() if figure.cell.people}


def _month_rows(f: Filters, usage: list[dict[str, Any]], months: list[dict[str, Any]]) -> list[Row]:
    """One row per month of the period; each is the view of that month alone, with its own wider periods
    (its quarter and year), so a month shows the same here as when it is chosen as the period."""
    by_month: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in months:
        by_month[int(row["month"])].append(row)
    rows = []
    month = f.first_month
    while month < f.end:
        one = replace(f, first_month=month, last_month=month)
        figure = _figure_of(one, one.levels(), usage, ())  # who is where: people only
        figure.cell = Cell()
        for row in by_month.get(month.month - 1, ()):
            if int(row["mask"]) == figure.lattice.full:
                figure.cell.merge_group(row, SUMS)
        if figure.cell.people:
            rows.append(figure.row(month, month.isoformat()[:7]))
        month = add_months(month, 1)
    return rows


def _title(catalog: Catalog, slug: str, language: str) -> str:
    exercise = catalog.exercises.get(slug)
    return (exercise.title.get(language) or exercise.title["da"]) if exercise else slug


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


def _count(f: Filters, levels: list[tuple[date, date]], rows: list[dict[str, Any]]) -> int | None:
    """A count of people (joined, active lately), or None where it is small or a wider view singles out a few."""
    collected = _figure_of(f, levels, rows, ())
    if collected.lattice.gap() is not None:
        return None
    return collected.cell.count()


async def _joined(f: Filters) -> list[dict[str, Any]]:
    """Who joined in the span (and was not withdrawn with deletion): per (mask, the month she joined), how
    many and the sum of their record keys. The month is Copenhagen's: each month's start is found here (local
    midnight, in UTC) and SQL sorts every participant into hers, so only the groups leave the database."""
    first, end = f.span()
    sql = _Sql()
    starts = []  # (month bit, local start of the following month) for each month of the span
    month = first
    while month < end:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        starts.append((1 << (month.month - 1), following))
        month = following
    which = " ".join(f"WHEN p.created_at < {sql.arg(start_of_day(following))} THEN {bit}"
                     for bit, following in starts)
    mask = sql.mask(f, "p")
    rows = await fetch(
        f"SELECT CASE {which} END AS months, {mask} AS mask, count(*) AS n, "  # noqa: S608 — constants
        f"sum(p.record_key) AS record_keys FROM participant p "
        f"WHERE p.created_at >= {sql.arg(start_of_day(first))} AND p.created_at < {sql.arg(start_of_day(end))} "
        f"AND (p.withdrawal IS NULL OR p.withdrawal <> 'delete'){sql.scope(f, 'p')} GROUP BY 1, 2", *sql.args)
    return [{"mask": int(r["mask"]), "months": int(r["months"]), "n": int(r["n"]),
             "record_keys": int(r["record_keys"])} for r in rows]


async def _active(f: Filters, period_end: date) -> dict[str, list[dict[str, Any]]]:
    """Who was active in the 30 and in the 7 days up to the period's end (counted in the period itself): per
    mask, how many and the sum of their record keys."""
    sql = _Sql()  # its arguments are taken in the order the text names them
    person = (f"SELECT {sql.mask(f, 'u')} AS mask, u.record_key, "  # noqa: S608 — constants
              f"CASE WHEN max(u.day) > {sql.arg(period_end - timedelta(days=7))} THEN 1 ELSE 0 END AS lately "
              f"FROM active_day u WHERE u.day > {sql.arg(period_end - timedelta(days=30))} "
              f"AND u.day <= {sql.arg(period_end)}{sql.scope(f, 'u')} GROUP BY {_PERSON_COLUMNS}")
    rows = await fetch(f"SELECT mask, lately, 1 AS levels, count(*) AS n, sum(record_key) AS record_keys "  # noqa: S608
                       f"FROM ({person}) person GROUP BY mask, lately", *sql.args)
    return {"active30": rows, "active7": [r for r in rows if r["lately"]]}


def _stress(figure: _Figure) -> dict[str, Any]:
    """Staff stress (0-10) before and after pauses she rated both times; means over pauses."""
    cell = figure.cell
    if cell.people < MIN_PEOPLE_FOR_MEANS or figure.lattice.gap() is not None:
        return {"people": cell.people, "shown": False}
    pairs = cell.sums.get("stress_pairs", 0)
    before = min(10.0, max(0.0, cell.magnitude("stress_before_sum") / pairs))
    after = min(10.0, max(0.0, cell.magnitude("stress_after_sum") / pairs))
    return {"people": cell.count(), "shown": True,
            "pauses": round(cell.magnitude("stress_pairs")), "before": round(before, 1),
            "after": round(after, 1), "change": round(after - before, 1)}


async def _readings(f: Filters) -> dict[Any, dict[str, list[dict[str, Any]]]]:
    """Every scored answer up to the span's end by people in scope (first check-ins can be years back), per
    person and questionnaire (``_by_person``)."""
    _first, end = f.span()
    sql = _Sql()
    mask = sql.mask(f, "u")
    return _by_person(await fetch(
        f"SELECT u.participant, u.questionnaire, u.at, u.day, u.score, u.answers, u.record_key, {mask} AS mask "  # noqa: S608
        f"FROM questionnaire_reading u WHERE u.day < {sql.arg(end)}{sql.scope(f, 'u')} "
        f"ORDER BY u.participant, u.questionnaire, u.at", *sql.args))


def _by_person(readings: list[dict[str, Any]]) -> dict[Any, dict[str, list[dict[str, Any]]]]:
    """Per person and questionnaire: her readings in time order (the same moment twice counts once).

    The rows come sorted by person, questionnaire and time, so a repeat is the row just before. Each row's
    ``day`` becomes a date and ``month`` its first day here, once: the figures read them many times."""
    out: dict[Any, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    previous: tuple[Any, Any, str] | None = None
    dates: dict[Any, tuple[date, date]] = {}  # a year of readings falls on a few hundred days
    for r in readings:
        this = (r["participant"], r["questionnaire"], str(r["at"]))
        if this == previous:
            continue
        previous = this
        raw = r["day"]
        known = dates.get(raw)
        if known is None:
            day = _as_date(raw)
            known = dates[raw] = (day, day.replace(day=1))
        r["day"], r["month"] = known
        out[this[0]][this[1]].append(r)
    return out


def _person_of(r: dict[str, Any]) -> Person:
    return Person(int(r["record_key"]), int(r["mask"]))


def _who5(f: Filters, levels: list[tuple[date, date]], readings: dict[Any, dict[str, list[dict[str, Any]]]],
          catalog: Catalog) -> Change | None:
    """Each person's first check-in ever against her latest in the period (a pair needs two readings)."""
    instrument = catalog.questionnaires.get(INSTRUMENT)
    if instrument is None:
        return None
    threshold = instrument.scoring.meaningful_change or 10
    first, end = levels[0]
    pairs: list[tuple[Person, list[date], dict[str, float] | None]] = []
    for by_questionnaire in readings.values():
        found = [r for r in by_questionnaire.get(INSTRUMENT, []) if r["score"] is not None]
        if len(found) < 2:
            continue
        person = _person_of(found[0])
        # The levels in which she has a pair: a latest reading in it, after her first.
        months = {r["month"] for r in found[1:]}
        in_period = [r for r in found[1:] if first <= r["day"] < end]
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
    full = collected.lattice.full
    changes = [values["change"] for person, _months, values in pairs if values and person.mask == full]
    n = cell.people
    mean = cell.magnitude("change") / n
    half = half_width(changes)

    def share(name: str) -> float | None:
        subset = Cell()
        for person, _months, values in pairs:
            if values and values[name] and person.mask == collected.lattice.full:
                subset.add(person.key)
        shown = subset.count()
        return None if shown is None else min(1.0, shown / n)

    return Change(n=cell.count() or n,
                  mean_before=min(100.0, max(0.0, cell.magnitude("before") / n)),
                  mean_after=min(100.0, max(0.0, cell.magnitude("after") / n)), mean_change=mean,
                  ci_low=mean - half, ci_high=mean + half, share_improved=share("improved"),
                  share_worsened=share("worsened"))


def _satisfaction(f: Filters, levels: list[tuple[date, date]], readings: dict[Any, dict[str, list[dict[str, Any]]]],
                  catalog: Catalog, language: str) -> list[Row]:
    """Per statement: the share agreeing (the top two answers) among each person's latest answers in the
    period. Each statement is answered by the same people, so all are shown or all are hidden."""
    instrument = catalog.questionnaires.get(SATISFACTION)
    if instrument is None:
        return []
    agree = sorted(o.score for o in instrument.options)[-2:]
    first, end = levels[0]
    members: list[tuple[Person, list[date], dict[str, float] | None]] = []
    answers: list[tuple[Person, list[int]]] = []
    for by_questionnaire in readings.values():
        found = [r for r in by_questionnaire.get(SATISFACTION, []) if r["answers"]]
        if not found:
            continue
        person = _person_of(found[0])
        in_period = [r for r in found if first <= r["day"] < end]
        members.append((person, {r["month"] for r in found}, {} if in_period else None))
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
            if person.mask != full or len(given) <= i:
                continue
            answered.add(person.key)
            if given[i] in agree:
                agreeing.add(person.key)
        n, yes = answered.count(), agreeing.count()
        share = round(100 * min(1.0, yes / answered.people)) if n and yes is not None else None
        rows.append(Row(i, item.get(language) or item["da"], n or answered.people, {"agree": share}, hidden))
    return rows


def by_value(rows: list[Row], name: str) -> list[Row]:
    """Rows in the order of the value a chart draws (``values[name]``), largest first, so its bars fall
    steadily; hidden rows last in the order of their labels, as ``_finish`` leaves them."""
    return sorted(rows, key=lambda row: (not row.shown, -(row.values.get(name) or 0) if row.shown else 0,
                                         row.label))


def split_exercises(rows: list[Row], catalog: Catalog) -> tuple[list[Row], list[Row]]:
    """The exercise table as two: the practices, and the pauses made for staff only (a micro-pause has no
    "completed" in a practice's sense, so it gets its own table without a completion share or ratings).

    Each part is protected again as a table of its own (``protect``: a row hidden in the whole table stays
    hidden, and a part left with a single hidden row hides one more), on copies, so ``rows`` is unchanged.
    The practices are in the order of their completion share, the pauses in the order of their count."""
    def staff_only(slug: Any) -> bool:
        exercise = catalog.exercises.get(slug)
        return exercise is not None and "staff" in exercise.audience and "patient" not in exercise.audience

    practices = [replace(row, values=dict(row.values)) for row in rows if not staff_only(row.key)]
    pauses = [replace(row, values=dict(row.values)) for row in rows if staff_only(row.key)]
    for part in (practices, pauses):
        protect(part)
        for row in part:
            if not row.shown:
                row.people, row.values = 0, {}
    return by_value(practices, "completion"), by_value(pauses, "completed")


def _who5_by_month(f: Filters, readings: dict[Any, dict[str, list[dict[str, Any]]]], catalog: Catalog) -> list[Row]:
    """WHO-5 over time: per month of the period, how many answered it and the mean of each one's latest score
    that month (0-100), from the readings the dashboard has already read.

    Each month is the view of that month alone, with its own wider views (its quarter and year, each filter
    dropped; ``Lattice``), exactly as when the month is chosen as the period, so the same people give the
    same figure wherever the month is shown. A count is the cell key method's (``Cell.count``); the mean is
    the protected sum over the true number and is shown only for MIN_PEOPLE_FOR_MEANS people or more; a
    month whose wider views differ by one to four answerers is hidden, and the table is protected like
    every other (``_finish``)."""
    if catalog.questionnaires.get(INSTRUMENT) is None:
        return []
    # Who answered in which months of the span's year, grouped by (the filters she meets, her months as bits):
    # every month's wider views are read from these few groups; and per month, the key and latest score of
    # each person in the view's own filters.
    year, full = f.span()[0].year, (1 << len(f.active())) - 1
    groups: Counter[tuple[int, int]] = Counter()
    in_month: dict[date, list[tuple[int, float]]] = defaultdict(list)
    for by_questionnaire in readings.values():
        found = [r for r in by_questionnaire.get(INSTRUMENT, []) if r["score"] is not None]
        if not found:
            continue
        person, scores = _person_of(found[0]), {}
        for r in found:  # in time order: the month's last answer stays
            scores[_as_date(r["day"]).replace(day=1)] = float(r["score"])
        bits = 0
        for month, score in scores.items():
            if month.year == year:
                bits |= 1 << (month.month - 1)
            if person.mask == full and f.first_month <= month < f.end:
                in_month[month].append((person.key, score))
        if bits:
            groups[(person.mask, bits)] += 1
    rows = []
    month = f.first_month
    while month < f.end:
        one = replace(f, first_month=month, last_month=month)
        levels = [month_bits(first, end) for first, end in one.levels()]
        lattice = Lattice(one.active(), len(levels))
        for (mask, bits), n in groups.items():
            if found_in := sum(1 << j for j, level in enumerate(levels) if bits & level):
                lattice.add(mask, found_in, n)
        cell = Cell()
        for key, score in in_month.get(month, ()):
            cell.add(key, {"score": score})
        if cell.people:
            people = cell.count()
            hidden = "small" if people is None else "complement" if lattice.gap() is not None else None
            mean = (min(100.0, max(0.0, cell.magnitude("score") / cell.people))
                    if hidden is None and cell.people >= MIN_PEOPLE_FOR_MEANS else None)
            rows.append(Row(month, month.isoformat()[:7], people if people is not None else cell.people,
                            {"mean": None if mean is None else round(mean, 1)}, hidden))
        month = add_months(month, 1)
    return _finish(rows, by_size=False)
