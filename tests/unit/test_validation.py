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


LINE = {"kind": "crisis", "audience": ["patient"], "serves": {"country": "DK"}, "name": {"da": "a", "en": "a"},
        "description": {"da": "b", "en": "b"}, "phone": "70 201 201"}


def test_it_refuses_a_non_https_resource_url_and_a_bad_phone():
    _, found = validate_resource("x-line", LINE | {"phone": "ring 112", "url": "javascript:alert(1)"})
    assert {p.field for p in found} == {"phone", "url"}


def test_it_refuses_a_resource_of_an_unknown_kind_naming_the_kinds_it_knows():
    _, found = validate_resource("x-line", LINE | {"kind": "hotline"})
    assert [p.field for p in found] == ["kind"]
    assert "'hotline'" in found[0].reason
    assert "emergency, acute, clinic, crisis, violence, family, advice" in found[0].reason


def test_it_refuses_an_unknown_region_or_municipality_code_naming_the_code():
    _, found = validate_resource("x-line", LINE | {"serves": {"regions": ["1084", "1086"]}})
    assert [str(p) for p in found] == ["serves.regions: unknown region code '1086' (known: 1081 Region Nordjylland, "
                                       "1082 Region Midtjylland, 1083 Region Syddanmark, 1084 Region Hovedstaden, "
                                       "1085 Region Sjælland)"]
    _, found = validate_resource("x-line", LINE | {"serves": {"municipalities": ["0101", "9999"]}})
    assert [p.field for p in found] == ["serves.municipalities"] and "'9999'" in found[0].reason


def test_it_wants_exactly_one_kind_of_place_and_an_audience():
    _, found = validate_resource("x-line", {k: v for k, v in LINE.items() if k != "audience"}
                                 | {"serves": {"country": "DK", "regions": ["1084"]}})
    assert {p.field for p in found} == {"serves", "audience"}


def test_an_emergency_or_crisis_line_must_have_a_number_and_a_site_number_excludes_its_own():
    _, found = validate_resource("x-line", {k: v for k, v in LINE.items() if k != "phone"})
    assert [p.field for p in found] == ["phone"]
    _, found = validate_resource("x-line", LINE | {"kind": "clinic", "site_phone": "ward"})
    assert [p.field for p in found] == ["site_phone"]
    document, found = validate_resource("x-line", LINE | {"kind": "clinic", "phone": None, "site_phone": "ward"})
    assert found == [] and document.site_phone == "ward"
