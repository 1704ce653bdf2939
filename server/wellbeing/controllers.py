"""The wellbeing check-in (WHO-5) and her own scores over time, with a kind reading — never a diagnosis;
and the short app-satisfaction check, answered the same way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.content.catalog import get_catalog
from server.content.schemas import PublishedQuestionnaire
from server.engagement.schemas import EventIn
from server.engagement.services import ingest
from server.lib import charts
from server.lib.errors import NotFound, Problem, status_of
from server.lib.guards import requires_device
from server.lib.i18n import N_, _
from server.lib.paths import route_path
from server.lib.templates import page
from server.participants.guards import DEPENDENCIES, Enrolled
from server.wellbeing import services


def _instrument(slug: str = services.INSTRUMENT) -> PublishedQuestionnaire:
    instrument = get_catalog().questionnaires.get(slug)
    if instrument is None:
        raise NotFound(f"{slug} is not published")
    return instrument


# What each questionnaire page says around the published items, where it is posted (a route name) and
# where an answer leads (a route name and its query).
PAGES = {
    services.INSTRUMENT: {"action": "wellbeing:checkin_post", "heading": N_("How have you been?"),
                          "lead": N_("Five short questions about the last two weeks. There are no right or wrong "
                                     "answers, and it takes about a minute."),
                          "done": ("wellbeing:history", "?saved=1")},
    services.SATISFACTION: {"action": "wellbeing:feedback_post", "heading": N_("What do you think of Pusterum?"),
                            "lead": N_("Four short statements. Your answers help the clinic make Pusterum better."),
                            "done": ("journeys:home", "?feedback=1")},
}


def _done(request: Request, slug: str) -> str:
    route, query = PAGES[slug]["done"]
    return route_path(request.app, route) + query


def _form(request: Request, slug: str, *, status_code: int = 200, first: bool = False,
          chosen: dict | None = None, error: str | None = None) -> Template:
    where = {"action": route_path(request.app, PAGES[slug]["action"]), "done": _done(request, slug)}
    return page(request, "wellbeing/checkin.html", status_code=status_code, instrument=_instrument(slug),
                page_text={**PAGES[slug], **where}, first=first, chosen=chosen or {}, error=error)


async def _answer(request: Request, participant: Enrolled, slug: str) -> Template | Redirect:
    """Without JavaScript the answers come here; with it, through the outbox as the same event."""
    instrument = _instrument(slug)
    form = await request.form()
    chosen = {i: str(form.get(f"item{i}") or "") for i in range(len(instrument.items))}
    allowed = {str(o.score) for o in instrument.options}
    if any(v not in allowed for v in chosen.values()):
        return _form(request, slug, status_code=400, first=bool(form.get("first")), chosen=chosen,
                     error=_("Please choose an answer for each statement."))
    event = EventIn(id=uuid.uuid4(), type="questionnaire_answered", occurred_at=datetime.now(UTC),
                    questionnaire_version=instrument.version_id,
                    answers=[int(chosen[i]) for i in sorted(chosen)])
    try:
        await ingest([event], participant.id, get_catalog())
    except Problem as rejected:
        return _form(request, slug, status_code=status_of(rejected), chosen=chosen, error=rejected.message)
    return Redirect(_done(request, slug), status_code=303)


class WellbeingController(Controller):
    path = "/wellbeing"
    guards = [requires_device]
    dependencies = DEPENDENCIES

    @get("/checkin", name="wellbeing:checkin")
    async def checkin(self, request: Request, participant: Enrolled, first: FromQuery[str] = "") -> Template:
        return _form(request, services.INSTRUMENT, first=bool(first))

    @post("/checkin", name="wellbeing:checkin_post", status_code=303)
    async def answer(self, request: Request, participant: Enrolled) -> Template | Redirect:
        return await _answer(request, participant, services.INSTRUMENT)

    @get("/feedback", name="wellbeing:feedback")
    async def feedback(self, request: Request, participant: Enrolled) -> Template:
        return _form(request, services.SATISFACTION)

    @post("/feedback", name="wellbeing:feedback_post", status_code=303)
    async def feedback_answer(self, request: Request, participant: Enrolled) -> Template | Redirect:
        return await _answer(request, participant, services.SATISFACTION)

    @get("/", name="wellbeing:history")
    async def history(self, request: Request, participant: Enrolled, saved: FromQuery[str] = "") -> Template:
        readings = await services.readings(participant.id, get_catalog())
        return page(request, "wellbeing/history.html", readings=readings, latest=readings[-1] if readings else None,
                    chart=charts.line(readings), saved=bool(saved), instrument=_instrument(),
                    due=await services.checkin_due(participant.id))
