"""A coordinator answers for her own sites only: the coordination pages keep every other site from her
(ASVS 4.1.1 access enforced on the server, 4.1.2 not by anything she can change, 4.1.3 least privilege,
4.1.5 failing closed, 4.2.1 no direct object reference to another site's records).

An admin links a coordinator to sites (AccountSite). Under /workspace/coordinate she may see and change
those sites, their units, course groups and invite codes, and no others: any page or action about
another site answers 404, shows nothing of it (not even its name or participant counts) and changes no
row. An admin still reaches every site; a site she creates herself becomes hers. The annual report's
commentary is keyed by exactly the sites it is about: she writes only notes about sites that are all
hers, never the admins' notes about every site, and saving one note never removes another.

Each POST carries a valid CSRF token and a form that works for someone allowed to send it: the same
cases run as an admin and succeed, so a refusal here is about the site, not about the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from server.accounts import services as accounts
from server.coordination import services as coordination
from server.coordination.schemas import InviteForm
from server.participants import services as participants
from server.participants.tables import CourseGroup, InviteCode, Participant, Site, Unit
from tests.support import csrf_token

BASE = "/workspace/coordinate"
OWN_NAME = "Klinikken i Byen"
OTHER_NAME = "Hospitalet ved Fjorden"
STARTED = date.today() - timedelta(weeks=2)


@dataclass(frozen=True)
class Scene:
    own: int  # the site she is linked to
    site: int  # another site, with a unit, a course group, an invite code and a participant
    unit: int
    group: int
    invite: int


@pytest.fixture
async def scene(actors) -> Scene:
    own = await participants.ensure_site("own-site", OWN_NAME, "0101")
    site = await participants.ensure_site("other-site", OTHER_NAME, "0101")
    unit = await participants.ensure_unit(site, "other-unit", "Fjordafsnittet")
    group = await participants.ensure_group(site, "other-group", "Fjordholdet", "mbsr-8-weeks", STARTED)
    invite = await coordination.create_site_invite(None, site, InviteForm(kind="patient", group=group,
                                                                          label="Fjord poster"))
    await actors.patient(await participants.create_invite(kind="patient", site_id=site, course_group_id=group))
    return Scene(own, site, unit, group, invite.id)


@pytest.fixture
async def coordinator(actors, scene):
    """Here she is linked to her own site only (as the command line would link her)."""
    return await actors.coordinator(sites=[scene.own])


async def send(client, method: str, path: str, fields: dict[str, str] | None):
    if method == "GET":
        return await client.get(path)
    token = csrf_token((await client.get(BASE)).text)
    return await client.post(path, data={"_csrf_token": token, **(fields or {})})


async def rows() -> tuple:
    """Everything a coordinator could change about sites, units, groups, invite codes and participants."""
    return (await Site.select(Site.id, Site.name, Site.kind, Site.municipality_code, Site.checkin_every_days,
                              Site.ward_phone, Site.clinic_phone).order_by(Site.id),
            await Unit.select(Unit.id, Unit.site, Unit.name).order_by(Unit.id),
            await CourseGroup.select(CourseGroup.id, CourseGroup.site, CourseGroup.name, CourseGroup.course_slug,
                                     CourseGroup.starts_on).order_by(CourseGroup.id),
            await InviteCode.select(InviteCode.id, InviteCode.site, InviteCode.revoked_at).order_by(InviteCode.id),
            await Participant.count())


SITE_FORM = {"name": OTHER_NAME, "kind": "clinic", "municipality": "0101", "checkin_every": "14"}
GROUP_FORM = {"name": "Fjordholdet", "course": "mbsr-8-weeks", "starts_on": STARTED.isoformat()}

PAGES = [
    pytest.param("/sites/{site}", id="the site page with its participant counts"),
    pytest.param("/units/{unit}", id="a unit page"),
    pytest.param("/groups/{group}", id="a course group page"),
    pytest.param("/sites/{site}/codes/{invite}/sheet", id="the printable sheet of an invite code"),
]
ACTIONS = [
    pytest.param("/sites/{site}", {**SITE_FORM, "name": "Taken over"}, id="renaming the site"),
    pytest.param("/sites/{site}", {**SITE_FORM, "checkin_every": "28"}, id="changing the check-in interval"),
    pytest.param("/sites/{site}", {**SITE_FORM, "ward_phone": "70 00 00 00", "clinic_phone": "70 00 00 01"},
                 id="setting the numbers her patients call (ward and clinic)"),
    pytest.param("/sites/{site}/units", {"name": "Indtrængerafsnittet"}, id="adding a unit"),
    pytest.param("/sites/{site}/groups", {**GROUP_FORM, "name": "Indtrængerholdet"}, id="adding a course group"),
    pytest.param("/sites/{site}/codes", {"kind": "patient", "group": "{group}", "label": "Mine now",
                                         "max_uses": "50"}, id="making a patient code"),
    pytest.param("/sites/{site}/codes", {"kind": "staff", "unit": "{unit}", "label": "Break room"},
                 id="making a staff code"),
    pytest.param("/sites/{site}/codes/{invite}/revoke", {}, id="revoking an invite code"),
    pytest.param("/units/{unit}", {"name": "Omdøbt afsnit"}, id="renaming a unit"),
    pytest.param("/groups/{group}", {**GROUP_FORM, "name": "Omdøbt hold"}, id="renaming a course group"),
    pytest.param("/groups/{group}", {**GROUP_FORM, "starts_on": (STARTED + timedelta(weeks=6)).isoformat()},
                 id="moving a course group's start"),
]


def fill(text: str, scene: Scene) -> str:
    return text.format(site=scene.site, unit=scene.unit, group=scene.group, invite=scene.invite, own=scene.own)


def filled(fields: dict[str, str], scene: Scene) -> dict[str, str]:
    return {key: fill(value, scene) for key, value in fields.items()}


# --- a coordinator and another site ---

@pytest.mark.parametrize("path", [*PAGES, pytest.param("/sites/{own}/codes/{invite}/sheet",
                                                       id="another site's invite sheet under her own site")])
async def test_it_refuses_to_show_her_another_sites_page(coordinator, scene, path):
    """ASVS 4.2.1: another site's pages (and its sheets) are 404, with nothing of it on them."""
    response = await send(coordinator, "GET", BASE + fill(path, scene), None)
    assert response.status_code == 404, response.status_code
    assert OTHER_NAME not in response.text and "Fjord" not in response.text


@pytest.mark.parametrize(("path", "fields"), ACTIONS)
async def test_it_refuses_to_let_her_change_another_site(coordinator, scene, path, fields):
    """ASVS 4.1.1, 4.2.1: creating, renaming, revoking or moving anything of another site is 404 and
    changes no row."""
    before = await rows()
    response = await send(coordinator, "POST", BASE + fill(path, scene), filled(fields, scene))
    after = await rows()
    assert response.status_code == 404, response.status_code
    assert after == before


async def test_it_refuses_to_list_another_site_on_her_index(coordinator):
    """ASVS 4.1.3: her index lists her sites only."""
    index = await coordinator.get(BASE)
    assert index.status_code == 200
    assert OWN_NAME in index.text
    assert OTHER_NAME not in index.text


async def test_it_refuses_every_site_to_a_coordinator_with_none_linked(actors, scene):
    """ASVS 4.1.5: no sites linked means no site, not every site."""
    coordinator = await actors.coordinator(sites=[])
    index = await coordinator.get(BASE)
    own = await coordinator.get(f"{BASE}/sites/{scene.own}")
    assert index.status_code == 200
    assert OWN_NAME not in index.text and OTHER_NAME not in index.text
    assert own.status_code == 404


# --- what she and an admin still reach ---

async def test_she_reaches_and_changes_her_own_site(coordinator, scene):
    """ASVS 4.1.1: the refusals above are about the site, not about her: her own site works."""
    page = await coordinator.get(f"{BASE}/sites/{scene.own}")
    renamed = await send(coordinator, "POST", f"{BASE}/sites/{scene.own}", {**SITE_FORM, "name": "Klinikken Nord"})
    assert page.status_code == 200 and OWN_NAME in page.text
    assert renamed.status_code == 303
    assert (await Site.select(Site.name).where(Site.id == scene.own).first())["name"] == "Klinikken Nord"


async def test_she_can_open_a_site_she_creates_herself(coordinator):
    """ASVS 4.1.1: a site she makes is hers from then on."""
    created = await send(coordinator, "POST", f"{BASE}/sites", {"name": "Min Nye Klinik", "kind": "clinic",
                                                                "municipality": "0101"})
    assert created.status_code == 303, created.text
    page = await coordinator.get(created.headers["location"])
    unit = await send(coordinator, "POST", created.headers["location"] + "/units", {"name": "Venteværelset"})
    index = await coordinator.get(BASE)
    assert page.status_code == 200 and "Min Nye Klinik" in page.text
    assert unit.status_code == 303
    assert "Min Nye Klinik" in index.text


async def test_a_site_she_creates_herself_is_linked_to_her(coordinator, scene):
    """ASVS 4.1.3: making a site links her to that site, and to no other."""
    created = await send(coordinator, "POST", f"{BASE}/sites", {"name": "Min Nye Klinik", "kind": "clinic",
                                                                "municipality": "0101"})
    assert created.status_code == 303, created.text
    site_id = int(created.headers["location"].rsplit("/", 1)[1])
    linked = await accounts.sites_of(coordinator.account_id)
    assert linked == tuple(sorted((scene.own, site_id)))


async def test_an_admin_sees_every_site_on_the_index(admin, scene):
    """ASVS 4.1.1: an admin's reach is every site."""
    index = await admin.get(BASE)
    assert index.status_code == 200
    assert OWN_NAME in index.text and OTHER_NAME in index.text


@pytest.mark.parametrize("path", PAGES)
async def test_an_admin_still_sees_every_sites_page(admin, scene, path):
    """ASVS 4.1.1: the same pages open for an admin, so the refusals are about the site."""
    response = await send(admin, "GET", BASE + fill(path, scene), None)
    assert response.status_code == 200, response.text
    assert OTHER_NAME in response.text


@pytest.mark.parametrize(("path", "fields"), ACTIONS)
async def test_an_admin_still_changes_every_site(admin, scene, path, fields):
    """ASVS 4.1.1: the same actions work for an admin, so the refusals are about the site."""
    before = await rows()
    response = await send(admin, "POST", BASE + fill(path, scene), filled(fields, scene))
    after = await rows()
    assert response.status_code in (200, 303), response.text
    assert after != before


# --- the annual report's notes about every site (keyed "all") are the admins' and researchers' ---

ANNUAL = "/workspace/reports/annual"
THEIRS = "Notes about the whole hospital, by an admin."


async def _write_notes(client, query: str, text: str):
    page = await client.get(f"{ANNUAL}?{query}")
    return await client.post(f"{ANNUAL}?{query}", data={"_csrf_token": csrf_token(page.text), "summary": text})


async def test_a_site_she_names_all_does_not_reach_the_notes_about_every_site(actors):
    """ASVS 4.1.2, 4.2.1: naming a site "All" does not make its notes the notes about every site."""
    from server.reports.tables import AnnualNote

    year = date.today().year
    admin = await actors.admin()
    assert (await _write_notes(admin, f"year={year}", THEIRS)).status_code == 303
    coordinator = await actors.coordinator(sites=[])
    page = await coordinator.get(f"{BASE}/")
    made = await coordinator.post(f"{BASE}/sites", data={"_csrf_token": csrf_token(page.text), "name": "All",
                                                          "kind": "clinic", "municipality": "0101"})
    assert made.status_code == 303
    slug = (await Site.select(Site.slug).where(Site.name == "All").first())["slug"]
    assert slug != "all"
    assert (await _write_notes(coordinator, f"year={year}&site={slug}", "TAKEN OVER")).status_code == 303
    assert THEIRS not in (await coordinator.get(f"{ANNUAL}?year={year}&site={slug}")).text
    kept = await AnnualNote.select(AnnualNote.body).where(AnnualNote.scope == "all").first()
    assert kept["body"] == THEIRS


async def test_a_coordinator_with_no_sites_neither_reads_nor_writes_the_notes_about_every_site(actors):
    """ASVS 4.1.5: with no sites she has no notes to read or write, least of all the admins'."""
    from server.reports.tables import AnnualNote

    year = date.today().year
    admin = await actors.admin()
    assert (await _write_notes(admin, f"year={year}", THEIRS)).status_code == 303
    coordinator = await actors.coordinator(sites=[])
    assert THEIRS not in (await coordinator.get(f"{ANNUAL}?year={year}")).text
    assert (await _write_notes(coordinator, f"year={year}", "TAKEN OVER")).status_code == 403
    assert [r["body"] for r in await AnnualNote.select(AnnualNote.body)] == [THEIRS]


async def test_her_new_code_form_takes_nothing_from_another_sites_code(coordinator, scene):
    """ASVS 4.2.1: the site page fills the new-code form from a code of hers (``?like=``) only; another
    site's code id there fills nothing, tells nothing of it, and a value that is no id is a 400."""
    page = await coordinator.get(f"{BASE}/sites/{scene.own}", params={"like": scene.invite})
    assert page.status_code == 200
    assert "Fjord" not in page.text and OTHER_NAME not in page.text
    assert 'id="invite-kind-patient" name="kind" value="patient" checked' in page.text
    assert (await coordinator.get(f"{BASE}/sites/{scene.own}", params={"like": "x"})).status_code == 400


async def test_she_neither_reads_nor_writes_notes_about_sites_that_are_not_all_hers(actors, scene):
    """ASVS 4.1.1, 4.2.1: notes about two sites belong to those two sites together: a coordinator of one of
    them cannot ask for them (400), reads none of them, and her own notes about her one site are others."""
    from server.reports.tables import AnnualNote

    year = date.today().year
    both = f"year={year}&site=own-site&site=other-site"
    of_both = await actors.coordinator(sites=[scene.own, scene.site])
    assert (await _write_notes(of_both, both, THEIRS)).status_code == 303
    of_one = await actors.coordinator(sites=[scene.own])
    read = await of_one.get(f"{ANNUAL}?{both}")
    page = await of_one.get(f"{ANNUAL}?year={year}&site=own-site")
    written = await of_one.post(f"{ANNUAL}?{both}", data={"_csrf_token": csrf_token(page.text), "summary": "MINE"})
    assert read.status_code == 400 and THEIRS not in read.text
    assert written.status_code == 400
    assert THEIRS not in page.text
    assert (await _write_notes(of_one, f"year={year}&site=own-site", "Om vores klinik")).status_code == 303
    notes = await AnnualNote.select(AnnualNote.scope, AnnualNote.body).order_by(AnnualNote.scope)
    assert sorted((n["scope"], n["body"]) for n in notes) == sorted([
        (",".join(map(str, sorted((scene.own, scene.site)))), THEIRS), (str(scene.own), "Om vores klinik")])


async def test_a_coordinator_of_every_site_still_does_not_reach_the_notes_about_every_site(actors, scene):
    """ASVS 4.1.3: the notes about every site ("all") are the admins', also for a coordinator who happens to
    be linked to every site: hers are keyed by her sites."""
    from server.reports.tables import AnnualNote

    year = date.today().year
    admin = await actors.admin()
    assert (await _write_notes(admin, f"year={year}", THEIRS)).status_code == 303
    everywhere = await actors.coordinator(sites=[scene.own, scene.site])
    assert THEIRS not in (await everywhere.get(f"{ANNUAL}?year={year}")).text
    assert (await _write_notes(everywhere, f"year={year}", "TAKEN OVER")).status_code == 303
    kept = await AnnualNote.select(AnnualNote.body).where(AnnualNote.scope == "all")
    assert [r["body"] for r in kept] == [THEIRS]


NO_ROW = "99999999999999"  # more than an INTEGER id column holds on PostgreSQL


@pytest.mark.parametrize(("method", "path", "fields"), [
    pytest.param("GET", f"/sites/{NO_ROW}", None, id="a site page"),
    pytest.param("GET", f"/units/{NO_ROW}", None, id="a unit page"),
    pytest.param("GET", f"/groups/{NO_ROW}", None, id="a course group page"),
    pytest.param("POST", f"/sites/{NO_ROW}", SITE_FORM, id="renaming a site"),
    pytest.param("POST", f"/units/{NO_ROW}", {"name": "Omdøbt"}, id="renaming a unit"),
    pytest.param("POST", f"/groups/{NO_ROW}", GROUP_FORM, id="changing a course group"),
    pytest.param("POST", f"/sites/{{own}}/codes/{NO_ROW}/revoke", {}, id="revoking a code"),
])
async def test_an_id_that_cannot_be_a_row_is_not_found_and_changes_nothing(coordinator, scene, method, path, fields):
    """ASVS 4.1.5, 5.1.3: a number too large for an id names nothing: 404 (never a 5xx from the database),
    nothing changed."""
    before = await rows()
    response = await send(coordinator, method, BASE + path.format(own=scene.own), fields)
    assert response.status_code in ((303, 404) if path.endswith("/revoke") else (404,)), response.status_code
    assert await rows() == before


@pytest.mark.parametrize("fields", [
    pytest.param({"kind": "staff", "unit": NO_ROW}, id="a staff code for a unit that cannot be"),
    pytest.param({"kind": "patient", "group": NO_ROW}, id="a patient code for a group that cannot be"),
])
async def test_a_code_for_a_unit_or_group_that_cannot_be_is_explained(coordinator, scene, fields):
    """ASVS 5.1.3: the form's ids are bounded like the rows they name: 400 with a message, nothing made."""
    before = await rows()
    response = await send(coordinator, "POST", f"{BASE}/sites/{scene.own}/codes", fields)
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert await rows() == before
    page = await coordinator.get(f"{BASE}/sites/{scene.own}", params={"like": NO_ROW})
    assert page.status_code == 200
