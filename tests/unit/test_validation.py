"""Content rules that protect patients: breath holds, honest durations, both languages."""

from __future__ import annotations

import copy

from server.content.schemas import Step
from server.content.validation import validate_exercise, validate_resource

META = {
    "kind": "mindfulness", "audience": ["patient"], "minutes": 1, "tags": ["short"],
    "title": {"da": "Prøve", "en": "Trial"}, "summary": {"da": "Kort", "en": "Short"},
    "steps": [{"seconds": 30, "da": "Et.", "en": "One."}, {"seconds": 30, "da": "To.", "en": "Two."}],
}
BODY = {"da": "Tekst", "en": "Text"}


def problems(meta: dict, body: dict = BODY) -> list[str]:
    return [str(p) for p in validate_exercise("trial", meta, body)[1]]


def test_a_valid_exercise_has_no_problems():
    doc, found = validate_exercise("trial", META, BODY)
    assert found == []
    assert doc.steps[0] == Step(seconds=30, text={"da": "Et.", "en": "One."}, breathing=None)


def test_it_refuses_a_breath_hold_over_four_seconds():
    meta = copy.deepcopy(META)
    meta["steps"][0]["breathing"] = {"inhale": 4, "hold": 7, "exhale": 6}
    assert "steps[1].breathing.hold: must lie between 0 and 4 (got 7)" in problems(meta)


def test_it_refuses_steps_that_do_not_fit_the_stated_minutes():
    meta = {**META, "minutes": 10}
    assert any(p.startswith("steps: the steps last 60 s") for p in problems(meta))


def test_it_requires_a_contact_block_for_pain_coping():
    assert any(p.startswith("contact_if:") for p in problems({**META, "kind": "pain_coping"}))


def test_it_reports_all_problems_at_once():
    meta = {**META, "kind": "yoga", "minutes": "ten", "tags": ["nope"], "title": {"da": "x" * 41}}
    found = problems(meta, {"da": "Tekst"})
    assert {p.split(":")[0] for p in found} >= {"kind", "minutes", "tags", "title.da", "title.en", "body.en"}


def test_it_refuses_a_non_https_resource_url_and_a_bad_phone():
    _, found = validate_resource("x-line", {"category": "crisis", "name": {"da": "a", "en": "a"},
                                           "description": {"da": "b", "en": "b"}, "phone": "ring 112",
                                           "url": "javascript:alert(1)"})
    assert {p.field for p in found} == {"phone", "url"}
