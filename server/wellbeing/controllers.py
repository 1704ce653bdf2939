"""The wellbeing check-in (WHO-5) and her own scores over time, with a kind reading — never a diagnosis;
and the short app-satisfaction check, answered the same way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.content.catalog import get_catalog
from server.content.schemas import PublishedQuestionnaire
from server.engagement.schemas import EventIn
from server.engagement.services import ingest
from server.lib import charts
from server.lib.errors import NotFound, Problem, status_of
from server.lib.forms import FormOf, Parsed, read_form
from server.lib.guards import requires_kind
from server.lib.i18n import N_
from server.lib.paths import route_path
from server.lib.templates import page
from server.participants.guards import DEPENDENCIES, Enrolled
from server.wellbeing import services
from server.wellbeing.schemas import AnswersForm, answers_form


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


def _answers_of(slug: str) -> Provide:
    """The answers to ``slug`` as a form made from its published version (its items and scores)."""
    async def answers(request: Request) -> Parsed[AnswersForm]:
        return await read_form(request, answers_form(_instrument(slug)))
    return Provide(answers)


async def _answer(request: Request, participant: Enrolled, slug: str,
                  form: Parsed[AnswersForm]) -> Template | Redirect:
    """Without JavaScript the answers come here; with it, through the outbox as the same event."""
    if form.value is None:  # her choices come back with the message; nothing is recorded
        chosen = {int(name[4:]): text for name, text in form.raw.items() if name.startswith("item")}
        return _form(request, slug, status_code=400, first=form.raw.get("first") == "1", chosen=chosen,
                     error=form.message)
    answered = form.value
    event = EventIn(id=uuid.uuid4(), type="questionnaire_answered", occurred_at=datetime.now(UTC),
                    questionnaire_version=answered.version_id, answers=answered.scores())
    try:
        await ingest([event], participant.id, get_catalog(), kind=participant.kind)
    except Problem as rejected:
        chosen = dict(enumerate(str(score) for score in answered.scores()))
        return _form(request, slug, status_code=status_of(rejected), chosen=chosen, error=rejected.message)
    return Redirect(_done(request, slug), status_code=303)


class WellbeingController(Controller):
    """Patients' own questionnaires: a member of staff's cookie gets 404 here (and the events API refuses her
    answers), so no staff answer is ever read as a patient's wellbeing."""

    path = "/wellbeing"
    guards = [requires_kind("patient")]
    dependencies = DEPENDENCIES

    @get("/checkin", name="wellbeing:checkin")
    async def checkin(self, request: Request, participant: Enrolled, first: FromQuery[str] = "") -> Template:
        return _form(request, services.INSTRUMENT, first=bool(first))

    @post("/checkin", name="wellbeing:checkin_post", status_code=303,
          dependencies={"form": _answers_of(services.INSTRUMENT)})
    async def answer(self, request: Request, participant: Enrolled, form: FormOf[AnswersForm]) -> Template | Redirect:
        return await _answer(request, participant, services.INSTRUMENT, form)

    @get("/feedback", name="wellbeing:feedback")
    async def feedback(self, request: Request, participant: Enrolled) -> Template:
        return _form(request, services.SATISFACTION)

    @post("/feedback", name="wellbeing:feedback_post", status_code=303,
          dependencies={"form": _answers_of(services.SATISFACTION)})
    async def feedback_answer(self, request: Request, participant: Enrolled,
                              form: FormOf[AnswersForm]) -> Template | Redirect:
        return await _answer(request, participant, services.SATISFACTION, form)

    @get("/", name="wellbeing:history")
    async def history(self, request: Request, participant: Enrolled, saved: FromQuery[str] = "") -> Template:
        catalog = get_catalog()
        readings = await services.readings(participant.id, catalog)
        guide = catalog.exercises.get(services.LOW_MOOD_GUIDE)  # absent until published after review
        return page(request, "wellbeing/history.html", readings=readings, latest=readings[-1] if readings else None,
                    guide=guide if guide is not None and "patient" in guide.audience else None,
                    chart=charts.line(readings), saved=bool(saved), instrument=_instrument(),
                    due=await services.checkin_due(participant.id))
