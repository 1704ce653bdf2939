"""The follow-up's figures for a period and a set of filters, read from the rollups (and, for the few
questionnaire answers, from the event log), with every group of fewer than five people suppressed.

Everything here is a count of people, practices or minutes, or a mean; nothing names or lists a person.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from server.content.catalog import Catalog
from server.engagement.tables import Event
from server.lib.localtime import start_of_day
from server.lib.privacy import MIN_PEOPLE
from server.reports.stats import PairedChange, paired_change
from server.reports.suppression import Row, protect, too_few
from server.wellbeing.services import INSTRUMENT, SATISFACTION

ATTRIBUTES = ("site", "unit", "municipality", "kind", "group")  # filters on who a person is


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


class _Sql:
    """Parameters collected in order for Piccolo's ``{}`` placeholders."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return "{}"

    def people(self, f: Filters) -> str:
        """The WHERE fragment (alias p) for the people a filter describes."""
        parts = ["(p.withdrawal IS NULL OR p.withdrawal <> 'delete')"]
        if f.scope is not None:
            parts.append(f"p.site IN ({', '.join(self.arg(s) for s in f.scope) or 'NULL'})")
        if f.site is not None:
            parts.append(f"p.site = {self.arg(f.site)}")
        if f.unit is not None:
            parts.append(f"p.unit = {self.arg(f.unit)}")
        if f.group is not None:
            parts.append(f"p.course_group = {self.arg(f.group)}")
        if f.kind is not None:
            parts.append(f"p.kind = {self.arg(f.kind)}")
        if f.municipality == "none":
            parts.append("p.municipality_code IS NULL")
        elif f.municipality is not None:
            parts.append(f"p.municipality_code = {self.arg(f.municipality)}")
        return " AND ".join(parts)


_SUMS = ("sum(u.started) AS started, sum(u.completed) AS completed, sum(u.pauses) AS pauses, "
         "sum(u.seconds) AS seconds, sum(u.ratings) AS ratings, sum(u.rating_sum) AS rating_sum")


async def _usage(f: Filters, group_by: str | None, extra: str = "") -> list[dict[str, Any]]:
    sql = _Sql()
    key = f"{group_by} AS key, " if group_by else ""
    query = (f"SELECT {key}count(DISTINCT u.participant) AS people, {_SUMS}{extra} "  # noqa: S608 — constants
             "FROM usage_month u JOIN participant p ON p.id = u.participant "
             f"WHERE u.month >= {sql.arg(f.first_month)} AND u.month <= {sql.arg(f.last_month)} AND {sql.people(f)}"
             + (f" GROUP BY {group_by}" if group_by else ""))
    return await Event.raw(query, *sql.args)


def _values(row: dict[str, Any]) -> dict[str, float | int | None]:
    ratings = row.get("ratings") or 0
    started = row.get("started") or 0
    return {"started": started, "completed": row.get("completed") or 0, "pauses": row.get("pauses") or 0,
            "minutes": round((row.get("seconds") or 0) / 60), "ratings": ratings,
            "rating": round(row["rating_sum"] / ratings, 1) if ratings else None,
            "completion": round(100 * (row.get("completed") or 0) / started) if started else None}


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


@dataclass(slots=True)
class _Measured:
    """Everything counted for one set of filters, before anything is hidden."""

    total: dict[str, Any]
    enrolment: tuple[int, int, int]  # joined in the period, active in 7 and in 30 days
    tables: dict[str, list[Row]]
    who5_pairs: list[tuple[int, int]]
    satisfaction: list[list[int]]  # each person's latest answers


TABLES = ("months", "exercises", "municipalities", "sites")
_TOTAL_EXTRA = (", count(DISTINCT CASE WHEN u.stress_pairs > 0 THEN u.participant END) AS stress_people, "
                "sum(u.stress_pairs) AS stress_pairs, sum(u.stress_before_sum) AS stress_before, "
                "sum(u.stress_after_sum) AS stress_after")


async def _measure(f: Filters, catalog: Catalog, period_end: date, labels: dict[str, dict[Any, str]],
                   language: str, *, total_only: bool = False) -> _Measured:
    total = (await _usage(f, None, _TOTAL_EXTRA))[0]
    total["people"] = total["people"] or 0
    if total_only:
        return _Measured(total, (0, 0, 0), {}, [], [])
    months = [Row(_as_date(r["key"]), _as_date(r["key"]).isoformat()[:7], r["people"], _values(r))
              for r in sorted(await _usage(f, "u.month"), key=lambda r: str(r["key"]))]
    exercises = sorted((Row(r["key"], _title(catalog, r["key"], language), r["people"], _values(r))
                        for r in await _usage(f, "u.exercise") if r["key"]), key=lambda row: (-row.people, row.label))
    tables = {"months": months, "exercises": exercises,
              "municipalities": _by(await _usage(f, "p.municipality_code"), labels["municipality"]),
              "sites": _by(await _usage(f, "p.site"), labels["site"])}
    return _Measured(total, await _enrolment(f, period_end), tables, await _who5_pairs(f, catalog),
                     await _satisfaction_answers(f, catalog))


def _hide_differences(narrow: list[Row], wide: list[Row]) -> None:
    """A row whose people differ from the same row without the filter by one to four: the two views
    together would describe that small group, so the filtered row is hidden."""
    people = {row.key: row.people for row in wide}
    for row in narrow:
        if too_few(people.get(row.key, 0) - row.people):
            row.hidden = "complement"


async def build(f: Filters, catalog: Catalog, *, today: date, labels: dict[str, dict[Any, str]],
                language: str) -> Dashboard:
    """``labels``: names for keys (site ids, municipality codes) so rows can be sorted and shown.

    Each filter on a person's attribute is compared with the same view without it: a group of one to
    four people between the two (in the whole, in a row, among the WHO-5 pairs, the stress ratings or the
    satisfaction answers) hides that part, so no two views subtract to a small group.
    """
    period_end = min(today, f.end - timedelta(days=1))
    board = Dashboard(filters=f, period_end=period_end, shown=True)
    quick = await _measure(f, catalog, period_end, labels, language, total_only=True)
    if too_few(quick.total["people"]):
        board.shown = False
        return board
    wider = {}
    for attribute in f.active():  # "everyone" minus "these": a group of its own
        wide = await _measure(f.without(attribute), catalog, period_end, labels, language, total_only=True)
        if too_few(wide.total["people"] - quick.total["people"]):
            board.shown, board.withheld_by = False, attribute
            return board
        wider[attribute] = await _measure(f.without(attribute), catalog, period_end, labels, language)
    m = await _measure(f, catalog, period_end, labels, language)
    enrolment = list(m.enrolment)
    stress_small = satisfaction_small = who5_small = False
    for wide in wider.values():
        for name in TABLES:
            _hide_differences(m.tables[name], wide.tables[name])
        enrolment = [None if n is None or too_few(w - n) else n for n, w in zip(enrolment, wide.enrolment, strict=True)]
        stress_small |= too_few((wide.total["stress_people"] or 0) - (m.total["stress_people"] or 0))
        who5_small |= too_few(len(wide.who5_pairs) - len(m.who5_pairs))
        satisfaction_small |= too_few(len(wide.satisfaction) - len(m.satisfaction))
    joined, active7, active30 = (None if n is None or too_few(n) else n for n in enrolment)
    board.totals = {"people": m.total["people"], **_values(m.total), "enrolled": joined,
                    "active7": active7, "active30": active30}
    for name in TABLES:
        setattr(board, name, protect(m.tables[name]))
    board.stress = _stress(m.total, withheld=stress_small)
    board.who5_people = len(m.who5_pairs)
    instrument = catalog.questionnaires.get(INSTRUMENT)
    if instrument and len(m.who5_pairs) >= MIN_PEOPLE and not who5_small:
        board.who5 = paired_change(m.who5_pairs, instrument["scoring"].get("meaningful_change") or 10)
    board.satisfaction = _satisfaction(m.satisfaction, catalog, language, withheld=satisfaction_small)
    return board


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _title(catalog: Catalog, slug: str, language: str) -> str:
    exercise = catalog.exercises.get(slug)
    return exercise["title"].get(language) or exercise["title"]["da"] if exercise else slug


def _by(rows: list[dict[str, Any]], names: dict[Any, str]) -> list[Row]:
    """Rows by an attribute, largest first; people who did not say are one row of their own."""
    out = [Row(r["key"], names.get(r["key"], str(r["key"])) if r["key"] is not None else "", r["people"],
               _values(r)) for r in rows]
    return sorted(out, key=lambda row: (-row.people, row.label))


async def _enrolment(f: Filters, period_end: date) -> tuple[int, int, int]:
    """Joined in the period; active in the 7 and 30 days up to its end."""
    sql = _Sql()
    joined = await Event.raw(
        f"SELECT count(*) AS n FROM participant p WHERE p.created_at >= {sql.arg(start_of_day(f.first_month))} "  # noqa: S608
        f"AND p.created_at < {sql.arg(start_of_day(f.end))} AND {sql.people(f)}", *sql.args)
    sql = _Sql()
    since7, since30 = period_end - timedelta(days=7), period_end - timedelta(days=30)
    active = await Event.raw(
        f"SELECT count(DISTINCT CASE WHEN a.day > {sql.arg(since7)} THEN a.participant END) AS d7, "  # noqa: S608
        "count(DISTINCT a.participant) AS d30 FROM active_day a JOIN participant p ON p.id = a.participant "
        f"WHERE a.day > {sql.arg(since30)} AND a.day <= {sql.arg(period_end)} AND {sql.people(f)}", *sql.args)
    return joined[0]["n"], active[0]["d7"], active[0]["d30"]


def _stress(total: dict[str, Any], *, withheld: bool) -> dict[str, Any]:
    """Staff stress (0-10) before and after pauses she rated both times; means over pauses."""
    people, pairs = total.get("stress_people") or 0, total.get("stress_pairs") or 0
    if people < MIN_PEOPLE or withheld:
        return {"people": people, "shown": False}
    before, after = total["stress_before"] / pairs, total["stress_after"] / pairs
    return {"people": people, "shown": True, "pauses": pairs, "before": round(before, 1),
            "after": round(after, 1), "change": round(after - before, 1)}


async def _answers(f: Filters, catalog: Catalog, slug: str, *, until: date) -> dict[uuid.UUID, list[dict]]:
    """Questionnaire answers of the filtered people up to ``until``, oldest first, per person."""
    versions = catalog.versions_of_questionnaire(slug)
    if not versions:
        return {}
    sql = _Sql()
    rows = await Event.raw(
        "SELECT e.participant AS who, e.value AS value, e.answers AS answers, e.day AS day "  # noqa: S608
        "FROM event e JOIN participant p ON p.id = e.participant "
        f"WHERE e.type = 'questionnaire_answered' AND e.content_version IN ({', '.join(sql.arg(v) for v in versions)}) "
        f"AND e.day < {sql.arg(until)} AND {sql.people(f)} ORDER BY e.occurred_at", *sql.args)
    out: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for row in rows:
        out[row["who"]].append({**row, "day": _as_date(row["day"])})
    return out


async def _who5_pairs(f: Filters, catalog: Catalog) -> list[tuple[int, int]]:
    """Baseline is her first WHO-5 ever; latest her last one in the period (if later than the baseline)."""
    pairs = []
    for readings in (await _answers(f, catalog, INSTRUMENT, until=f.end)).values():
        latest = readings[-1]
        if len(readings) >= 2 and latest["day"] >= f.first_month and latest["value"] is not None:
            pairs.append((readings[0]["value"], latest["value"]))
    return pairs


async def _satisfaction_answers(f: Filters, catalog: Catalog) -> list[list[int]]:
    """Each person's latest app-satisfaction answers in the period."""
    latest = []
    for readings in (await _answers(f, catalog, SATISFACTION, until=f.end)).values():
        if readings[-1]["day"] >= f.first_month and readings[-1]["answers"]:
            latest.append([int(a) for a in readings[-1]["answers"].split(",")])
    return latest


def _satisfaction(latest: list[list[int]], catalog: Catalog, language: str, *, withheld: bool) -> list[Row]:
    """Per statement: the share agreeing (the top two answers). Each statement is answered by the same
    people, so all are shown or all are hidden."""
    instrument = catalog.questionnaires.get(SATISFACTION)
    if instrument is None:
        return []
    agree = sorted(o["score"] for o in instrument["options"])[-2:]
    hidden = "small" if len(latest) < MIN_PEOPLE or withheld else None
    rows = []
    for i, item in enumerate(instrument["items"]):
        answered = [a[i] for a in latest if len(a) > i]
        share = round(100 * sum(a in agree for a in answered) / len(answered)) if answered else None
        rows.append(Row(i, item.get(language) or item["da"], len(answered), {"agree": share}, hidden))
    return rows
