"""The dashboard and the annual report under /workspace/reports, for researchers and coordinators.

Both read the same figures (``figures.build``) through the same filters; the rollups are brought up to
date first, so what is shown includes what arrived a moment ago.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.dates import format_date
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.response import Redirect, Template

from server import db
from server.accounts.guards import SESSION, Forbidden, requires_role
from server.accounts.services import audit
from server.content.catalog import get_catalog
from server.lib import charts, errors, localtime
from server.lib.disclosure import Row
from server.lib.forms import FormOf, form_of
from server.lib.i18n import N_, _, current_language
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.municipalities import municipalities
from server.participants.tables import CourseGroup, Site, Unit
from server.reports import figures, rollups
from server.reports.access import READER, READERS, Reader, ReaderOf
from server.reports.figures import Filters, add_months
from server.reports.schemas import NOTE_LIMIT, NotesForm
from server.reports.tables import AnnualNote
from server.settings import get_settings

FRESH_SECONDS = 10.0  # how old the figures on an opened dashboard may be when rollups refresh in the background
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
SECTIONS = {
    "summary": N_("In brief"),
    "activity": N_("About the activity"),
    "quality": N_("About how it was experienced"),
    "wellbeing": N_("About wellbeing"),
    "ahead": N_("The year ahead"),
}
FILTER_NAMES = {"site": N_("site"), "unit": N_("unit"), "municipality": N_("municipality"),
                "kind": N_("role (patient, staff or partner)"), "group": N_("course group"), "period": N_("period")}


class BadFilter(errors.Refused):
    """A filter that names nothing she may see, or a period that is not one."""


async def _options(scope: tuple[int, ...] | None) -> dict[str, Any]:
    """What the filter menus offer: only the sites in her scope, and their units and groups."""
    site_q = Site.select(Site.id, Site.slug, Site.name).order_by(Site.name)
    unit_q = Unit.select(Unit.id, Unit.slug, Unit.name, Unit.site, Unit.site.name).order_by(Unit.name)
    group_q = CourseGroup.select(CourseGroup.id, CourseGroup.slug, CourseGroup.name, CourseGroup.site).order_by(
        CourseGroup.starts_on)
    if scope is not None:
        site_q = site_q.where(Site.id.is_in(list(scope) or [0]))
        unit_q = unit_q.where(Unit.site.is_in(list(scope) or [0]))
        group_q = group_q.where(CourseGroup.site.is_in(list(scope) or [0]))
    return {"sites": await site_q, "units": await unit_q, "groups": await group_q, "municipalities": municipalities()}


PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{2})))?$")


def _period(raw: str, today: date) -> tuple[date, date]:
    """A calendar year ("2026"), quarter ("2026-Q2") or month ("2026-05"); by default this year so far.

    Only whole calendar periods: a period that could start and end anywhere would let two periods differ by
    a single person's month (the follow-up's protection, README).
    """
    match = PERIOD.match(raw or str(today.year))
    year = int(match[1]) if match else 0
    if not match or not 2000 <= year <= today.year or (match[3] and not 1 <= int(match[3]) <= 12):
        raise BadFilter(_("Please choose a year, a quarter or a month, for example 2026, 2026-Q2 or 2026-05."))
    if match[2]:
        first = date(year, 3 * int(match[2]) - 2, 1)
        return first, add_months(first, 2)
    if match[3]:
        first = date(year, int(match[3]), 1)
        return first, first
    return date(year, 1, 1), date(year, 12, 1)


def period_choices(today: date) -> list[tuple[str, str]]:
    """What the period menu offers, newest first: this year and the two before, their quarters and months."""
    out = []
    for year in range(today.year, today.year - 3, -1):
        out.append((str(year), str(year)))
        for q in range(4, 0, -1):
            if date(year, 3 * q - 2, 1) <= today:
                out.append((f"{year}-Q{q}", _("Quarter %(q)s %(year)s", q=q, year=year)))
        for m in range(12, 0, -1):
            if date(year, m, 1) <= today:
                out.append((f"{year}-{m:02d}", format_date(date(year, m, 1), "MMMM y", locale=current_language.get())))
    return out


def _pick(options: list[dict[str, Any]], slug: str, message: str) -> int | None:
    if not slug:
        return None
    for option in options:
        if option["slug"] == slug:
            return option["id"]
    raise BadFilter(message)


def parse_filters(params: Any, who: Reader, options: dict[str, Any], today: date) -> Filters:
    first, last = _period(params.get("period", ""), today)
    kind = params.get("kind", "")
    if kind not in ("", "patient", "staff", "partner"):
        raise BadFilter(_("Choose patients, staff, partners or everyone."))
    municipality = params.get("municipality", "")
    if municipality and municipality != "none" and municipality not in options["municipalities"]:
        raise BadFilter(_("That municipality is not on the list."))
    unit = _pick(options["units"], params.get("unit", ""), _("That unit is not one you can see."))
    group = _pick(options["groups"], params.get("group", ""), _("That course group is not one you can see."))
    site = _pick(options["sites"], params.get("site", ""), _("That site is not one you can see."))
    # A unit or a course group belongs to one site: the view is that site's, narrowed, so it is compared with
    # the whole site (and the site with every site) like any other filter.
    for chosen, key in ((unit, "units"), (group, "groups")):
        owner = next((o["site"] for o in options[key] if o["id"] == chosen), None)
        if owner is not None:
            if site is not None and site != owner:
                raise BadFilter(_("That unit or course group belongs to another site than the one chosen."))
            site = owner
    # …and a unit's people are staff, a course group's patients (or, chosen as such, its partners): the view is
    # compared with the site's staff (or patients, or partners) too, which a unit or a group could otherwise be
    # subtracted from. Partners are their own group, never counted in with the patients.
    for chosen, roles in ((unit, ("staff",)), (group, ("patient", "partner"))):
        if chosen is not None:
            if kind not in ("", *roles):
                raise BadFilter(_("A unit has only staff, and a course group only patients and partners."))
            kind = kind or roles[0]
    return Filters(first_month=first, last_month=last, scope=who.scope, site=site, unit=unit, group=group,
                   municipality=municipality or None, kind=kind or None)


def _labels(options: dict[str, Any]) -> dict[str, dict[Any, str]]:
    return {"site": {s["id"]: s["name"] for s in options["sites"]},
            "municipality": {code: m.name for code, m in options["municipalities"].items()}}


def describe(f: Filters, options: dict[str, Any]) -> list[str]:
    """The filters in words, for the page and for print: what a selected option alone does not say."""
    names = {key: {o["id"]: o["name"] for o in options[key]} for key in ("sites", "units", "groups")}
    out = []
    if f.kind:
        out.append({"patient": _("Patients"), "staff": _("Staff"), "partner": _("Partners")}[f.kind])
    if f.site is not None:
        out.append(_("Site: %(name)s", name=names["sites"].get(f.site, "")))
    if f.unit is not None:
        out.append(_("Unit: %(name)s", name=names["units"].get(f.unit, "")))
    if f.group is not None:
        out.append(_("Course group: %(name)s", name=names["groups"].get(f.group, "")))
    if f.municipality == "none":
        out.append(_("Municipality of residence not stated"))
    elif f.municipality:
        out.append(_("Lives in %(name)s", name=options["municipalities"][f.municipality].name))
    return out


def _month_label(row_key: date, language: str) -> str:
    return format_date(row_key, "MMM y", locale=language)


async def _board(f: Filters, options: dict[str, Any], today: date, *,
                 drawn_rows: int = 8) -> tuple[figures.Dashboard, dict[str, Any]]:
    """``drawn_rows``: the bars a chart draws (the dashboard: as many as its table shows before "Show all")."""
    # Where rollups are refreshed in the background, figures up to FRESH_SECONDS old are good enough;
    # without (ROLLUP_REFRESH_SECONDS=0), opening a dashboard always brings them up to date.
    fresh = min(FRESH_SECONDS, get_settings().rollup_refresh_seconds)
    await rollups.refresh(fresh_for=timedelta(seconds=fresh))
    language = current_language.get()
    board = await figures.build(f, get_catalog(), today=today, labels=_labels(options), language=language)
    for row in (*board.months, *board.who5_months):
        row.label = _month_label(row.key, language)
    for row in board.municipalities:
        row.label = row.label or _("Not stated")
    # Each table in the order of the value its chart draws, so the bars fall steadily and read like the table.
    board.municipalities = figures.by_value(board.municipalities, "started")
    board.sites = figures.by_value(board.sites, "started")
    drawn = {
        "months": charts.bars(board.months, "started", limit=60),
        "who5_months": charts.bars(board.who5_months, "mean", limit=60),
        "municipalities": charts.bars(board.municipalities, "started", limit=drawn_rows),
        "sites": charts.bars(board.sites, "started", limit=drawn_rows),
        "exercises": charts.bars(board.practices, "completion", limit=drawn_rows),
        "pauses": charts.bars(board.staff_pauses, "completed", limit=drawn_rows),
        # The "All" row of the tables by municipality and by site: the view's own (protected) totals.
        "all": Row(None, _("All"), board.totals.get("people") or 0, dict(board.totals)),
    }
    return board, drawn


class ReportsController(Controller):
    path = "/workspace/reports"
    cache_control = CacheControlHeader(no_store=True)
    guards = [READERS]
    dependencies = {"session": SESSION, "who": READER}

    @get("/", name="reports:dashboard")
    async def dashboard(self, request: Request, who: ReaderOf) -> Template:
        options = await _options(who.scope)
        today = localtime.today()
        context: dict[str, Any] = {"account": who.account, "options": options, "chosen": request.query_params,
                                   "no_sites": who.scope == (), "filter_names": FILTER_NAMES,
                                   "period_choices": period_choices(today)}
        try:
            f = parse_filters(request.query_params, who, options, today)
        except BadFilter as problem:
            return page(request, "reports/dashboard.html", status_code=400, error=str(problem), board=None,
                        period=None, period_label="", **context)
        # A unit or a course group brings its site and role: the form shows them, as the view uses them.
        site = next((s["slug"] for s in options["sites"] if s["id"] == f.site), None)
        context["chosen"] = {**request.query_params, **({"site": site} if site else {}),
                             **({"kind": f.kind} if f.kind else {})}
        board, drawn = await _board(f, options, today)
        period_label = dict(context["period_choices"]).get(request.query_params.get("period") or str(today.year), "")
        return page(request, "reports/dashboard.html", board=board, charts=drawn, error=None,
                    period=(f.first_month, f.last_month), described=describe(f, options), period_label=period_label,
                    toc=True, annual=False, **context)

    async def _annual(self, request: Request, who: Reader, *, status_code: int = 200, error: str | None = None,
                      saved: bool = False, notes_error: str | None = None,
                      typed: dict[str, str] | None = None) -> Template:
        """The report; ``typed`` and ``notes_error``: her notes as she sent them, and why they were not saved."""
        options = await _options(who.scope)
        today = localtime.today()
        params = request.query_params
        chosen_sites = [s for s in options["sites"] if s["slug"] in params.getall("site", [])]
        context: dict[str, Any] = {"account": who.account, "options": options, "chosen_sites": chosen_sites,
                                   "no_sites": who.scope == (), "sections": SECTIONS, "saved": saved,
                                   "can_write": who.account.can("coordinator") and who.scope != (),
                                   "note_limit": NOTE_LIMIT, "typed": typed, "notes_error": notes_error}
        try:
            year = int(params.get("year") or today.year)
            if not 2000 <= year <= today.year:
                raise ValueError
        except ValueError:
            return page(request, "reports/annual.html", status_code=400, board=None, year=today.year,
                        error=_("Please choose a year up to this one."), notes={}, **context)
        wanted = [slug for slug in params.getall("site", []) if slug]
        if len(chosen_sites) != len(wanted):
            return page(request, "reports/annual.html", status_code=400, board=None, year=year,
                        error=_("That site is not one you can see."), notes={}, **context)
        if len(chosen_sites) > 1:  # "these sites" minus "those" would single out a site's few people
            return page(request, "reports/annual.html", status_code=400, board=None, year=year,
                        error=_("Choose one site, or all you can see."), notes={}, **context)
        f = Filters(first_month=date(year, 1, 1), last_month=date(year, 12, 1), scope=who.scope,
                    site=chosen_sites[0]["id"] if chosen_sites else None)
        board, drawn = await _board(f, options, today, drawn_rows=15)
        return page(request, "reports/annual.html", status_code=status_code, board=board, charts=drawn, year=year,
                    toc=False, annual=True,
                    made=today, error=error, notes=await _notes(year, _scope_key(who, chosen_sites, options)),
                    **context)

    @get("/annual", name="reports:annual")
    async def annual(self, request: Request, who: ReaderOf) -> Template:
        return await self._annual(request, who, saved=bool(request.query_params.get("saved")))

    @post("/annual", name="reports:annual_notes", status_code=303, guards=[requires_role("coordinator")],
          dependencies={"form": form_of(NotesForm)})
    async def save_notes(self, request: Request, who: ReaderOf, form: FormOf[NotesForm]) -> Template | Redirect:
        params = request.query_params
        options = await _options(who.scope)
        chosen = [s for s in options["sites"] if s["slug"] in params.getall("site", [])]
        try:
            year = int(params.get("year") or "")
        except ValueError:
            year = 0
        wanted = [slug for slug in params.getall("site", []) if slug]
        if not 2000 <= year <= localtime.today().year or len(chosen) != len(wanted):
            return await self._annual(request, who, status_code=400, typed=form.raw,
                                      error=_("The notes could not be saved: choose a year and your sites again."))
        if form.value is None:  # her words come back in the form with what to change; nothing is saved
            return await self._annual(request, who, status_code=400, notes_error=form.message, typed=form.raw)
        scope = _scope_key(who, chosen, options)
        if scope is None:
            raise Forbidden
        # Only the sections the form sent: a form with one note leaves the others as they are.
        sent = await request.form()
        bodies = {key: getattr(form.value, key) for key in SECTIONS if key in sent}
        await _save_notes(year, scope, bodies, who.account.id)
        await audit(who.account.id, "report.notes_saved", target=f"{year}:{scope}", sections=sorted(bodies))
        query = "&".join([f"year={year}", *[f"site={s['slug']}" for s in chosen], "saved=1"])
        return redirect_to(request, "reports:annual", query=f"?{query}", fragment="#notes")


ALL_SITES = "all"  # the key of the notes about every site: the admins' (researchers read them)


def _scope_key(who: Reader, chosen: list[dict[str, Any]], options: dict[str, Any]) -> str | None:
    """The key of the notes about exactly the sites a report covers: their ids, sorted and comma-separated
    (ids, not names or slugs, which change or can be chosen), or "all" for every site.

    The sites are what she ticked, or else all she can see: a coordinator's are her own sites, never
    "all". None (nothing to read or write) for a coordinator with no sites, or, failing closed, for one
    whose sites do not include every site of the key."""
    if who.scope == ():
        return None
    sites = chosen or (options["sites"] if who.scope is not None else [])
    ids = sorted({s["id"] for s in sites})
    if who.scope is not None and (not ids or not set(ids) <= set(who.scope)):
        return None
    return ",".join(map(str, ids)) or ALL_SITES


async def _notes(year: int, scope: str | None) -> dict[str, str]:
    if scope is None:
        return {}
    rows = await AnnualNote.select(AnnualNote.section, AnnualNote.body).where(
        (AnnualNote.year == year) & (AnnualNote.scope == scope))
    return {r["section"]: r["body"] for r in rows}


async def _save_notes(year: int, scope: str, bodies: dict[str, str], account_id: int) -> None:
    """Each section in ``bodies`` replaced (an empty one removed); every other section stays as it is."""
    now = datetime.now(UTC)
    async with db.transaction():
        for section, body in bodies.items():
            await AnnualNote.delete().where((AnnualNote.year == year) & (AnnualNote.scope == scope)
                                            & (AnnualNote.section == section))
            if body:
                await AnnualNote.insert(AnnualNote(year=year, scope=scope, section=section, body=body,
                                                   updated_at=now, updated_by=account_id))
