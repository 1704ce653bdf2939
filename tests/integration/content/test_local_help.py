"""Local help first: on the support page a patient sees her municipality's offers before the regional and the
national ones in each section (her municipality, else her site's), never another municipality's; the
national bridges to the municipality are there for everyone; and ``pusterum demo``'s example offers live in the
demo's database only, marked as examples, never in content/."""

from __future__ import annotations

import asyncio
import re

import pytest

from server.content.export import export_content
from server.content.loader import Document
from server.content.services import import_documents, load_catalog
from server.content.validation import validate_resource
from server.demo.offers import EXAMPLES, ensure_example_offers
from server.participants import services as participants
from server.settings import get_settings
from tests.integration.content.test_support import section
from tests.integration.editor.conftest import _restore, _snapshot

KOEBENHAVN, AARHUS = "0101", "0751"  # the test clinic lies in København (Region Hovedstaden)


@pytest.fixture(autouse=True)
def published_content_restored(db):
    items, latest = asyncio.run(_snapshot())
    yield
    asyncio.run(_restore(items, latest))


async def publish(slug: str, name: str, codes: list[str], kind: str = "family") -> None:
    resource, problems = validate_resource(slug, {
        "kind": kind, "audience": ["patient"], "serves": {"municipalities": codes}, "order": 50,
        "name": {"da": name, "en": name}, "description": {"da": "Lokal hjælp.", "en": "Local help."}})
    assert resource is not None, problems
    await import_documents([Document("resource", slug, resource, slug)])
    await load_catalog()


@pytest.fixture
async def offers(actors):
    await publish("kbh-sundhedspleje", "Health visitors Copenhagen", [KOEBENHAVN])
    await publish("kbh-rusmiddel", "Drug centre Copenhagen", [KOEBENHAVN], kind="substance")
    await publish("aarhus-sundhedspleje", "Health visitors Aarhus", [AARHUS])


def names(html: str) -> list[str]:
    return re.findall(r"<h3>([^<]+)</h3>", html)


async def test_a_patient_sees_her_municipalitys_offers_first_in_their_sections_and_no_other_municipalitys(
        actors, offers):
    page = (await (await actors.patient(municipality=KOEBENHAVN)).get("/support")).text
    family, substance = names(section(page, "family")), names(section(page, "substance"))
    assert family[0] == "Health visitors Copenhagen"
    assert "The health visitor in your municipality" in family[1:]  # the national entry after hers
    assert substance[0] == "Drug centre Copenhagen"
    assert "Your municipality&#39;s alcohol and drug treatment" in substance
    assert "Local offer" in section(page, "family")
    assert "Health visitors Aarhus" not in page
    assert "1813" in page  # and her region's acute line


async def test_her_own_municipality_wins_over_her_sites(actors, offers):
    """The test clinic lies in København; a patient living in Aarhus sees Aarhus's offers, not København's."""
    page = (await (await actors.patient(municipality=AARHUS)).get("/support")).text
    assert names(section(page, "family"))[0] == "Health visitors Aarhus"
    assert "Copenhagen" not in page and "1813" not in page


async def test_a_patient_who_gave_no_municipality_sees_her_sites_local_offers_and_region(actors, offers):
    page = (await (await actors.patient(municipality=None)).get("/support")).text
    assert names(section(page, "family"))[0] == "Health visitors Copenhagen"
    assert "Health visitors Aarhus" not in page
    assert 'href="tel:1813"' in page and 'href="tel:70113131"' not in page  # her site's region only


async def test_a_visitor_without_a_code_sees_no_municipal_offer_but_every_national_bridge(outsider, offers):
    page = (await outsider.get("/support")).text
    assert "Copenhagen" not in page and "Aarhus" not in page
    for bridge in ("The health visitor in your municipality", "The municipality&#39;s advice for families",
                   "Your municipality&#39;s alcohol and drug treatment", "Home-Start Familiekontakt",
                   "ForældreTelefonen"):
        assert bridge in page


async def test_the_danish_sections_for_the_bridges_read_plainly(actors):
    page = (await (await actors.patient(lang="da")).get("/support")).text
    assert "Sundhedsplejen og kommunens familieafdeling" in page
    assert "Alkohol, stoffer og medicin" in page
    assert "Sundhedsplejen i din kommune" in section(page, "family")


async def test_the_demos_example_offers_are_marked_as_examples_and_shown_only_in_their_municipality(actors):
    assert await ensure_example_offers() == len(EXAMPLES)
    assert await ensure_example_offers() == len(EXAMPLES)  # running the demo again adds nothing new
    await load_catalog()
    here = (await (await actors.patient(municipality=KOEBENHAVN, lang="da")).get("/support")).text
    elsewhere = (await (await actors.patient(municipality=AARHUS, lang="da")).get("/support")).text
    shown = [n for n in names(here) if n.startswith("Eksempel:")]
    assert len(shown) == len(EXAMPLES)
    assert names(section(here, "family"))[0].startswith("Eksempel:")
    assert "Eksempel til demoen, ikke et rigtigt tilbud." in here
    assert "Eksempel" not in elsewhere


async def test_the_demos_example_offers_are_never_in_content_and_an_export_leaves_them_out(db, tmp_path):
    await ensure_example_offers()
    content = get_settings().content_dir
    for slug in EXAMPLES:
        assert not list(content.rglob(f"{slug}.*"))
    assert not [p for p in (content / "resources").glob("*.yaml") if "Eksempel" in p.read_text(encoding="utf-8")]
    report = await export_content(tmp_path)
    assert report.counts["resource"] > 0
    assert not [p for p in (tmp_path / "resources").glob("*.yaml") if p.stem in EXAMPLES]


async def test_a_coordinator_finds_her_local_offers_from_her_workspace(actors):
    site = await participants.ensure_site("kbh-klinik", "Klinik KBH", KOEBENHAVN)
    coordinator = await actors.coordinator(sites=[site], lang="da")
    home = (await coordinator.get("/workspace/")).text
    assert re.search(r'href="/workspace/coordinate/offers/?">Lokale tilbud</a>', home)
    listing = (await coordinator.get("/workspace/coordinate/offers/")).text
    assert "Nyt lokalt tilbud" in listing and "København" in listing
