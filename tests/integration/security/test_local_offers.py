"""A coordinator keeps her area's local offers and nothing else (ASVS 4.1.1 access enforced on the server,
4.1.2 not by anything she can change in the form, 4.1.3 least privilege, 4.1.5 failing closed, 4.2.1 no direct
object reference to content outside her reach).

Her area is the municipalities of the sites she is linked to. Under /workspace/coordinate/offers she drafts and
edits support resources that serve only those municipalities; a national or regional resource, another area's
resource (or one shared with another area), an exercise and a course answer 404 and change nothing; she cannot
move her offer into another area, and she cannot publish (here or in the editor): an editor publishes.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from server.content.loader import Document
from server.content.services import import_documents, load_catalog
from server.content.tables import ContentItem, ContentVersion
from server.content.validation import validate_resource
from server.editor.tables import ContentDraft
from server.participants import services as participants
from tests.integration.editor.conftest import _restore, _snapshot
from tests.support import csrf_token

BASE = "/workspace/coordinate/offers"
KOEBENHAVN, AARHUS = "0101", "0751"


@pytest.fixture(autouse=True)
def published_content_restored(db):
    items, latest = asyncio.run(_snapshot())
    yield
    asyncio.run(_restore(items, latest))


def offer(name: str, codes: list[str], kind: str = "family") -> dict:
    return {"kind": kind, "audience": ["patient"], "serves": {"municipalities": codes}, "order": 5,
            "name": {"da": name, "en": name}, "description": {"da": f"{name} hjælper.", "en": f"{name} helps."}}


async def publish(slug: str, data: dict) -> None:
    resource, problems = validate_resource(slug, data)
    assert resource is not None, problems
    await import_documents([Document("resource", slug, resource, slug)])
    await load_catalog()


@pytest.fixture
async def scene(actors):
    await publish("kbh-sundhedspleje", offer("Sundhedsplejen København", [KOEBENHAVN]))
    await publish("aarhus-sundhedspleje", offer("Sundhedsplejen Aarhus", [AARHUS]))
    await publish("kbh-og-aarhus", offer("Delt tilbud", [KOEBENHAVN, AARHUS]))


@pytest.fixture
async def coordinator(actors, scene):
    """Linked to one clinic, in København."""
    return await actors.coordinator(sites=[await participants.ensure_site("kbh-clinic", "Klinik KBH", KOEBENHAVN)])


def form(token: str, *, codes: tuple[str, ...] = (KOEBENHAVN,), action: str = "save", revision: str = "0",
         name: str = "Overtaget") -> dict:
    return {"_csrf_token": token, "revision": revision, "action": action, "kind": "family", "audience": "patient",
            "local_municipality": list(codes), "order": "5", "name_da": name, "name_en": name,
            "description_da": "Noget andet.", "description_en": "Something else.", "verify": "yes"}


async def token_of(client) -> str:
    return csrf_token((await client.get(BASE + "/")).text)


async def stored() -> tuple:
    """Everything a save or a publish could change: drafts and published versions."""
    return (await ContentDraft.select(ContentDraft.slug, ContentDraft.data, ContentDraft.revision).order_by(
                ContentDraft.slug).output(load_json=True),
            await ContentItem.select(ContentItem.slug, ContentItem.published_version).order_by(ContentItem.slug),
            await ContentVersion.count())


OUTSIDE = [
    pytest.param("alkolinjen", id="a national resource"),
    pytest.param("akuttelefonen-1813", id="a regional resource (her own region's)"),
    pytest.param("aarhus-sundhedspleje", id="another area's resource"),
    pytest.param("kbh-og-aarhus", id="a resource shared with another area"),
    pytest.param("breathing-space-3", id="an exercise"),
    pytest.param("mbsr-8-weeks", id="a course"),
    pytest.param("no-such-offer", id="nothing at all"),
]


@pytest.mark.parametrize("slug", OUTSIDE)
async def test_it_refuses_to_show_her_what_lies_outside_her_area(coordinator, slug):
    """ASVS 4.2.1: outside her area is 404, with nothing of it on the page."""
    for path in (f"{BASE}/{slug}", f"{BASE}/{slug}/history"):
        response = await coordinator.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "Aarhus" not in response.text and "Delt tilbud" not in response.text


@pytest.mark.parametrize("slug", OUTSIDE)
async def test_it_refuses_to_let_her_save_or_publish_what_lies_outside_her_area(coordinator, slug):
    """ASVS 4.1.1, 4.2.1: a save or a publish of anything outside her area is 404 and stores nothing."""
    token = await token_of(coordinator)
    before = await stored()
    for action in ("save", "publish"):
        response = await coordinator.post(f"{BASE}/{slug}", data=form(token, action=action))
        assert response.status_code == 404, (action, response.status_code)
    assert await stored() == before


async def test_it_refuses_to_let_her_move_her_offer_into_another_area(coordinator):
    """ASVS 4.1.2: the municipalities in the form are checked against her area, not trusted."""
    token = await token_of(coordinator)
    before = await stored()
    for codes in ((AARHUS,), (KOEBENHAVN, AARHUS), ()):
        response = await coordinator.post(f"{BASE}/kbh-sundhedspleje", data=form(token, codes=codes))
        assert response.status_code == 400, (codes, response.status_code)
        assert "only serve the municipalities where your sites are" in response.text
    autosave = await coordinator.post(f"{BASE}/kbh-sundhedspleje", data=form(token, codes=(AARHUS,)),
                                      headers={"X-Autosave": "1"})
    assert autosave.status_code == 400
    assert await stored() == before


async def test_it_refuses_to_let_her_publish_even_her_own_offer(coordinator):
    """ASVS 4.1.3: publishing is an editor's; her form has no publish button and a crafted one is 403."""
    page = await coordinator.get(f"{BASE}/kbh-sundhedspleje")
    assert page.status_code == 200 and "Sundhedsplejen København" in page.text
    assert 'value="publish"' not in page.text
    before = await stored()
    response = await coordinator.post(f"{BASE}/kbh-sundhedspleje", data=form(csrf_token(page.text), action="publish"))
    assert response.status_code == 403
    assert await stored() == before


@pytest.mark.parametrize("path", ["/workspace/content/", "/workspace/content/kbh-sundhedspleje",
                                  "/workspace/content/kbh-sundhedspleje/history"])
async def test_the_editor_itself_stays_closed_to_her(coordinator, path):
    """ASVS 4.1.3: her way in is her local offers, never the editor (where publishing is)."""
    assert (await coordinator.get(path)).status_code == 403
    token = await token_of(coordinator)
    before = await stored()
    response = await coordinator.post("/workspace/content/kbh-sundhedspleje",
                                      data={"_csrf_token": token, "action": "publish", "revision": "0"})
    assert response.status_code == 403
    assert await stored() == before


async def test_her_list_holds_her_areas_offers_only(coordinator):
    """ASVS 4.1.3: the list names what she may open, nothing else."""
    page = (await coordinator.get(BASE + "/")).text
    assert "Sundhedsplejen København" in page
    for elsewhere in ("Sundhedsplejen Aarhus", "Delt tilbud", "Alkolinjen", "1813"):
        assert elsewhere not in page


async def test_a_coordinator_with_no_sites_has_no_area(actors, scene):
    """ASVS 4.1.5: no sites linked means no municipality, not every municipality."""
    nobody = await actors.coordinator(sites=[])
    page = await nobody.get(BASE + "/")
    assert page.status_code == 200 and "Sundhedsplejen" not in page.text
    assert (await nobody.get(f"{BASE}/kbh-sundhedspleje")).status_code == 404
    before = await stored()
    made = await nobody.post(f"{BASE}/new", data={"_csrf_token": csrf_token(page.text), "slug": "mit-tilbud"})
    assert made.status_code == 400
    assert await stored() == before


async def test_she_drafts_a_new_offer_which_only_an_editor_publishes(actors, coordinator):
    """ASVS 4.1.1: what she may do works: a new draft for her municipality, saved with a version history an
    editor then publishes from the editor; patients see it only after that."""
    token = await token_of(coordinator)
    made = await coordinator.post(f"{BASE}/new", data={"_csrf_token": token, "slug": "kbh-familiehus"})
    assert made.status_code == 303 and made.headers["location"] == f"{BASE}/kbh-familiehus"
    page = await coordinator.get(made.headers["location"])
    assert page.status_code == 200 and f'value="{KOEBENHAVN}" checked' in page.text
    saved = await coordinator.post(f"{BASE}/kbh-familiehus", data=form(csrf_token(page.text), revision="1",
                                                                       name="Familiehuset"))
    assert saved.status_code == 303, saved.text
    draft = await ContentDraft.select(ContentDraft.data, ContentDraft.updated_by).where(
        ContentDraft.slug == "kbh-familiehus").output(load_json=True).first()
    assert draft["data"]["serves"] == {"municipalities": [KOEBENHAVN]}
    assert draft["updated_by"] == coordinator.account_id
    mother = await actors.patient(municipality=KOEBENHAVN)
    assert "Familiehuset" not in (await mother.get("/support")).text  # a draft is no one's yet

    editor = await actors.editor()
    edit = await editor.get("/workspace/content/kbh-familiehus")
    assert edit.status_code == 200 and "Familiehuset" in edit.text
    published = await editor.post("/workspace/content/kbh-familiehus", data={
        **form(csrf_token(edit.text), revision="2", name="Familiehuset"), "serves": "municipalities",
        "municipalities": KOEBENHAVN, "hours_da": "", "hours_en": ""} | {"action": "publish"})
    assert published.status_code == 303, published.text
    assert "Familiehuset" in (await mother.get("/support")).text
    history = await coordinator.get(f"{BASE}/kbh-familiehus/history")
    assert history.status_code == 200 and "Version 1" in history.text
    assert "Publish this version again" not in history.text  # rolling back is publishing: the editors'
    assert json.loads(json.dumps(draft["data"]["name"])) == {"da": "Familiehuset", "en": "Familiehuset"}
