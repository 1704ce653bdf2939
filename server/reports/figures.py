"""The follow-up's figures for a period and a set of filters, read from the rollups, with every group of
fewer than five people suppressed.

Everything here is a count of people, practices or minutes, or a mean; nothing names or lists a person.

Each filter on a person's attribute (site, unit, group, kind, municipality) is compared with the same
view without it: if one to four people lie between the two — in the whole, in a row, among the WHO-5
pairs, the stress ratings or the satisfaction answers — that part is hidden, so no two views subtract to
a small group. Both sides are counted in the same pass over the rollups (``count(DISTINCT CASE …)``), so
a filtered view costs one scan, not one per filter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from server.content.catalog import Catalog
from server.db.readers import fetch
from server.lib.disclosure import MIN_PEOPLE, Row, protect, too_few
from server.lib.localtime import start_of_day
from server.reports.stats import PairedChange, paired_change
from server.wellbeing.services import INSTRUMENT, SATISFACTION

# Filter name -> the column (in the participant table and in every rollup) it tests.
ATTRIBUTES = {"site": "site", "unit": "unit", "municipality": "municipality_code", "kind": "kind",
              "group": "course_group"}
SUMS = ("started", "completed", "pauses", "seconds", "ratings", "rating_sum", "stress_pairs", "stress_before_sum",
        "stress_after_sum")
EXERCISE_SUMS = ("started", "completed", "seconds", "ratings", "rating_sum")


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Filters:
    first_month: date  # the first day of the first month
    last_month: date  # the first day of the last month (inclusive)
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

    def without(self, attribute: str) -> Filters:
        return replace(self, **{attribute: None})

    def active(self) -> list[str]:
        return [name for name in ATTRIBUTES if getattr(self, name) is not None]

    def matches(self, row: dict[str, Any], skip: str | None = None) -> bool:
        """The same test as ``_Sql.match``, on a row that carries the attribute columns."""
        for name in self.active():
            if name == skip:
                continue
            wanted = getattr(self, name)
            value = row[ATTRIBUTES[name]]
            if (value is not None) if wanted == "none" else (value != wanted):
                return False
        return True


class _Sql:
    """Parameters collected in textual order for Piccolo's ``{}`` placeholders."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return "{}"

    def match(self, f: Filters, alias: str, skip: str | None = None) -> str:
        """SQL true for the rows of people the filters describe (``skip``: all filters but that one)."""
        parts = []
        for name in f.active():
            if name == skip:
                continue
            column = f"{alias}.{ATTRIBUTES[name]}"
            value = getattr(f, name)
            parts.append(f"{column} IS NULL" if value == "none" else f"{column} = {self.arg(value)}")
        return " AND ".join(parts) or "1 = 1"

    def scope(self, f: Filters, alias: str) -> str:
        if f.scope is None:
            return "1 = 1"
        return f"{alias}.site IN ({', '.join(self.arg(s) for s in f.scope) or 'NULL'})"

    def people(self, f: Filters, alias: str, *, condition: str = "", after: Any = None, label: str = "",
               who: str = "") -> list[str]:
        """Distinct people, as the filters describe them (``people<label>``) and without each filter
        (``wide_<filter><label>``). ``condition`` narrows both (with ``after`` as its one parameter, added
        for every column that uses it); ``who`` is the person column."""
        who = who or f"{alias}.participant"

        def extra() -> str:
            if not condition:
                return ""
            return f" AND {condition}" + (f" {self.arg(after)}" if after is not None else "")

        columns = [f"count(DISTINCT CASE WHEN {self.match(f, alias)}{extra()} THEN {who} END) AS people{label}"]
        for name in f.active():
            columns.append(f"count(DISTINCT CASE WHEN {self.match(f, alias, skip=name)}{extra()} THEN {who} END) "
                           f"AS wide_{name}{label}")
        return columns


async def _grouped(f: Filters, table: str, key: str | None, sums: tuple[str, ...],
                   stress: bool = False) -> list[dict[str, Any]]:
    """One pass over a rollup: per ``key`` (or in all), people and sums for the filtered view and
    people for the view without each filter."""
    sql = _Sql()
    columns = [f"u.{key} AS key"] if key else []
    columns += sql.people(f, "u")
    if stress:
        columns += sql.people(f, "u", condition="u.stress_pairs > 0", label="_stress")
    # Each placeholder takes its own argument: the condition is built anew for every column.
    columns += [f"sum(CASE WHEN {sql.match(f, 'u')} THEN u.{name} ELSE 0 END) AS {name}" if f.active() else
                f"sum(u.{name}) AS {name}" for name in sums]
    where = (f"u.month >= {sql.arg(f.first_month)} AND u.month <= {sql.arg(f.last_month)} "
             f"AND {sql.scope(f, 'u')}")
    query = (f"SELECT {', '.join(columns)} FROM {table} u WHERE {where}"  # noqa: S608 — names are constants
             + (f" GROUP BY u.{key}" if key else ""))
    return await fetch(query, *sql.args)


def _values(row: dict[str, Any]) -> dict[str, float | int | None]:
    ratings = row.get("ratings") or 0
    started = row.get("started") or 0
    return {"started": started, "completed": row.get("completed") or 0, "pauses": row.get("pauses") or 0,
            "minutes": round((row.get("seconds") or 0) / 60), "ratings": ratings,
            "rating": round(row["rating_sum"] / ratings, 1) if ratings else None,
            "completion": round(100 * (row.get("completed") or 0) / started) if started else None}


def _small_gap(f: Filters, row: dict[str, Any], suffix: str = "") -> bool:
    """One to four people between this view and the same view without one of its filters."""
    return any(too_few((row.get(f"wide_{name}{suffix}") or 0) - (row.get(f"people{suffix}") or 0))
               for name in f.active())


def _rows(f: Filters, rows: list[dict[str, Any]], label: Callable[[Any], str]) -> list[Row]:
    """Rows of people in the filtered view (nobody: no row), marked where a filter's gap is small."""
    out = []
    for r in rows:
        if not r["people"]:
            continue
        row = Row(r["key"], label(r["key"]), r["people"], _values(r))
        if _small_gap(f, r):
            row.hidden = "complement"
        out.append(row)
    return out


@dataclass(slots=True)
class Dashboard:
    filters: Filters
    period_end: date  # the last day counted (today, if the period runs on)
    shown: bool  # False: the people in these filters (or those left out by them) are fewer than five
    withheld_by: str | None = None  # the filter whose complement is small
    totals: dict[str, Any] = field(default_factory=dict)
    months: list[Row] = field(default_factory=list)
    exercises: list[Row] = field(default_factory=list)
    municipalities: list[Row] = field(default_factory=list)
    sites: list[Row] = field(default_factory=list)
    who5: PairedChange | None = None
    who5_people: int = 0  # people with a baseline and a later reading in the period
    stress: dict[str, Any] = field(default_factory=dict)
    satisfaction: list[Row] = field(default_factory=list)
    min_people: int = MIN_PEOPLE


async def build(f: Filters, catalog: Catalog, *, today: date, labels: dict[str, dict[Any, str]],
                language: str) -> Dashboard:
    """``labels``: names for keys (site ids, municipality codes) so rows can be sorted and shown."""
    period_end = min(today, f.end - timedelta(days=1))
    board = Dashboard(filters=f, period_end=period_end, shown=True)
    total = (await _grouped(f, "usage_month", None, SUMS, stress=True))[0]
    if total["people"] < MIN_PEOPLE:  # nobody, or too few to show
        board.shown = False
        return board
    for name in f.active():  # "everyone" minus "these": a group of its own
        if too_few((total[f"wide_{name}"] or 0) - total["people"]):
            board.shown, board.withheld_by = False, name
            return board
    # The remaining queries are independent: run together, on SQLite each on its own connection (readers do
    # not block each other in WAL mode), on PostgreSQL each from the pool.
    enrolment, months, exercises, municipalities, sites, _ = await asyncio.gather(
        _enrolment(f, period_end), _grouped(f, "usage_month", "month", SUMS),
        _grouped(f, "usage_exercise", "exercise", EXERCISE_SUMS),
        _grouped(f, "usage_month", "municipality_code", SUMS), _grouped(f, "usage_month", "site", SUMS),
        _questionnaires(board, f, catalog, language))
    joined, active7, active30 = enrolment
    board.totals = {"people": total["people"], **_values(total), "enrolled": joined, "active7": active7,
                    "active30": active30}
    board.stress = _stress(total, withheld=_small_gap(f, total, "_stress"))
    board.months = protect(sorted(_rows(f, months, lambda key: _as_date(key).isoformat()[:7]),
                                  key=lambda row: _as_date(row.key)))
    for row in board.months:
        row.key = _as_date(row.key)
    board.exercises = protect(sorted(_rows(f, exercises, lambda key: _title(catalog, key, language)),
                                     key=lambda row: (-row.people, row.label)))
    for attribute, rows, names in (("municipalities", municipalities, labels["municipality"]),
                                   ("sites", sites, labels["site"])):
        found = _rows(f, rows, lambda k, names=names: names.get(k, str(k)) if k is not None else "")
        setattr(board, attribute, protect(sorted(found, key=lambda row: (-row.people, row.label))))
    return board


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _title(catalog: Catalog, slug: str, language: str) -> str:
    exercise = catalog.exercises.get(slug)
    return exercise.title.get(language) or exercise.title["da"] if exercise else slug


async def _enrolment(f: Filters, period_end: date) -> tuple[int | None, int | None, int | None]:
    """Joined in the period; active in the 7 and 30 days up to its end. None where a group is small."""
    sql = _Sql()
    counts = [f"count(CASE WHEN {sql.match(f, 'p')} THEN 1 END) AS people"]
    counts += [f"count(CASE WHEN {sql.match(f, 'p', skip=name)} THEN 1 END) AS wide_{name}" for name in f.active()]
    joined = (await fetch(
        f"SELECT {', '.join(counts)} FROM participant p "  # noqa: S608 — built from constants
        f"WHERE p.created_at >= {sql.arg(start_of_day(f.first_month))} "
        f"AND p.created_at < {sql.arg(start_of_day(f.end))} "
        f"AND (p.withdrawal IS NULL OR p.withdrawal <> 'delete') AND {sql.scope(f, 'p')}", *sql.args))[0]
    sql = _Sql()
    since7, since30 = period_end - timedelta(days=7), period_end - timedelta(days=30)
    columns = sql.people(f, "a", condition="a.day >", after=since7, label="_7") + sql.people(f, "a")
    active = (await fetch(
        f"SELECT {', '.join(columns)} FROM active_day a "  # noqa: S608 — built from constants
        f"WHERE a.day > {sql.arg(since30)} AND a.day <= {sql.arg(period_end)} AND {sql.scope(f, 'a')}",
        *sql.args))[0]

    def safe(row: dict[str, Any], suffix: str = "") -> int | None:
        n = row[f"people{suffix}"] or 0
        return None if too_few(n) or _small_gap(f, row, suffix) else n

    return safe(joined), safe(active, "_7"), safe(active)


def _stress(total: dict[str, Any], *, withheld: bool) -> dict[str, Any]:
    """Staff stress (0-10) before and after pauses she rated both times; means over pauses."""
    people, pairs = total.get("people_stress") or 0, total.get("stress_pairs") or 0
    if people < MIN_PEOPLE or withheld or not pairs:
        return {"people": people, "shown": False}
    before, after = total["stress_before_sum"] / pairs, total["stress_after_sum"] / pairs
    return {"people": people, "shown": True, "pauses": pairs, "before": round(before, 1),
            "after": round(after, 1), "change": round(after - before, 1)}


async def _questionnaires(board: Dashboard, f: Filters, catalog: Catalog, language: str) -> None:
    """WHO-5 pairs (first check-in ever, latest in the period) and each person's latest satisfaction
    answers, counted in the filtered view and in the view without each filter."""
    sql = _Sql()
    # Per person and questionnaire: how many readings up to the end of the period, her first ever and her
    # latest (kept only when it falls in the period); each found through the covering index.
    rows = await fetch(
        "SELECT g.participant, g.questionnaire, g.n, f.score AS first_score, l.score AS last_score, "  # noqa: S608
        "l.answers AS last_answers, l.kind, l.site, l.unit, l.course_group, l.municipality_code FROM ("
        "SELECT u.participant, u.questionnaire, count(*) AS n, min(u.at) AS first_at, max(u.at) AS last_at "
        f"FROM questionnaire_reading u WHERE u.day < {sql.arg(f.end)} AND {sql.scope(f, 'u')} "
        "GROUP BY u.participant, u.questionnaire) g "
        "JOIN questionnaire_reading f ON f.participant = g.participant AND f.questionnaire = g.questionnaire "
        "AND f.at = g.first_at JOIN questionnaire_reading l ON l.participant = g.participant "
        f"AND l.questionnaire = g.questionnaire AND l.at = g.last_at WHERE l.day >= {sql.arg(f.first_month)}",
        *sql.args)
    # Two readings with the very same time would join twice: one row per person and questionnaire.
    rows = list({(r["participant"], r["questionnaire"]): r for r in rows}.values())
    groups = [None, *f.active()]
    pairs: dict[str | None, list[tuple[int, int]]] = {g: [] for g in groups}
    answers: dict[str | None, list[list[int]]] = {g: [] for g in groups}
    for row in rows:
        for g in groups:
            if not f.matches(row, skip=g):
                continue
            if row["questionnaire"] == INSTRUMENT and row["n"] >= 2 and row["last_score"] is not None:
                pairs[g].append((row["first_score"], row["last_score"]))
            elif row["questionnaire"] == SATISFACTION and row["last_answers"]:
                answers[g].append(json.loads(row["last_answers"]))
    gap = {name: any(too_few(len(found[name]) - len(found[None])) for name in f.active())
           for name, found in (("who5", pairs), ("satisfaction", answers))}
    board.who5_people = len(pairs[None])
    instrument = catalog.questionnaires.get(INSTRUMENT)
    if instrument and len(pairs[None]) >= MIN_PEOPLE and not gap["who5"]:
        board.who5 = paired_change(pairs[None], instrument.scoring.meaningful_change or 10)
    board.satisfaction = _satisfaction(answers[None], catalog, language, withheld=gap["satisfaction"])


def _satisfaction(latest: list[list[int]], catalog: Catalog, language: str, *, withheld: bool) -> list[Row]:
    """Per statement: the share agreeing (the top two answers). Each statement is answered by the same
    people, so all are shown or all are hidden."""
    instrument = catalog.questionnaires.get(SATISFACTION)
    if instrument is None:
        return []
    agree = sorted(o.score for o in instrument.options)[-2:]
    hidden = "small" if len(latest) < MIN_PEOPLE or withheld else None
    rows = []
    for i, item in enumerate(instrument.items):
        answered = [a[i] for a in latest if len(a) > i]
        share = round(100 * sum(a in agree for a in answered) / len(answered)) if answered else None
        rows.append(Row(i, item.get(language) or item["da"], len(answered), {"agree": share}, hidden))
    return rows
