"""The e-learning kinds (issue 17): a course and its lessons are held to the agreed format, every problem at once,
and a published lesson or course written back to a file reads back exactly."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from server.content.export import elearning_file, lesson_file
from server.content.loader import LoadResult, load_content_dir, load_file
from server.content.validation import validate_elearning, validate_lesson
from tests.learning import FIXTURE

LESSON = yaml.safe_load((FIXTURE / "lessons" / "test-lesson-one.yaml").read_text())
COURSE = yaml.safe_load((FIXTURE / "elearning" / "test-learning.yaml").read_text())


def problems(data: dict) -> list[str]:
    return [str(p) for p in validate_lesson("a-lesson", data)[1]]


def test_the_fixture_course_is_valid_and_keeps_review_verify_and_confirmed_on():
    loaded = load_content_dir(FIXTURE)
    assert loaded.ok, loaded.problems
    lessons = loaded.by_kind("lesson")
    assert lessons["test-lesson-one"].sections[1].verify is True
    assert lessons["test-lesson-one"].sources[0].verify is True
    assert lessons["test-lesson-two"].sections[1].confirmed_on == "2026-12-01"
    awaiting, found = validate_lesson("a-lesson", {**LESSON, "review": "awaiting"})
    assert found == [] and awaiting.review == "awaiting"
    assert validate_elearning("a-course", {**COURSE, "review": "awaiting"})[0].review == "awaiting"


def test_it_reports_every_problem_of_a_lesson_at_once():
    bad = copy.deepcopy(LESSON)
    bad["minutes"] = 12
    bad["title"]["da"] = "x" * 61
    bad["sections"] = bad["sections"][:1]
    bad["cases"][0]["options"][0]["best"] = True  # two best options
    bad["check"][0]["options"][1]["correct"] = False  # no correct option
    bad["check"][1]["id"] = "q1"  # an id used twice
    bad["sources"][0]["url"] = "http://www.sst.dk/"
    bad["colour"] = "blue"
    found = problems(bad)
    for expected in ("minutes: must lie between 2 and 10 (got 12)", "title.da: too long (61 characters, at most 60)",
                     "sections: must be a list of 2–8 sections",
                     "cases[1].options: exactly one option must be marked best",
                     "check[1].options: exactly one option must be marked correct", "check[2].id: 'q1' is used twice",
                     "sources[1].url: must be a full https:// address", "colour: unknown field"):
        assert any(p.startswith(expected) for p in found), (expected, found)


def test_plain_text_fields_refuse_markdown_and_html_but_a_section_body_is_markdown():
    bad = copy.deepcopy(LESSON)
    bad["cases"][0]["situation"]["en"] = "She says <b>no</b>."
    bad["check"][0]["question"]["da"] = "Hvem er **vigtig**?"
    found = problems(bad)
    assert "cases[1].situation.en: plain text only: no Markdown or HTML" in found
    assert "check[1].question.da: plain text only: no Markdown or HTML" in found
    assert not any(p.startswith("sections") for p in found)  # "**alone**" in a body is fine


def test_it_refuses_a_missing_translation_a_bad_date_and_an_unknown_review_state():
    bad = copy.deepcopy(LESSON)
    del bad["check"][0]["explanation"]["en"]
    bad["sections"][0]["confirmed_on"] = "last tuesday"
    bad["review"] = "maybe"
    found = problems(bad)
    assert "check[1].explanation.en: missing translation" in found
    assert "sections[1].confirmed_on: must be a date written YYYY-MM-DD" in found
    assert any(p.startswith("review: the only value is 'awaiting'") for p in found)


def test_a_course_names_one_to_eight_lessons_each_once():
    assert validate_elearning("a-course", {**COURSE, "lessons": []})[1]
    assert validate_elearning("a-course", {**COURSE, "lessons": [f"lesson-{i}" for i in range(9)]})[1]
    twice = validate_elearning("a-course", {**COURSE, "lessons": ["lesson-1", "lesson-1"]})[1]
    assert [str(p) for p in twice] == ["lessons: a lesson is named twice"]


def test_a_lesson_and_its_course_must_name_each_other(tmp_path):
    for folder in ("elearning", "lessons"):
        (tmp_path / folder).mkdir()
        for path in (FIXTURE / folder).glob("*.yaml"):
            (tmp_path / folder / path.name).write_text(path.read_text())
    (tmp_path / "elearning" / "test-learning.yaml").write_text(
        (FIXTURE / "elearning" / "test-learning.yaml").read_text().replace(", test-lesson-two", ", no-such-lesson"))
    found = [(path, str(p)) for path, p in load_content_dir(tmp_path).problems]
    assert ("elearning/test-learning.yaml", "lessons: no lesson named 'no-such-lesson'") in found
    assert ("lessons/test-lesson-two.yaml", "course: the course 'test-learning' does not list this lesson") in found


def _round_trip(tmp_path: Path, kind: str, folder: str, slug: str, text: str):
    path = tmp_path / folder / f"{slug}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    result = LoadResult()
    load_file(path, kind, path.name, result)
    assert result.problems == [], (result.problems, text)
    return result.documents[0].content


def test_a_lesson_and_a_course_round_trip_exactly_through_export(tmp_path):
    tricky = copy.deepcopy(LESSON)
    tricky["review"] = "awaiting"
    tricky["sections"][0]["body"]["da"] = "Første *afsnit*: \"citat\".\n\n- punkt: et\n- yes\n\n# Overskrift"
    tricky["cases"][0]["options"][0]["text"]["en"] = "yes"
    tricky["check"][0]["options"][0]["text"]["da"] = "2024-05-01"
    tricky["sources"][0]["verify"], tricky["sources"][0]["confirmed_on"] = True, "2026-12-01"
    lesson, found = validate_lesson("test-lesson-one", tricky)
    assert found == []
    assert _round_trip(tmp_path, "lesson", "lessons", "test-lesson-one", lesson_file(lesson)) == lesson
    course = validate_elearning("test-learning", {**COURSE, "review": "awaiting"})[0]
    assert _round_trip(tmp_path, "elearning", "elearning", "test-learning", elearning_file(course)) == course
