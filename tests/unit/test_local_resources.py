"""The support resources content/ ships (issue 18): the national bridges to the municipality, so that every
patient has somewhere to turn in every section even where no local offer exists; no municipal offer in
content/ (those are the coordinators', and the demo's examples are the demo's); and every number or fact not
yet confirmed marked to be checked."""

from __future__ import annotations

from server.content.loader import load_content_dir
from server.content.schemas import NEVER_HIDDEN, RESOURCE_KINDS, Resource
from tests.conftest import ROOT

RESULT = load_content_dir(ROOT / "content")
RESOURCES: dict[str, Resource] = {d.slug: d.content for d in RESULT.documents if d.kind == "resource"}
BRIDGES = {  # slug -> section: the help a bridge to the municipality and civil society needs
    "sundhedsplejen": "family", "kommunens-familieraadgivning": "family",
    "kommunens-rusmiddelbehandling": "substance", "home-start": "community", "foraeldretelefonen": "advice",
    "moedrehjaelpen": "community", "roede-kors-barselshus": "community", "alkolinjen": "substance",
}


def test_content_ships_no_municipal_offer():
    """Local offers are drafted by the area's coordinator and published by an editor, never shipped as files."""
    assert RESULT.problems == []
    assert [slug for slug, r in RESOURCES.items() if r.serves.municipalities] == []
    assert not [slug for slug in RESOURCES if slug.startswith("demo-") or "Eksempel" in RESOURCES[slug].name["da"]]


def test_every_bridge_is_there_in_its_section_for_patients_and_partners():
    for slug, kind in BRIDGES.items():
        resource = RESOURCES[slug]
        assert resource.kind == kind, slug
        assert {"patient", "partner"} <= set(resource.audience) or slug == "roede-kors-barselshus", slug


def test_every_patients_section_has_a_national_line_so_no_place_is_left_without_one():
    for kind in RESOURCE_KINDS:
        if kind == "workplace":
            continue  # staff only
        national = [r for r in RESOURCES.values() if r.kind == kind and "patient" in r.audience and r.serves.country]
        regional = {code for r in RESOURCES.values() if r.kind == kind for code in r.serves.regions}
        assert national or regional == {"1081", "1082", "1083", "1084", "1085"}, kind


def test_each_new_bridge_says_how_to_reach_it_and_when_and_is_marked_to_be_checked():
    """Numbers, hours and rules we could not confirm from the service's own pages carry ``verify: true``."""
    for slug in ("sundhedsplejen", "kommunens-familieraadgivning", "kommunens-rusmiddelbehandling", "home-start",
                 "foraeldretelefonen"):
        resource = RESOURCES[slug]
        assert resource.verify, slug
        assert resource.phone or resource.url or resource.hours, slug
        for lang in ("da", "en"):
            assert len(resource.description[lang]) >= 120, (slug, lang)  # whom it is for and what happens


def test_emergency_and_crisis_lines_are_never_the_ones_waiting_for_a_municipality():
    """A municipality's offer never replaces a number to call now: those stay national and have a phone."""
    for resource in RESOURCES.values():
        if resource.kind in NEVER_HIDDEN:
            assert resource.phone and not resource.serves.municipalities, resource.slug
