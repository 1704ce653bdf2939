"""The course at a glance: every week of her 8-week course, the open ones with their practices (done ones
marked), the locked ones with the day they open.

Weeks unlock by date from her group's start (``server.participants.services.course_week``: week N on day
7 × (N − 1)), so the opening day is known in advance and shown instead of a bare lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date
from litestar import Controller, Request, get
from litestar.response import Template

from server.content.catalog import get_catalog
from server.content.schemas import PublishedExercise, Week
from server.engagement.history import practised
from server.lib.guards import requires_kind
from server.lib.localtime import today
from server.lib.templates import page
from server.participants.guards import DEPENDENCIES, Enrolled
from server.participants.services import course_week

# The opening day as people say it: "mandag den 14. december", "Monday 14 December".
_DAY_FORMAT = {"da": "EEEE 'den' d. MMMM", "en": "EEEE d MMMM"}


@dataclass(frozen=True, slots=True)
class WeekView:
    week: Week
    opens_on: date
    opens: str  # opens_on in her language
    open: bool
    current: bool
    practices: tuple[PublishedExercise, ...]


def week_views(weeks: tuple[Week, ...], starts_on: date, on: date, language: str,
               exercises: dict[str, PublishedExercise]) -> list[WeekView]:
    current = course_week(starts_on, on, len(weeks))
    views = []
    for week in weeks:
        opens_on = starts_on + timedelta(days=7 * (week.number - 1))
        views.append(WeekView(
            week=week, opens_on=opens_on, open=week.number <= current, current=week.number == current,
            opens=format_date(opens_on, _DAY_FORMAT.get(language, _DAY_FORMAT["en"]), locale=language),
            practices=tuple(exercises[s] for s in week.practices if s in exercises)))
    return views


class CourseController(Controller):
    guards = [requires_kind("patient")]
    dependencies = DEPENDENCIES

    @get("/course", name="journeys:course")
    async def course(self, request: Request, participant: Enrolled) -> Template:
        catalog = get_catalog()
        course = catalog.courses.get(participant.course_slug or "")
        weeks: list[WeekView] = []
        if course is not None and participant.course_starts_on is not None:
            weeks = week_views(course.weeks, participant.course_starts_on, today(), request.state.language,
                               catalog.exercises)
        mine = await practised(participant.id, catalog)
        return page(request, "content/course.html", course=course, weeks=weeks, done=mine.done)
