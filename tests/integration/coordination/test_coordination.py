"""The coordinator's workspace: sites, units, course groups, invite codes, typed codes and the printable sheet."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from html import unescape

import httpx
import pytest

from server.accounts.tables import AuditEntry, LoginThrottle
from server.content.catalog import get_catalog
from server.participants.tables import CourseGroup, InviteCode, Participant, Site, Unit
from server.wellbeing.services import checkin_due
from tests.support import csrf_token, enrol, event, post_events

BASE = "/workspace/coordinate"


async def post_form(client: httpx.AsyncClient, path: str, fields: dict[str, str],
                    page: str = BASE) -> httpx.Response:
    token = csrf_token((await client.get(page)).text)
    return await client.post(path, data={"_csrf_token": token, **fields})


async def make_site(client, name: str = "Familieambulatoriet Øst", kind: str = "clinic",
                    municipality: str = "0101") -> int:
    response = await post_form(client, f"{BASE}/sites", {"name": name, "kind": kind, "municipality": municipality})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def make_unit(client, site_id: int, name: str = "Fødegangen") -> int:
    response = await post_form(client, f"{BASE}/sites/{site_id}/units", {"name": name})
    assert response.status_code == 303, response.text
    return (await Unit.select(Unit.id).where(Unit.name == name).first())["id"]


async def make_group(client, site_id: int, name: str = "Forårsholdet", starts_on: date | None = None) -> int:
    starts_on = starts_on or date.today() - timedelta(weeks=2)
    response = await post_form(client, f"{BASE}/sites/{site_id}/groups", {
        "name": name, "course": "mbsr-8-weeks", "starts_on": starts_on.isoformat()})
    assert response.status_code == 303, response.text
    return (await CourseGroup.select(CourseGroup.id).where(CourseGroup.name == name).first())["id"]


async def make_code(client, site_id: int, **fields: str) -> dict[str, str]:
    """Makes an invite code and reads what the page shows once: the link, a typed code, the sheet link."""
    response = await post_form(client, f"{BASE}/sites/{site_id}/codes", fields)
    assert response.status_code == 200, response.text
    text = response.text
    link = unescape(re.search(r"<code data-invite-link>([^<]+)</code>", text).group(1))
    typed = re.search(r"<code data-typed-code>([^<]+)</code>", text)
    sheet = unescape(re.search(r'href="([^"]+)" data-sheet-link', text).group(1))
    return {"link": link, "code": link.rsplit("/", 1)[1], "typed": typed.group(1) if typed else "",
            "sheet": sheet, "html": text}


def row(html: str, label: str) -> str:
    """The table row of the invite with this label."""
    for tr in html.split("<tr")[1:]:
        if f"<td>{label}</td>" in tr:
            return tr.split("</tr>")[0]
    raise AssertionError(f"no row for {label!r}")


def status_of(html: str, label: str) -> str:
    return re.search(r'data-status="([^"]+)"', row(html, label)).group(1)


def uses_of(html: str, label: str) -> str:
    return re.search(r"<td data-uses>([^<]+)</td>", row(html, label)).group(1).strip()


async def written() -> tuple[int, ...]:
    return (await Site.count(), await Unit.count(), await CourseGroup.count(), await InviteCode.count(),
            await AuditEntry.count(), tuple((r["name"], r["kind"], r["municipality_code"])
                                            for r in await Site.select().order_by(Site.id)))


async def audit_text() -> str:
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.target, AuditEntry.detail)
    return "\n".join(f"{r['action']} {r['target']} {r['detail']}" for r in rows)


# --- the story ---

async def test_a_coordinator_sets_up_a_site_and_people_join_with_its_codes(actors, coordinator):
    home = await coordinator.get("/workspace")
    assert f'href="{BASE}"' in home.text and "Sites, groups and invite codes" in home.text
    site_id = await make_site(coordinator)
    unit_id = await make_unit(coordinator, site_id)
    group_id = await make_group(coordinator, site_id)
    site = await Site.select().where(Site.id == site_id).first()
    assert site["slug"] == "familieambulatoriet-oest" and site["municipality_code"] == "0101"
    assert site["kind"] == "clinic"

    staff = await make_code(coordinator, site_id, kind="staff", unit=str(unit_id), label="Break room",
                            days="30")
    patient = await make_code(coordinator, site_id, kind="patient", group=str(group_id), label="Spring course",
                              max_uses="20")
    assert staff["link"] == f"http://testserver/u/{staff['code']}"
    assert patient["link"] == f"http://testserver/j/{patient['code']}"
    assert len(patient["code"]) >= 22  # 128 bits
    assert "no-store" in (await coordinator.get(f"{BASE}/sites/{site_id}")).headers["cache-control"]

    await actors.staff_member(staff["code"])
    mother = await actors.patient(patient["code"])
    week = await mother.get("/home")
    assert "Week 3 of 8" in week.text  # the group started two weeks ago

    listing = (await coordinator.get(f"{BASE}/sites/{site_id}")).text
    # One use each: a count of fewer than five people is not shown, here as everywhere.
    assert uses_of(listing, "Break room") == "&lt;5" and status_of(listing, "Break room") == "active"
    assert uses_of(listing, "Spring course") == "&lt;5 / 20"
    assert "Forårsholdet" in listing and "Fødegangen" in listing
    index = (await coordinator.get(BASE)).text
    assert "Familieambulatoriet Øst" in index

    nurse_row = await Participant.select().where(Participant.kind == "staff").first()
    assert nurse_row["unit"] == unit_id and nurse_row["site"] == site_id
    mother_row = await Participant.select().where(Participant.kind == "patient").first()
    assert mother_row["course_group"] == group_id
    # Codes are found by their hashes and kept only encrypted, and no code reaches the audit log.
    assert not await InviteCode.exists().where(InviteCode.code_hash.is_in([staff["code"], patient["code"]]))
    assert not await InviteCode.exists().where(InviteCode.code_sealed.like(f"%{staff['code']}%"))
    log = await audit_text()
    for action in ("site.created", "unit.created", "group.created", "invite.created"):
        assert action in log
    assert staff["code"] not in log and patient["code"] not in log


async def _people(site_id: int, n: int, *, unit: int | None = None, group: int | None = None) -> None:
    """``n`` people who joined (as enrolment would make them, without the door: only the counts matter)."""
    import uuid

    now = datetime.now(UTC)
    await Participant.insert(*[Participant(id=uuid.uuid4(), kind="staff" if unit else "patient", site=site_id,
                                           unit=unit, course_group=group, consent_version="1", consented_at=now,
                                           created_at=now) for _ in range(n)])


def count_in(html: str, name: str) -> str:
    """The participants cell (the one before the actions) of the row named ``name`` in a table."""
    cells = re.findall(r"<td>(.*?)</td>", html.split(f"<td>{name}</td>", 1)[1].split("</tr>")[0], re.S)
    return unescape(re.sub(r"<[^>]+>", "", cells[-2] if len(cells) > 1 else cells[0])).strip()


async def test_counts_of_fewer_than_five_people_are_not_shown(coordinator):
    """A unit with two nurses reads "<5", as every small count in Pusterum (server.lib.disclosure); units,
    groups and the patients in no group add up to the site's total on the index, so one more count is
    hidden ("·"), or the small one would be the total minus the rest. Uses of a code are people too."""
    site_id = await make_site(coordinator)
    small, large = await make_unit(coordinator, site_id, "Lille afsnit"), await make_unit(coordinator, site_id,
                                                                                          "Stort afsnit")
    group = await make_group(coordinator, site_id, "Holdet")
    await _people(site_id, 2, unit=small)
    await _people(site_id, 8, unit=large)  # shown as 6 to 10: the smaller of the two rows shown
    await _people(site_id, 20, group=group)
    made = await make_code(coordinator, site_id, kind="patient", label="Tre brugte")
    await InviteCode.update({InviteCode.uses: 3}).where(InviteCode.label == "Tre brugte")
    page = (await coordinator.get(f"{BASE}/sites/{site_id}")).text
    index = (await coordinator.get(BASE)).text
    assert count_in(page, "Lille afsnit") == "<5"
    assert count_in(page, "Stort afsnit") == "·"
    assert abs(int(count_in(page, "Holdet")) - 20) <= 2  # moved by at most 2, the same way every time
    assert uses_of(page, "Tre brugte") == "&lt;5" and made["code"] not in page
    assert "fewer than five people" in page and "cannot be worked out from the total" in page
    total = re.search(r"<td>(\d+)</td>\s*</tr>", index)
    assert total and abs(int(total.group(1)) - 30) <= 2
    assert (await coordinator.get(BASE)).text == index  # consistent: the same people, the same numbers


async def test_sites_units_and_groups_can_be_changed_and_the_changes_are_logged(coordinator):
    site_id = await make_site(coordinator, "Hospitalet", kind="hospital")
    unit_id = await make_unit(coordinator, site_id, "Afsnit 1")
    group_id = await make_group(coordinator, site_id, "Hold A")
    same_name = await make_site(coordinator, "Hospitalet", kind="hospital")
    assert (await Site.select(Site.slug).where(Site.id == same_name).first())["slug"] == "hospitalet-2"

    changed = await post_form(coordinator, f"{BASE}/sites/{site_id}", {
        "name": "Hospitalet Nord", "kind": "hospital", "municipality": "0751"})
    assert changed.status_code == 303
    assert (await coordinator.get(f"{BASE}/units/{unit_id}")).status_code == 200
    assert (await post_form(coordinator, f"{BASE}/units/{unit_id}", {"name": "Afsnit 2"})).status_code == 303
    assert (await coordinator.get(f"{BASE}/groups/{group_id}")).status_code == 200
    moved = await post_form(coordinator, f"{BASE}/groups/{group_id}", {
        "name": "Hold B", "course": "mbsr-8-weeks", "starts_on": "2027-01-04"})
    assert moved.status_code == 303
    site = await Site.select().where(Site.id == site_id).first()
    assert (site["name"], site["municipality_code"], site["slug"]) == ("Hospitalet Nord", "0751", "hospitalet")
    assert (await Unit.select(Unit.name).where(Unit.id == unit_id).first())["name"] == "Afsnit 2"
    group = await CourseGroup.select().where(CourseGroup.id == group_id).first()
    assert (group["name"], group["starts_on"]) == ("Hold B", date(2027, 1, 4))
    log = await audit_text()
    for action in ("site.changed", "unit.changed", "group.changed"):
        assert action in log


async def test_a_site_chooses_how_often_its_patients_are_offered_the_check_in(actors, coordinator):
    site_id = await make_site(coordinator, "Klinikken")
    assert (await Site.select(Site.checkin_every_days).where(Site.id == site_id).first()) == {
        "checkin_every_days": 14}
    refused = await post_form(coordinator, f"{BASE}/sites/{site_id}", {
        "name": "Klinikken", "kind": "clinic", "municipality": "0101", "checkin_every": "3"})
    assert refused.status_code == 400 and "from 7 to 90" in refused.text
    changed = await post_form(coordinator, f"{BASE}/sites/{site_id}", {
        "name": "Klinikken", "kind": "clinic", "municipality": "0101", "checkin_every": "28"})
    assert changed.status_code == 303
    assert 'name="checkin_every" value="28"' in (await coordinator.get(f"{BASE}/sites/{site_id}")).text
    made = await make_code(coordinator, site_id, kind="patient")
    mother = await actors.patient(made["code"])
    twenty_days_ago = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    answered = await post_events(mother, [event(
        "questionnaire_answered", questionnaire_version=get_catalog().questionnaires["who-5"].version_id,
        answers=[3, 3, 3, 3, 3], occurred_at=twenty_days_ago)])
    assert answered.status_code == 200
    participant = mother.participant_id
    assert not await checkin_due(participant)  # 20 days ago: due after 28 days here, not after 14
    assert await checkin_due(participant, now=datetime.now(UTC) + timedelta(days=9))


async def test_a_revoked_code_stops_working_and_is_shown_as_revoked(coordinator, outsider):
    site_id = await make_site(coordinator)
    made = await make_code(coordinator, site_id, kind="patient", label="To revoke")
    invite_id = (await InviteCode.select(InviteCode.id).first())["id"]
    response = await post_form(coordinator, f"{BASE}/sites/{site_id}/codes/{invite_id}/revoke", {})
    assert response.status_code == 303
    listing = (await coordinator.get(f"{BASE}/sites/{site_id}")).text
    assert status_of(listing, "To revoke") == "revoked"
    assert (await outsider.get(f"/j/{made['code']}")).status_code == 410
    sheet = await coordinator.get(made["sheet"])
    assert sheet.status_code == 410  # no sheet for a code that no longer works
    log = await audit_text()
    assert "invite.revoked" in log and made["code"] not in log


async def test_a_code_whose_uses_are_taken_is_used_up(actors, coordinator, outsider):
    site_id = await make_site(coordinator)
    made = await make_code(coordinator, site_id, kind="patient", label="Just one", max_uses="1")
    await actors.patient(made["code"])
    assert (await outsider.get(f"/j/{made['code']}")).status_code == 410
    listing = (await coordinator.get(f"{BASE}/sites/{site_id}")).text
    assert status_of(listing, "Just one") == "used up" and uses_of(listing, "Just one") == "&lt;5 / 1"
    assert "used up" in row(listing, "Just one")


async def test_an_expired_code_is_shown_as_expired(coordinator):
    site_id = await make_site(coordinator)
    await make_code(coordinator, site_id, kind="patient", label="Old", days="1")
    await InviteCode.update({InviteCode.expires_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        InviteCode.label == "Old")
    listing = (await coordinator.get(f"{BASE}/sites/{site_id}")).text
    assert status_of(listing, "Old") == "expired"


# --- typed codes ---

async def test_a_short_typed_code_works_through_join(actors, coordinator):
    site_id = await make_site(coordinator)
    group_id = await make_group(coordinator, site_id)
    made = await make_code(coordinator, site_id, kind="patient", group=str(group_id), label="Typed",
                           format="typed")
    typed = made["typed"]
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}", typed)
    assert typed.replace("-", "") not in made["link"]
    mother = await actors.outsider()
    # The short code itself is no link: /j/ is not rate-limited, so it must find nothing there.
    assert (await mother.get(f"/j/{typed.replace('-', '')}")).status_code == 404
    start = await mother.get("/", headers={"accept-language": "en"})
    assert 'href="/join"' in start.text
    form = await mother.get("/join")
    assert form.status_code == 200 and "no-store" in form.headers["cache-control"]
    response = await mother.post("/join", data={"_csrf_token": csrf_token(form.text),
                                                "code": f"  {typed.upper().replace('-', ' ')} "})
    assert response.status_code == 303
    assert response.headers["location"] == f"/j/{made['code']}"
    await enrol(mother, made["code"], lang="en")
    assert await Participant.count().where(Participant.course_group == group_id) == 1


async def test_guessing_typed_codes_is_slowed_down_kindly(coordinator, outsider):
    site_id = await make_site(coordinator)
    made = await make_code(coordinator, site_id, kind="patient", label="Typed", format="typed")
    revoked = await make_code(coordinator, site_id, kind="patient", label="Gone", format="typed")
    invite_id = (await InviteCode.select(InviteCode.id).where(InviteCode.label == "Gone").first())["id"]
    await post_form(coordinator, f"{BASE}/sites/{site_id}/codes/{invite_id}/revoke", {})
    token = csrf_token((await outsider.get("/join")).text)
    answers = []
    wrong = ["2222aaaa", "2222-aaab", "2222 AAAC", "2222aaad"]
    for code in [revoked["typed"], *wrong, "zzzzzzzz"]:
        response = await outsider.post("/join", data={"_csrf_token": token, "code": code})
        answers.append(response)
    assert [r.status_code for r in answers] == [400, 400, 400, 400, 400, 429]
    # A revoked code and one that never existed get the very same answer.
    message = answers[1].text.split('role="alert"')[1][:200]
    assert answers[0].text.split('role="alert"')[1][:200] == message
    assert "That code did not work" in message
    assert "Please wait 3 minutes" in answers[5].text
    # While she waits, even the right code waits: a refusal says nothing about the code.
    right = await outsider.post("/join", data={"_csrf_token": token, "code": made["typed"]})
    assert right.status_code == 429
    assert "Please wait" in right.text and int(right.headers["retry-after"]) > 60
    keys = [k["key"] for k in await LoginThrottle.select(LoginThrottle.key)]
    assert any(k.startswith("typed-code:") for k in keys) and not any("127.0.0.1" in k for k in keys)


@pytest.mark.parametrize("text", ["", "abc", "ab3d-9fgh-xx", "<script>", "0000oooo"])
async def test_something_that_cannot_be_a_code_is_explained_and_not_counted(outsider, text):
    token = csrf_token((await outsider.get("/join")).text)
    response = await outsider.post("/join", data={"_csrf_token": token, "code": text})
    assert response.status_code == 400
    assert "8 letters and numbers" in response.text and "<script>" not in response.text
    assert await LoginThrottle.count() == 0


# --- who may ---

COORDINATOR_GETS = ["", "/sites/{site}", "/units/{unit}", "/groups/{group}",
                    "/sites/{site}/codes/{invite}/sheet"]
COORDINATOR_POSTS = ["/sites", "/sites/{site}", "/sites/{site}/units", "/units/{unit}", "/sites/{site}/groups",
                     "/groups/{group}", "/sites/{site}/codes", "/sites/{site}/codes/{invite}/revoke"]


async def _ids(client) -> dict[str, int]:
    site_id = await make_site(client)
    unit_id = await make_unit(client, site_id)
    group_id = await make_group(client, site_id)
    await make_code(client, site_id, kind="patient", label="x")
    invite_id = (await InviteCode.select(InviteCode.id).first())["id"]
    return {"site": site_id, "unit": unit_id, "group": group_id, "invite": invite_id}


@pytest.mark.parametrize("roles", [("editor",), ("researcher",), ("editor", "researcher")])
async def test_other_roles_get_403_on_every_coordinator_page(actors, coordinator, roles):
    ids = await _ids(coordinator)
    before = await written()
    someone = await actors.account(*roles)
    home = await someone.get("/workspace")
    assert f'href="{BASE}"' not in home.text
    token = csrf_token(home.text)
    for path in COORDINATOR_GETS:
        assert (await someone.get(BASE + path.format(**ids))).status_code == 403, path
    for path in COORDINATOR_POSTS:
        response = await someone.post(BASE + path.format(**ids), data={"_csrf_token": token, "name": "X",
                                                                       "kind": "clinic"})
        assert response.status_code == 403, path
    after = await written()
    assert after[:4] == before[:4] and after[5] == before[5]


async def test_an_admin_may_coordinate_too(admin):
    assert (await admin.get(BASE)).status_code == 200
    await make_site(admin)


async def test_anonymous_visitors_are_sent_to_the_login(coordinator, outsider):
    ids = await _ids(coordinator)
    token = csrf_token((await outsider.get("/workspace/login")).text)
    for path in COORDINATOR_GETS:
        response = await outsider.get(BASE + path.format(**ids))
        assert response.status_code == 303 and response.headers["location"] == "/workspace/login", path
    for path in COORDINATOR_POSTS:
        response = await outsider.post(BASE + path.format(**ids), data={"_csrf_token": token})
        assert response.status_code == 303 and response.headers["location"] == "/workspace/login", path


# --- bad input ---

BAD = [
    ("/sites", {"name": "", "kind": "clinic"}, "Please give a name"),
    ("/sites", {"name": "   ", "kind": "clinic"}, "Please give a name"),
    ("/sites", {"name": "x" * 121, "kind": "clinic"}, "120 characters"),
    ("/sites", {"name": "Klinik", "kind": "castle"}, "hospital or a clinic"),
    ("/sites", {"name": "Klinik", "kind": "clinic", "municipality": "9999"}, "municipality from the list"),
    ("/sites/{site}", {"name": "Klinik", "kind": "clinic", "municipality": "abc"}, "municipality from the list"),
    ("/sites/{site}", {"name": "Klinik", "kind": "clinic", "ward_phone": "ring mig"}, "digits and spaces"),
    ("/sites", {"name": "Klinik", "kind": "clinic", "clinic_phone": "javascript:alert(1)"}, "digits and spaces"),
    ("/sites/{site}/units", {"name": ""}, "Please give a name"),
    ("/sites/{site}/groups", {"name": "Hold", "course": "mbsr-8-weeks", "starts_on": "next tuesday"},
     "as a date"),
    ("/sites/{site}/groups", {"name": "Hold", "course": "mbsr-8-weeks", "starts_on": "2027-02-30"}, "as a date"),
    ("/sites/{site}/groups", {"name": "Hold", "course": "mbsr-8-weeks", "starts_on": "1999-01-01"},
     "within two years"),
    ("/sites/{site}/groups", {"name": "Hold", "course": "no-such-course", "starts_on": "2027-01-04"},
     "course from the list"),
    ("/groups/{group}", {"name": "Hold", "course": "mbsr-8-weeks", "starts_on": ""}, "as a date"),
    ("/units/{unit}", {"name": ""}, "Please give a name"),
    ("/sites/{site}/codes", {"kind": "patient", "max_uses": "0"}, "number of uses"),
    ("/sites/{site}/codes", {"kind": "patient", "max_uses": "-3"}, "number of uses"),
    ("/sites/{site}/codes", {"kind": "patient", "max_uses": "many"}, "number of uses"),
    ("/sites/{site}/codes", {"kind": "patient", "days": "100000"}, "Days until it expires"),
    ("/sites/{site}/codes", {"kind": "patient", "days": "0"}, "Days until it expires"),
    ("/sites/{site}/codes", {"kind": "patient", "days": "1.5"}, "Days until it expires"),
    ("/sites/{site}/codes", {"kind": "staff"}, "belongs to a unit"),
    ("/sites/{site}/codes", {"kind": "staff", "unit": "999999"}, "belongs to a unit"),
    ("/sites/{site}/codes", {"kind": "patient", "group": "999999"}, "course group from the list"),
    ("/sites/{site}/codes", {"kind": "visitor"}, "who the code is for"),
    ("/sites/{site}/codes", {"kind": "patient", "label": "x" * 121}, "120 characters"),
]


@pytest.mark.parametrize(("path", "fields", "message"), BAD)
async def test_bad_input_is_refused_with_a_message_and_nothing_is_written(coordinator, path, fields, message):
    ids = await _ids(coordinator)
    before = await written()
    response = await post_form(coordinator, BASE + path.format(**ids), fields)
    assert response.status_code == 400, response.text[:500]
    alert = response.text.split('role="alert"')[1][:300]
    assert message in unescape(alert), alert
    assert "Traceback" not in response.text
    assert await written() == before


async def test_another_sites_unit_or_invite_cannot_be_used(coordinator):
    ids = await _ids(coordinator)
    other = await make_site(coordinator, "Other clinic")
    before = await written()
    response = await post_form(coordinator, f"{BASE}/sites/{other}/codes", {"kind": "staff", "unit": str(ids["unit"])})
    assert response.status_code == 400
    response = await post_form(coordinator, f"{BASE}/sites/{other}/codes/{ids['invite']}/revoke", {})
    assert response.status_code == 303
    assert (await coordinator.get(f"{BASE}/sites/999999")).status_code == 404
    assert await written() == before
    assert (await InviteCode.select(InviteCode.revoked_at).where(InviteCode.id == ids["invite"]).first())[
        "revoked_at"] is None


# --- the printable sheet ---

@pytest.fixture
async def codes(coordinator) -> dict[str, dict[str, str]]:
    """What the sheets print: a staff code for a unit's wall and a typed patient code, at a hospital."""
    site_id = await make_site(coordinator, "Hospitalet", kind="hospital")
    unit_id = await make_unit(coordinator, site_id, "Fødegangen")
    return {"staff": await make_code(coordinator, site_id, kind="staff", unit=str(unit_id), label="Wall"),
            "patient": await make_code(coordinator, site_id, kind="patient", label="Typed", format="typed")}


async def test_the_sheet_has_a_qr_code_and_instructions_in_both_languages(coordinator, codes):
    sheet = await coordinator.get(codes["staff"]["sheet"])
    assert sheet.status_code == 200
    assert "<svg" in sheet.text and "Fødegangen" in sheet.text and "Hospitalet" in sheet.text
    assert "Scan koden med din telefons kamera" in sheet.text
    assert "Scan the code with your phone&#39;s camera" in sheet.text or \
        "Scan the code with your phone's camera" in sheet.text
    assert 'lang="da"' in sheet.text and 'lang="en"' in sheet.text
    assert "No one at the hospital follows along while you use Pusterum" in sheet.text
    assert "Ingen fra hospitalet følger med, mens du bruger Pusterum" in sheet.text and "overvåget" not in sheet.text
    assert "css/sheet.css" in sheet.text and "no-store" in sheet.headers["cache-control"]
    css = (await coordinator.get("/static/css/sheet.css")).text
    assert "@page { size: A4; margin: 15mm; }" in css and "@media print" in css


async def test_the_sheet_of_a_typed_code_shows_the_code_and_where_to_type_it(coordinator, codes):
    patient = codes["patient"]
    typed_sheet = await coordinator.get(patient["sheet"])
    assert typed_sheet.status_code == 200 and patient["typed"] in typed_sheet.text
    assert "http://testserver/join" in typed_sheet.text
    assert "gravid" in typed_sheet.text and "pregnancy" in typed_sheet.text


async def test_the_sheet_opens_at_any_time_while_its_code_is_in_use(coordinator, codes):
    """Printed again a day (or months) later, from the site's page or an old bookmark: no short-lived token
    stands in the way, and the address names the site and the invite, never the code."""
    sheet_link = codes["staff"]["sheet"]
    assert re.fullmatch(rf"{BASE}/sites/\d+/codes/\d+/sheet", sheet_link), sheet_link
    assert codes["staff"]["code"] not in sheet_link
    later = time.time() + 3 * 24 * 3600
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: later)
        again = await coordinator.get(sheet_link)
    assert again.status_code == 200 and codes["staff"]["link"] in again.text


async def test_the_patients_sheet_prints_the_sites_phone_numbers(coordinator):
    site_id = await make_site(coordinator, "Familieambulatoriet Nord")
    form = (await coordinator.get(f"{BASE}/sites/{site_id}")).text
    saved = await coordinator.post(f"{BASE}/sites/{site_id}", data={
        "_csrf_token": csrf_token(form), "name": "Familieambulatoriet Nord", "kind": "clinic",
        "municipality": "0101", "checkin_every": "14", "clinic_phone": "33 44 55 66", "ward_phone": "77 88 99 00"})
    assert saved.status_code == 303, saved.text
    made = await make_code(coordinator, site_id, kind="patient", label="Venteværelset", format="typed")
    sheet = (await coordinator.get(made["sheet"])).text
    assert "ring til klinikken på <strong class=\"sheet-phone\">33 44 55 66</strong>" in sheet
    assert "call the clinic on <strong class=\"sheet-phone\">33 44 55 66</strong>" in sheet
    assert "77 88 99 00" in sheet and made["typed"] in sheet


@pytest.mark.parametrize("status", ["revoked", "used up", "expired"])
async def test_the_sheet_of_a_code_no_longer_in_use_says_why_instead_of_a_qr_code(coordinator, codes, status):
    staff = codes["staff"]
    change = {"revoked": {InviteCode.revoked_at: datetime.now(UTC)},
              "used up": {InviteCode.max_uses: 1, InviteCode.uses: 1},
              "expired": {InviteCode.expires_at: datetime.now(UTC) - timedelta(minutes=1)}}[status]
    await InviteCode.update(change).where(InviteCode.label == "Wall")
    sheet = await coordinator.get(staff["sheet"])
    assert sheet.status_code == 410 and f'data-reason="{status.replace(" ", "_")}"' in sheet.text
    assert "<svg" not in sheet.text and staff["code"] not in sheet.text and staff["link"] not in sheet.text
    assert {"revoked": "has been revoked", "used up": "is used up", "expired": "has expired"}[status] in sheet.text


async def test_an_invite_id_that_is_not_the_sites_opens_no_sheet(coordinator, codes):
    site_id, invite_id = map(int, re.findall(r"\d+", codes["staff"]["sheet"]))
    other = await make_site(coordinator, "Familieambulatoriet Syd")
    for path in (f"{BASE}/sites/{other}/codes/{invite_id}/sheet", f"{BASE}/sites/{site_id}/codes/0/sheet",
                 f"{BASE}/sites/{site_id}/codes/{invite_id + 999}/sheet"):
        response = await coordinator.get(path)
        assert response.status_code == 404, path
        assert codes["staff"]["code"] not in response.text
    assert codes["staff"]["code"] not in await audit_text()


async def test_no_code_reaches_the_audit_log_through_its_sheet(coordinator, codes):
    staff, patient = codes["staff"], codes["patient"]
    for code in (staff, patient):
        assert (await coordinator.get(code["sheet"])).status_code == 200
    log = await audit_text()
    assert staff["code"] not in log and patient["code"] not in log
    assert patient["typed"] not in log and patient["typed"].replace("-", "") not in log
