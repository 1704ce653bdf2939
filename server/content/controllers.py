"""What a participant reads: start page, an exercise, its player, and the support page (the library, which
also shows what she has done, is in server/journeys/library_controller.py)."""

from __future__ import annotations

from litestar import Controller, Litestar, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.content.catalog import get_catalog
from server.content.schemas import PublishedExercise, stress_value
from server.content.support import place_of, sections
from server.lib.guards import DEVICE, ThisDevice, requires_device
from server.lib.paths import redirect_to, route_path
from server.lib.templates import page
from server.participants.municipalities import regions
from server.participants.services import whereabouts
from server.settings import get_settings


def offline_urls(app: Litestar, exercises: list[PublishedExercise]) -> list[str]:
    """What the service worker should keep so these practices work without a connection."""
    urls = []
    for e in exercises:
        urls += [route_path(app, "content:exercise", slug=e.slug), route_path(app, "content:play", slug=e.slug)]
        if e.audio:
            urls.append(route_path(app, "content:audio", name=e.audio))
    return urls


def _staff_pause(device, exercise: PublishedExercise) -> bool:
    """Staff end a micro-pause with the stress question instead of the star rating."""
    return device.kind == "staff" and exercise.kind == "micro_pause"


def _stress(raw: str) -> str:
    """The stress rating carried from the question before the pause to the one after it, as text."""
    return "" if stress_value(raw) is None else raw


def _exercise(slug: str, audience: str) -> PublishedExercise:
    exercise = get_catalog().exercises.get(slug)
    if exercise is None or audience not in exercise.audience:
        raise NotFoundException()
    return exercise


class ContentController(Controller):
    dependencies = {"device": DEVICE}
    @get("/", name="content:start")
    async def start(self, request: Request) -> Template | Redirect:
        device = request.state.device
        if device is not None:
            return redirect_to(request, "staff:home" if device.kind == "staff" else "journeys:home")
        return page(request, "content/start.html")

    @get("/exercises/{slug:str}", name="content:exercise", guards=[requires_device])
    async def exercise(self, request: Request, device: ThisDevice, slug: FromPath[str]) -> Template:
        exercise = _exercise(slug, device.kind)
        return page(request, "content/exercise.html", exercise=exercise, prefetch=offline_urls(request.app, [exercise]))

    @get("/exercises/{slug:str}/play", name="content:play", guards=[requires_device])
    async def play(self, request: Request, device: ThisDevice, slug: FromPath[str], before: FromQuery[str] = "",
                   start: FromQuery[str] = "") -> Template:
        exercise = _exercise(slug, device.kind)
        # A staff pause starts by itself after the stress question: her tap there was the start.
        autostart = start == "1" and _staff_pause(device, exercise)
        return page(request, "content/player.html", exercise=exercise, time_scale=get_settings().time_scale,
                    staff_pause=_staff_pause(device, exercise), before=_stress(before), autostart=autostart)

    @get("/exercises/{slug:str}/done", name="content:done", guards=[requires_device])
    async def done(self, request: Request, device: ThisDevice, slug: FromPath[str],
                   before: FromQuery[str] = "") -> Template:
        exercise = _exercise(slug, device.kind)
        if _staff_pause(device, exercise):
            return page(request, "staff/after.html", exercise=exercise, before=_stress(before), error=None)
        return page(request, "content/done.html", exercise=exercise, error=None)

    @get("/exercises/{slug:str}/thanks", name="content:thanks", guards=[requires_device])
    async def thanks(self, request: Request, device: ThisDevice, slug: FromPath[str]) -> Template:
        return page(request, "content/thanks.html", exercise=_exercise(slug, device.kind))

    @get("/api/content-revision", name="content:revision", exclude_from_csrf=True,
         cache_control=CacheControlHeader(no_cache=True))
    async def revision(self) -> Response:
        """The published content's revision, for the service worker: a few bytes it asks for when she opens
        the app, so that pages kept on her phone are fetched again once an editor has published (a correction
        reaches her at her next visit). Public: it is one number, the same for everyone."""
        return Response(content=b'{"revision":%d}' % get_catalog().revision, media_type="application/json")

    @get("/support", name="content:support")
    async def support(self, request: Request) -> Template | Redirect:
        """Open to everyone (a visitor with no code needs the numbers too); a patient's page fits where she
        is and carries her site's own numbers. Staff have their own page."""
        device = request.state.device
        if device is not None and device.kind == "staff":
            return redirect_to(request, "staff:support")
        found = await whereabouts(device.participant_id) if device is not None else None
        place = place_of(found.municipality_code, found.site_municipality_code) if found else place_of(None)
        site_phones = {"ward": found.ward_phone, "clinic": found.clinic_phone} if found else {}
        audience = "partner" if device is not None and device.kind == "partner" else "patient"
        return page(request, "content/support.html", sections=sections(get_catalog().resources, audience, place),
                    place=place, site_phones=site_phones, regions=regions())

    @get("/about", name="content:about")
    async def about(self, request: Request) -> Template:
        return page(request, "content/about.html")
