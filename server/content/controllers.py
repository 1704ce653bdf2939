"""What a participant reads: start page, home, library, an exercise, its player, and the support page."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ASGIApp

from server.content.catalog import get_catalog
from server.content.schemas import DURATIONS, KINDS, TAGS
from server.lib.pagecache import PageCache, cached_response
from server.lib.templates import page, render_page
from server.participants.guards import current_participant, require_device
from server.participants.services import course_week
from server.settings import get_settings
from server.staff.services import stress_value
from server.wellbeing import services as wellbeing

# "For right now": short practices for common moments, in this order of preference.
RIGHT_NOW = ("breathing-space-3", "stop-practice", "one-minute-landing", "breathing-the-wave",
             "pain-and-worry-at-night", "sixty-second-breath", "five-senses-grounding")


_library_pages = PageCache()


def _offline_urls(exercises: list[dict]) -> list[str]:
    """What the service worker should keep so these practices work without a connection."""
    urls = []
    for e in exercises:
        urls += [f"/exercises/{e['slug']}", f"/exercises/{e['slug']}/play"]
        if e["audio"]:
            urls.append(f"/audio/{e['audio']}")
    return urls


def _staff_pause(device, exercise: dict) -> bool:
    """Staff end a micro-pause with the stress question instead of the star rating."""
    return device.kind == "staff" and exercise["kind"] == "micro_pause"


def _stress(raw: str) -> str:
    """The stress rating carried from the question before the pause to the one after it, as text."""
    return "" if stress_value(raw) is None else raw


def _exercise(slug: str, audience: str) -> dict:
    exercise = get_catalog().exercises.get(slug)
    if exercise is None or audience not in exercise["audience"]:
        raise NotFoundException()
    return exercise


class ContentController(Controller):
    @get("/", name="content:start")
    async def start(self, request: Request) -> Template | Redirect:
        device = request.state.device
        if device is not None:
            return Redirect("/pause" if device.kind == "staff" else "/home", status_code=303)
        return page(request, "content/start.html")

    @get("/home", name="content:home")
    async def home(self, request: Request, feedback: FromQuery[str] = "") -> Template | Redirect:
        participant = await current_participant(request)
        if participant.kind == "staff":
            return Redirect("/pause", status_code=303)
        catalog = get_catalog()
        audience = participant.kind
        course, week, upcoming = None, None, []
        if participant.course_slug and participant.course_slug in catalog.courses:
            course = catalog.courses[participant.course_slug]
            number = course_week(participant.course_starts_on, date.today(), len(course["weeks"]))
            week = course["weeks"][number - 1]
            # This week's and next week's practices are kept on the phone, for practice without a network.
            upcoming = [catalog.exercises[s] for w in course["weeks"][number - 1:number + 1]
                        for s in w["practices"] if s in catalog.exercises]
        right_now = [catalog.exercises[s] for s in RIGHT_NOW
                     if s in catalog.exercises and audience in catalog.exercises[s]["audience"]][:3]
        week_practices = [catalog.exercises[s] for s in (week["practices"] if week else [])
                          if s in catalog.exercises]
        # Offered every N days (per site), and again in the course's last week.
        last_week = bool(course) and week is not None and week["number"] == len(course["weeks"])
        checkin_due = await wellbeing.checkin_due(participant.id, within_days=7 if last_week else None)
        # One question at a time: the app-satisfaction check waits while a check-in is offered.
        feedback_due = not checkin_due and participant.joined_at is not None and await wellbeing.satisfaction_due(
            participant.id, participant.joined_at)
        return page(request, "content/home.html", course=course, week=week, week_practices=week_practices,
                    right_now=right_now, needs_municipality=participant.municipality_code is None,
                    checkin_due=checkin_due, feedback_due=feedback_due, feedback_thanks=bool(feedback),
                    prefetch=_offline_urls(upcoming + right_now))

    @get("/library", name="content:library", opt={"skip_compression": True}, exclude_from_csrf=True)
    async def library(self, request: Request, kind: FromQuery[str] = "", duration: FromQuery[str] = "",
                      tag: FromQuery[str] = "") -> ASGIApp:
        device = require_device(request)
        catalog = get_catalog()
        # Unknown filter values are ignored rather than refused: they come from old links and bookmarks.
        chosen = {"kind": kind if kind in KINDS else "",
                  "duration": duration if duration in {d[0] for d in DURATIONS} else "",
                  "tag": tag if tag in TAGS else ""}
        fragment = bool(request.headers.get("hx-request"))
        key = (catalog.revision, device.language, device.kind, fragment, *chosen.values())

        def render() -> str:
            exercises = catalog.library(device.kind, device.language, kind=chosen["kind"] or None,
                                        duration=chosen["duration"] or None, tag=chosen["tag"] or None)
            kinds = sorted({e["kind"] for e in catalog.for_audience(device.kind)}, key=list(KINDS).index)
            return render_page(request, "content/_exercise_list.html" if fragment else "content/library.html",
                               exercises=exercises, kinds=kinds, durations=DURATIONS,
                               tags=catalog.tags_in_use(device.kind), chosen=chosen)

        return cached_response(request.scope, _library_pages.get(key, render), vary="HX-Request, Cookie")

    @get("/exercises/{slug:str}", name="content:exercise")
    async def exercise(self, request: Request, slug: FromPath[str]) -> Template:
        device = require_device(request)
        exercise = _exercise(slug, device.kind)
        return page(request, "content/exercise.html", exercise=exercise, prefetch=_offline_urls([exercise]))

    @get("/exercises/{slug:str}/play", name="content:play")
    async def play(self, request: Request, slug: FromPath[str], before: FromQuery[str] = "",
                   start: FromQuery[str] = "") -> Template:
        device = require_device(request)
        exercise = _exercise(slug, device.kind)
        # A staff pause starts by itself after the stress question: her tap there was the start.
        autostart = start == "1" and _staff_pause(device, exercise)
        return page(request, "content/player.html", exercise=exercise, time_scale=get_settings().time_scale,
                    staff_pause=_staff_pause(device, exercise), before=_stress(before), autostart=autostart)

    @get("/exercises/{slug:str}/done", name="content:done")
    async def done(self, request: Request, slug: FromPath[str], before: FromQuery[str] = "") -> Template:
        device = require_device(request)
        exercise = _exercise(slug, device.kind)
        if _staff_pause(device, exercise):
            return page(request, "staff/after.html", exercise=exercise, before=_stress(before), error=None)
        return page(request, "content/done.html", exercise=exercise, error=None)

    @get("/exercises/{slug:str}/thanks", name="content:thanks")
    async def thanks(self, request: Request, slug: FromPath[str]) -> Template:
        device = require_device(request)
        return page(request, "content/thanks.html", exercise=_exercise(slug, device.kind))

    @get("/support", name="content:support")
    async def support(self, request: Request) -> Template:
        return page(request, "content/support.html")

    @get("/about", name="content:about")
    async def about(self, request: Request) -> Template:
        return page(request, "content/about.html")
