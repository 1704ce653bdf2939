"""The staff e-learning course (issue 17): the course list behind the staff home's "Courses" link, a course's
lessons, a lesson (sections, cases with feedback, the knowledge check) and the certificate.

No account: her progress lives on her phone (``pwa/js/learning.js`` keeps it in localStorage and sends
``check_answered`` and ``lesson_completed`` through the outbox, like every other event). Everything here works
without JavaScript as plain forms, except the certificate, whose name she types never leaves her phone: it is
put into the page by script and printed from it, so the server has nothing to receive it with.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from server.content.catalog import get_catalog
from server.content.schemas import PublishedElearning, PublishedLesson
from server.engagement.schemas import EventIn
from server.engagement.services import ingest
from server.lib.errors import Problem, status_of
from server.lib.guards import ThisDevice, requires_kind
from server.lib.i18n import _
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.guards import DEPENDENCIES, Enrolled
from server.staff.schemas import LearningAnswerForm

AUDIENCE = "staff"


def _course(slug: str) -> PublishedElearning:
    course = get_catalog().elearning.get(slug)
    if course is None or AUDIENCE not in course.audience:
        raise NotFoundException()
    return course


def _lesson(slug: str) -> tuple[PublishedLesson, PublishedElearning]:
    catalog = get_catalog()
    lesson = catalog.lessons.get(slug)
    course = catalog.elearning.get(lesson.course) if lesson else None
    if lesson is None or course is None or AUDIENCE not in course.audience or slug not in course.lessons:
        raise NotFoundException()
    return lesson, course


def _neighbours(lesson: PublishedLesson, course: PublishedElearning) -> tuple[PublishedLesson | None,
                                                                                PublishedLesson | None]:
    lessons = get_catalog().course_lessons(course)
    at = next(i for i, found in enumerate(lessons) if found.slug == lesson.slug)
    return (lessons[at - 1] if at else None), (lessons[at + 1] if at + 1 < len(lessons) else None)


def _lesson_page(request: Request, lesson: PublishedLesson, course: PublishedElearning, *, status_code: int = 200,
                 chosen: dict[str, str] | None = None, answered: dict[str, str] | None = None,
                 error: str = "") -> Template:
    previous, following = _neighbours(lesson, course)
    return page(request, "staff/lesson.html", status_code=status_code, lesson=lesson, course=course,
                previous=previous, following=following, chosen=chosen or {}, answered=answered or {}, error=error)


class LearningController(Controller):
    """Staff only, like the pauses: a patient's phone gets 404, a phone with no code the start page."""

    guards = [requires_kind("staff")]
    dependencies = DEPENDENCIES

    @get("/learn", name="learning:courses")
    async def courses(self, request: Request, participant: Enrolled) -> Template | Redirect:
        """The way in reads her row: a member of staff who agreed to a consent text that did not yet name the
        lessons and check answers reads the new one first (the pauses' pages are cookie-only and never ask)."""
        if not participant.consent_is_current:
            return redirect_to(request, "participants:reconsent")
        catalog = get_catalog()
        found = sorted((c for c in catalog.elearning.values() if AUDIENCE in c.audience), key=lambda c: c.slug)
        return page(request, "staff/courses.html", courses=[(c, catalog.course_lessons(c)) for c in found])

    @get("/learn/{slug:str}", name="learning:course")
    async def course(self, request: Request, participant: Enrolled, slug: FromPath[str]) -> Template | Redirect:
        course = _course(slug)
        if not participant.consent_is_current:
            return redirect_to(request, "participants:reconsent")
        return page(request, "staff/course.html", course=course, lessons=get_catalog().course_lessons(course))

    @get("/learn/{slug:str}/certificate", name="learning:certificate")
    async def certificate(self, request: Request, slug: FromPath[str]) -> Template:
        course = _course(slug)
        return page(request, "staff/certificate.html", course=course, lessons=get_catalog().course_lessons(course))

    @get("/lesson/{slug:str}", name="learning:lesson")
    async def lesson(self, request: Request, slug: FromPath[str]) -> Template:
        lesson, course = _lesson(slug)
        return _lesson_page(request, lesson, course)

    @post("/lesson/{slug:str}/case", name="learning:case", status_code=200)
    async def case(self, request: Request, slug: FromPath[str],
                   data: Annotated[LearningAnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        """Without JavaScript, a case's choice comes here and the lesson comes back with its feedback shown.
        A case is practice, not a test: nothing is recorded."""
        lesson, course = _lesson(slug)
        case = next((c for c in lesson.cases if c.id == data.item), None)
        if case is None or not any(o.id == data.option for o in case.options):
            return _lesson_page(request, lesson, course, status_code=400,
                                error=_("Please choose one of the answers first."))
        return _lesson_page(request, lesson, course, chosen={case.id: data.option})

    @post("/lesson/{slug:str}/check", name="learning:check", status_code=200)
    async def check(self, request: Request, device: ThisDevice, slug: FromPath[str],
                    data: Annotated[LearningAnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
                    ) -> Template:
        """Without JavaScript, a check answer comes here: it is recorded like the script's ``check_answered``
        and the lesson comes back with right or wrong and the explanation."""
        lesson, course = _lesson(slug)
        question = next((q for q in lesson.check if q.id == data.item), None)
        if question is None or question.is_correct(data.option) is None:
            return _lesson_page(request, lesson, course, status_code=400,
                                error=_("Please choose one of the answers first."))
        if data.version != lesson.version_id:
            return _lesson_page(request, lesson, course, status_code=400,
                                error=_("This lesson has changed in the meantime. Please answer again."))
        answer = EventIn(id=uuid.uuid4(), type="check_answered", occurred_at=datetime.now(UTC),
                         lesson_version=lesson.version_id, question=question.id, option=data.option)
        try:
            await ingest([answer], device.participant_id, get_catalog(), kind=device.kind)
        except Problem as rejected:
            return _lesson_page(request, lesson, course, status_code=status_of(rejected), error=rejected.message)
        return _lesson_page(request, lesson, course, answered={question.id: data.option})
