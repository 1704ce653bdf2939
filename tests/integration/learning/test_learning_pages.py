"""The staff e-learning course (issue 17): the staff home's link, a course's lessons, a lesson's cases and check
without JavaScript, the certificate page, and the two new event types at /api/events."""

from __future__ import annotations

import re

import pytest

from server.content.catalog import get_catalog
from server.engagement.tables import Event
from tests.learning import COURSE, fixture_course
from tests.support import csrf_token, event, post_events


@pytest.fixture
async def course(actors):
    async with fixture_course():
        yield get_catalog().elearning[COURSE]


def lesson_version(slug: str) -> int:
    return get_catalog().lessons[slug].version_id


async def test_it_links_the_staff_home_to_the_courses_and_lists_the_lessons_with_minutes(course, staff_member):
    home = await staff_member.get("/pause")
    assert 'href="/learn"' in home.text
    listing = await staff_member.get("/learn")
    assert listing.status_code == 200 and "A small test course" in listing.text and "5 minutes" in listing.text
    page = await staff_member.get(f"/learn/{COURSE}")
    assert page.status_code == 200
    assert page.text.index("Asking") < page.text.index("After the conversation")
    assert "3 minutes" in page.text and "2 minutes" in page.text
    assert 'href="/lesson/test-lesson-one"' in page.text and f'href="/learn/{COURSE}/certificate"' in page.text


async def test_it_shows_a_lesson_with_its_sections_cases_check_and_sources(course, staff_member):
    page = await staff_member.get("/lesson/test-lesson-one")
    assert page.status_code == 200
    text = page.text
    assert "<strong>alone</strong>" in text  # the section's Markdown, rendered
    assert "She comes to the appointment with her partner" in text and "Who may interpret?" in text
    assert "Sundhedsstyrelsen" in text and 'href="https://www.sst.dk/"' in text
    assert f'data-version-id="{lesson_version("test-lesson-one")}"' in text
    assert 'href="/lesson/test-lesson-two"' in text  # the next lesson


async def test_a_case_without_javascript_shows_the_chosen_options_feedback_and_records_nothing(course,
                                                                                                  staff_member):
    page = await staff_member.get("/lesson/test-lesson-one")
    shown = await staff_member.post("/lesson/test-lesson-one/case", data={
        "_csrf_token": csrf_token(page.text), "item": "c1", "option": "b", "version": "0"})
    assert shown.status_code == 200
    visible = re.search(r'data-feedback="b"\s+role="status"', shown.text)
    assert visible and "Then she can answer freely." in shown.text
    assert re.search(r'data-feedback="a" hidden', shown.text)
    assert await Event.count().where(Event.participant == staff_member.participant_id,
                                     Event.type.is_in(["check_answered", "lesson_completed"])) == 0


async def test_a_check_answer_without_javascript_is_judged_on_the_server_and_recorded(course, staff_member):
    page = await staff_member.get("/lesson/test-lesson-one")
    version = lesson_version("test-lesson-one")
    wrong = await staff_member.post("/lesson/test-lesson-one/check", data={
        "_csrf_token": csrf_token(page.text), "item": "q1", "option": "a", "version": str(version)})
    assert wrong.status_code == 200 and "Not quite." in wrong.text and "Never a relative." in wrong.text
    right = await staff_member.post("/lesson/test-lesson-one/check", data={
        "_csrf_token": csrf_token(page.text), "item": "q1", "option": "b", "version": str(version)})
    assert "Right." in right.text
    rows = await Event.select(Event.type, Event.content_version, Event.check_question, Event.check_option,
                              Event.correct).where(Event.participant == staff_member.participant_id
                                                   ).order_by(Event.occurred_at)
    assert [(r["check_option"], bool(r["correct"])) for r in rows] == [("a", False), ("b", True)]
    assert {(r["type"], r["content_version"], r["check_question"]) for r in rows} == {
        ("check_answered", version, "q1")}


async def test_a_bad_check_form_gets_a_clear_400_and_nothing_is_recorded(course, staff_member):
    page = await staff_member.get("/lesson/test-lesson-one")
    token = csrf_token(page.text)
    for data in ({"item": "q1", "option": "z"}, {"item": "nope", "option": "a"}, {},
                 {"item": "q1", "option": "b", "version": "1"}):
        answer = await staff_member.post("/lesson/test-lesson-one/check", data={"_csrf_token": token, **data})
        assert answer.status_code == 400 and 'role="alert"' in answer.text
    assert await Event.count().where(Event.participant == staff_member.participant_id) == 0


async def test_the_phone_sends_check_answers_and_completions_and_the_server_judges_them(course, staff_member):
    version = lesson_version("test-lesson-one")
    sent = await post_events(staff_member, [
        event("check_answered", lesson_version=version, question="q1", option="b"),
        event("check_answered", lesson_version=version, question="q2", option="b"),
        event("lesson_completed", lesson_version=version),
    ])
    assert sent.status_code == 200, sent.text
    rows = await Event.select(Event.type, Event.check_question, Event.correct).where(
        Event.participant == staff_member.participant_id)
    judged = {(r["type"], r["check_question"], None if r["correct"] is None else bool(r["correct"])) for r in rows}
    assert judged == {("check_answered", "q1", True), ("check_answered", "q2", False),
                      ("lesson_completed", None, None)}


@pytest.mark.parametrize("bad", [
    {"type": "check_answered", "question": "q9", "option": "a"},  # no such question
    {"type": "check_answered", "question": "q1", "option": "z"},  # no such option
    {"type": "check_answered", "option": "a"},  # incomplete
    {"type": "lesson_completed", "question": "q1"},  # an answer's fields on a completion
    {"type": "lesson_completed", "lesson_version": 999999},  # no such lesson version
    {"type": "pause_completed", "question": "q1", "seconds": 60},  # a lesson's fields on another type
])
async def test_it_refuses_learning_events_that_do_not_fit_the_lesson(course, staff_member, bad):
    fields = {"lesson_version": lesson_version("test-lesson-one"), **bad}
    kind = fields.pop("type")
    if kind == "pause_completed":
        fields["exercise_version"] = get_catalog().exercises["doorway-pause"].version_id
    sent = await post_events(staff_member, [event(kind, **fields)])
    assert 400 <= sent.status_code < 500, sent.text
    assert await Event.count().where(Event.participant == staff_member.participant_id) == 0


async def test_a_patients_phone_cannot_send_learning_events_or_open_the_course(course, patient):
    sent = await post_events(patient, [event("lesson_completed", lesson_version=lesson_version("test-lesson-one"))])
    assert sent.status_code == 422
    assert (await patient.get(f"/learn/{COURSE}")).status_code == 404
    assert (await patient.get("/lesson/test-lesson-one")).status_code == 404


async def test_the_certificate_page_has_no_form_and_says_it_needs_javascript(course, staff_member):
    page = await staff_member.get(f"/learn/{COURSE}/certificate")
    assert page.status_code == 200
    assert "<form" not in page.text.split('<main id="main"')[1].split("</main>")[0]
    assert "The certificate needs JavaScript" in page.text
    assert "Course version 1" in page.text and "Print / save as PDF" in page.text


async def test_unknown_courses_and_lessons_are_404(course, staff_member):
    assert (await staff_member.get("/learn/no-such-course")).status_code == 404
    assert (await staff_member.get("/lesson/no-such-lesson")).status_code == 404
    assert (await staff_member.get("/learn/no-such-course/certificate")).status_code == 404


async def test_the_research_export_and_its_codebook_carry_the_learning_events(course, staff_member, researcher):
    from tests.integration.reports.test_exports import download, rows_of

    version = lesson_version("test-lesson-one")
    sent = await post_events(staff_member, [event("check_answered", lesson_version=version, question="q1", option="b"),
                                            event("lesson_completed", lesson_version=version)])
    assert sent.status_code == 200
    rows = {r["type"]: r for r in rows_of(await download(researcher, "events.csv"))
            if r["type"] in ("check_answered", "lesson_completed")}
    assert rows["check_answered"] == rows["check_answered"] | {
        "content": "test-lesson-one", "version": "1", "question": "q1", "option": "b", "correct": "1"}
    assert rows["lesson_completed"] == rows["lesson_completed"] | {
        "content": "test-lesson-one", "version": "1", "question": "", "option": "", "correct": ""}
    codebook = rows_of(await download(researcher, "codebook.csv"))
    types = next(r for r in codebook if r["file"] == "events.csv" and r["column"] == "type")
    assert "lesson_completed" in types["values"] and "check_answered" in types["values"]
    kinds = {r["kind"] for r in rows_of(await download(researcher, "content_versions.csv"))}
    assert {"elearning", "lesson"} <= kinds


async def test_her_own_data_shows_her_lessons_and_check_answers(course, staff_member):
    version = lesson_version("test-lesson-one")
    await post_events(staff_member, [event("check_answered", lesson_version=version, question="q1", option="a")])
    held = (await staff_member.get("/settings/my-data.json")).json()
    (answer,) = [e for e in held["events"] if e["type"] == "check_answered"]
    assert answer | {"exercise": "test-lesson-one", "question": "q1", "option": "a", "correct": False} == answer
    page = await staff_member.get("/settings/my-data")
    assert "Your e-learning" in page.text and "Check answer q1: a" in page.text and "(wrong)" in page.text
