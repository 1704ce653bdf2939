"""The staff side: "Take a pause" in two taps, stress before and after, her own pauses and the unit's totals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.content.catalog import get_catalog
from server.content.schemas import PublishedExercise, stress_value
from server.content.support import place_of, sections
from server.engagement.schemas import EventIn
from server.engagement.services import ingest
from server.lib.disclosure import MIN_PEOPLE
from server.lib.errors import Problem, status_of
from server.lib.guards import DEVICE, ThisDevice, requires_kind
from server.lib.i18n import N_, _
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.municipalities import regions
from server.participants.services import whereabouts
from server.staff import services
from server.staff.schemas import PauseDoneForm

FILTER_LABELS = {
    "standing": N_("Standing"), "sitting": N_("Sitting"), "eyes_open": N_("Eyes open"),
    "sink": N_("By the sink"), "before_hard": N_("Before a hard moment"),
    "after_hard": N_("After a hard moment"),
}


def _pause(slug: str) -> PublishedExercise:
    exercise = get_catalog().exercises.get(slug)
    if exercise is None or exercise.kind != "micro_pause" or "staff" not in exercise.audience:
        raise NotFoundException()
    return exercise


class StaffController(Controller):
    """Staff pages only: a patient's phone gets 404 here, a phone with no code the start page."""

    guards = [requires_kind("staff")]
    dependencies = {"device": DEVICE}

    @get("/pause", name="staff:home")
    async def home(self, request: Request, length: FromQuery[str] = "", f: FromQuery[list[str] | None] = None,
                   none: FromQuery[str] = "") -> Template:
        chosen = tuple(x for x in (f or []) if x in services.FILTERS)
        return page(request, "staff/home.html", filters=FILTER_LABELS, chosen=chosen,
                    pauses=services.pauses(get_catalog(), filters=chosen), nothing_fits=bool(none), length=length)

    @get("/pause/go", name="staff:go")
    async def go(self, request: Request, length: FromQuery[str] = "",
                 f: FromQuery[list[str] | None] = None) -> Redirect:
        """One tap from the length buttons to a pause: a random one that fits, so it does not get stale."""
        chosen = tuple(x for x in (f or []) if x in services.FILTERS)
        picked = services.pick(services.pauses(get_catalog(), length=length, filters=chosen))
        if picked is None:
            query = {"f": chosen, "length": length if length in services.LENGTHS else "", "none": "1"}
            return redirect_to(request, "staff:home", query=f"?{urlencode(query, doseq=True)}")
        return redirect_to(request, "staff:pause", slug=picked.slug)

    @get("/pauses/{slug:str}", name="staff:pause")
    async def pause(self, request: Request, slug: FromPath[str]) -> Template:
        return page(request, "staff/before.html", exercise=_pause(slug))

    @post("/pauses/{slug:str}/done", name="staff:done", status_code=303)
    async def done(self, request: Request, device: ThisDevice, slug: FromPath[str],
                   data: Annotated[PauseDoneForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
                   ) -> Redirect | Template:
        """Without JavaScript the end of a pause is this form; with it, the player sends the same event."""
        exercise = _pause(slug)
        catalog = get_catalog()
        if catalog.exercise_versions.get(data.version) != slug:
            return page(request, "staff/after.html", status_code=400, exercise=exercise, before="",
                        error=_("This pause has changed in the meantime. Please start it again."))
        now = datetime.now(UTC)
        done = EventIn(id=uuid.uuid4(), type="pause_completed", occurred_at=now, exercise_version=data.version,
                       seconds=exercise.seconds, stress_before=stress_value(data.before),
                       stress_after=stress_value(data.after))
        try:
            await ingest([done], device.participant_id, catalog, now, kind=device.kind)
        except Problem as rejected:
            return page(request, "staff/after.html", status_code=status_of(rejected), exercise=exercise,
                        before=data.before, error=rejected.message)
        return redirect_to(request, "staff:mine", query="?saved=1")

    @get("/pauses/mine", name="staff:mine")
    async def mine(self, request: Request, device: ThisDevice, saved: FromQuery[str] = "") -> Template:
        catalog = get_catalog()
        return page(request, "staff/mine.html", pauses=await services.my_pauses(device.participant_id, catalog),
                    exercises=catalog.exercises, saved=bool(saved))

    @get("/pauses/unit", name="staff:unit")
    async def unit(self, request: Request, device: ThisDevice) -> Template:
        unit_id = await services.unit_of(device.participant_id)
        totals = await services.unit_totals(unit_id) if unit_id is not None else None
        return page(request, "staff/unit.html", totals=totals, min_people=MIN_PEOPLE)

    @get("/support/staff", name="staff:support")
    async def support(self, request: Request, device: ThisDevice) -> Template:
        """Her own support page: the hospital's staff support and occupational health, and the national lines
        that fit staff; the acute number of her site's region. Nothing about the ward or a pregnancy record."""
        found = await whereabouts(device.participant_id)
        place = place_of(None, found.site_municipality_code) if found else place_of(None)
        found_here = sections(get_catalog().resources, "staff", place, lead=("emergency", "workplace"))
        return page(request, "staff/support.html", sections=found_here, place=place, site_phones={},
                    regions=regions())
