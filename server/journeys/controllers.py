"""Pages that span the domains, for an enrolled participant: her home (course week, practices for right
now, the check-in when it is due), what we hold about her, and withdrawal.

They sit above the domains (content, participants, wellbeing, reminders, reports) so that none of those
has to import another to show one page or to forget one person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from server.content.catalog import get_catalog
from server.content.controllers import offline_urls
from server.content.schemas import PublishedExercise
from server.journeys import own_data
from server.journeys.withdrawal import withdraw
from server.lib.guards import requires_device
from server.lib.localtime import local, today
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.lib.web import clear_device_cookie
from server.participants.guards import DEPENDENCIES, Enrolled
from server.participants.schemas import WithdrawForm
from server.participants.services import course_week
from server.settings import get_settings
from server.wellbeing import services as wellbeing

# "For right now": short practices for common moments, in this order of preference; never longer than
# RIGHT_NOW_SECONDS, whatever an editor does to them later.
RIGHT_NOW = ("breathing-space-3", "stop-practice", "one-minute-landing", "breathing-the-wave",
             "pain-and-worry-at-night", "sixty-second-breath", "five-senses-grounding")
RIGHT_NOW_SECONDS = 5 * 60
# Her first practice, offered right after she consents: the first of these that is published for patients
# and lasts FIRST_PRACTICE_SECONDS or less.
FIRST_PRACTICE = ("breathing-space-3", "one-minute-landing", "sixty-second-breath", "stop-practice")
FIRST_PRACTICE_SECONDS = 3 * 60


def _short(slugs: tuple[str, ...], audience: str, seconds: int) -> list[PublishedExercise]:
    exercises = get_catalog().exercises
    return [exercises[s] for s in slugs
            if s in exercises and audience in exercises[s].audience and exercises[s].seconds <= seconds]

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class JourneysController(Controller):
    guards = [requires_device]
    dependencies = DEPENDENCIES

    @get("/welcome", name="journeys:welcome")
    async def welcome(self, request: Request, participant: Enrolled) -> Template | Redirect:
        """Right after she consents: a short practice first, before anything is asked of her."""
        if participant.kind == "staff":
            return redirect_to(request, "staff:home")
        first = _short(FIRST_PRACTICE, participant.kind, FIRST_PRACTICE_SECONDS)
        if not first:  # no short practice is published: her home has the rest
            return redirect_to(request, "journeys:home")
        return page(request, "journeys/welcome.html", exercise=first[0],
                    prefetch=offline_urls(request.app, first[:1]))

    @get("/home", name="journeys:home")
    async def home(self, request: Request, participant: Enrolled, feedback: FromQuery[str] = "") -> Template | Redirect:
        if participant.kind == "staff":
            return redirect_to(request, "staff:home")
        if not participant.consent_is_current:  # the consent text changed: she reads it once, then goes on
            return redirect_to(request, "participants:reconsent")
        catalog = get_catalog()
        if participant.kind == "partner":
            return self._partner_home(request, participant)
        audience = participant.kind
        course, week, upcoming = None, None, []
        if participant.course_slug and participant.course_slug in catalog.courses:
            course = catalog.courses[participant.course_slug]
            number = course_week(participant.course_starts_on, today(), len(course.weeks))
            week = course.weeks[number - 1]
            # This week's and next week's practices are kept on the phone, for practice without a network.
            upcoming = [catalog.exercises[s] for w in course.weeks[number - 1:number + 1]
                        for s in w.practices if s in catalog.exercises]
        right_now = _short(RIGHT_NOW, audience, RIGHT_NOW_SECONDS)[:3]
        week_practices = [catalog.exercises[s] for s in (week.practices if week else ())
                          if s in catalog.exercises]
        # Offered every N days (per site), and again in the course's last week.
        last_week = course is not None and week is not None and week.number == len(course.weeks)
        # Gives before it asks: on her first visit nothing is asked until she has practised.
        may_ask = await wellbeing.first_checkin_may_be_offered(participant.id, first_visit=participant.first_visit)
        checkin_due = may_ask and await wellbeing.checkin_due(participant.id, within_days=7 if last_week else None)
        # One question at a time: the app-satisfaction check waits while a check-in is offered.
        feedback_due = not checkin_due and participant.joined_at is not None and await wellbeing.satisfaction_due(
            participant.id, participant.joined_at)
        return page(request, "content/home.html", course=course, week=week, week_practices=week_practices,
                    right_now=right_now, first_visit=participant.first_visit,
                    needs_municipality=participant.municipality_code is None and may_ask and not checkin_due,
                    checkin_due=checkin_due, feedback_due=feedback_due, feedback_thanks=bool(feedback), partner=False,
                    prefetch=offline_urls(request.app, upcoming + right_now))

    @staticmethod
    def _partner_home(request: Request, participant: Enrolled) -> Template:
        """A partner's home: their own practices, shortest first, the library and support. No course week
        (the course is hers), no check-ins (the WHO-5 is the patients'), nothing about her."""
        mine = sorted(get_catalog().for_audience("partner"), key=lambda e: (e.seconds, e.slug))[:3]
        return page(request, "content/home.html", course=None, week=None, week_practices=[], right_now=mine,
                    first_visit=participant.first_visit, needs_municipality=False, checkin_due=False,
                    feedback_due=False, feedback_thanks=False, partner=True,
                    prefetch=offline_urls(request.app, mine))

    @get("/settings/withdraw", name="journeys:withdraw_form")
    async def withdraw_form(self, request: Request, participant: Enrolled) -> Template:
        return page(request, "participants/withdraw.html", participant=participant, error=False)

    @post("/settings/withdraw", name="journeys:withdraw", status_code=200)
    async def withdraw(self, request: Request, participant: Enrolled, data: Annotated[WithdrawForm, Form]) -> Template:
        if data.choice not in ("keep", "delete"):
            return page(request, "participants/withdraw.html", status_code=400, participant=participant, error=True)
        await withdraw(participant.id, data.choice)  # type: ignore[arg-type]
        # The goodbye page is shown as to a visitor, so the app's scripts stop recording at once.
        response = page(request, "participants/withdrawn.html", device=None, deleted=data.choice == "delete")
        # The browser removes this site's caches, storage and service worker itself; the page's script
        # does the same for browsers that ignore the header.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        response.cookies.append(clear_device_cookie(get_settings()))
        return response

    @get("/settings/my-data", name="journeys:data_page", cache_control=CacheControlHeader(no_store=True))
    async def data_page(self, request: Request, participant: Enrolled) -> Template:
        """What we hold about her, as a page she can read in her language (the files are the extra)."""
        data = await own_data.collect(participant.id)
        exercises = get_catalog().exercises
        titles = {slug: e.title for slug, e in exercises.items()}
        days = {name: local(datetime.fromisoformat(data["participant"][key])).strftime("%d.%m.%Y")
                for name, key in (("joined", "joined_at"), ("consented", "consented_at"))}
        return page(request, "journeys/my_data.html", participant=participant, who=data["participant"],
                    held=own_data.readable(data), reminders=data["reminders"], titles=titles, days=days)

    @get("/settings/my-data.json", name="journeys:data_json", cache_control=CacheControlHeader(no_store=True))
    async def data_json(self, request: Request, participant: Enrolled) -> Response:
        """Everything we hold about her, for her to keep or take elsewhere."""
        data = await own_data.collect(participant.id)
        return Response(content=msgspec.json.format(msgspec.json.encode(data), indent=2), media_type="application/json",
                        headers={"content-disposition": 'attachment; filename="pusterum-my-data.json"'})

    @get("/settings/my-data.csv", name="journeys:data_csv", cache_control=CacheControlHeader(no_store=True))
    async def data_csv(self, request: Request, participant: Enrolled) -> Response:
        data = await own_data.collect(participant.id)
        return Response(content=own_data.events_csv(data), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="pusterum-my-activity.csv"'})
