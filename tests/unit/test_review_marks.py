"""The review marks every content kind shares: ``review`` (only ``awaiting``), ``verify`` and ``confirmed_on``
(a real day, not in the future, only with ``verify: true``); and the list of a document's unconfirmed checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.content.review import describe, locate, unconfirmed_checks
from server.content.validation import validate_exercise, validate_questionnaire, validate_resource
from server.lib.localtime import today

RESOURCE = {"kind": "advice", "audience": ["patient"], "serves": {"country": "DK"},
            "name": {"da": "Linjen", "en": "The line"}, "description": {"da": "Råd.", "en": "Advice."},
            "phone": "70 20 00 00"}


def problems(**fields) -> list[str]:
    return [str(p) for p in validate_resource("zz-line", {**RESOURCE, **fields})[1]]


def test_it_accepts_awaiting_and_the_marks_and_stores_the_day_as_text():
    document, found = validate_resource("zz-line", {**RESOURCE, "review": "awaiting", "verify": True,
                                                    "confirmed_on": date(2026, 12, 1)})
    assert found == [] and document.review == "awaiting" and document.confirmed_on == "2026-12-01"


@pytest.mark.parametrize(("fields", "expected"), [
    ({"review": "done"}, "review: the only value is 'awaiting'"),
    ({"review": True}, "review: the only value is 'awaiting'"),
    ({"verify": "yes"}, "verify: must be true or false"),
    ({"verify": True, "confirmed_on": "2026-02-30"}, "confirmed_on: must be a date written YYYY-MM-DD"),
    ({"verify": True, "confirmed_on": "soon"}, "confirmed_on: must be a date written YYYY-MM-DD"),
    ({"verify": True, "confirmed_on": (today() + timedelta(days=1)).isoformat()}, "confirmed_on: lies in the future"),
    ({"confirmed_on": "2026-12-01"}, "confirmed_on: only together with verify: true"),
])
def test_it_refuses_a_wrong_mark_with_a_clear_reason(fields, expected):
    assert any(p.startswith(expected) for p in problems(**fields)), problems(**fields)


def test_an_exercise_takes_the_marks_and_a_questionnaire_refuses_them():
    meta = {"kind": "mindfulness", "audience": ["patient"], "minutes": 1, "title": {"da": "T", "en": "T"},
            "summary": {"da": "S", "en": "S"}, "verify": True, "review": "awaiting",
            "steps": [{"seconds": 30, "da": "a", "en": "a"}, {"seconds": 30, "da": "b", "en": "b"}]}
    exercise, found = validate_exercise("zz-ex", meta, {"da": "x", "en": "x"})
    assert found == [] and exercise.verify and exercise.review == "awaiting"
    assert any(p.field == "review" for p in validate_questionnaire("zz-q", {"review": "awaiting"})[1])


def test_it_lists_every_unconfirmed_check_wherever_it_sits_and_finds_it_again():
    lesson = {"title": {"da": "Lektion", "en": "Lesson"}, "verify": True, "confirmed_on": "2026-12-01",
              "sections": [{"title": {"da": "Hvorfor", "en": "Why"}},
                           {"title": {"da": "Pligten", "en": "The duty"}, "verify": True,
                            "sources": [{"name": {"da": "Loven", "en": "The act"}, "verify": True}]}]}
    checks = unconfirmed_checks("lesson", lesson)
    assert [c.where for c in checks] == ["sections[2]", "sections[2].sources[1]"]
    assert [describe("lesson", c, "da") for c in checks] == ["Pligten", "Loven"]
    assert locate(lesson, "sections[2].sources[1]") is checks[1].node
    assert locate(lesson, "sections[9]") is None and locate(lesson, "nowhere") is None
    assert unconfirmed_checks("resource", {"verify": True}) and not unconfirmed_checks("resource", {"verify": False})
