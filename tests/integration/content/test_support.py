"""The support pages: help that fits where she lives, the site's own numbers as call buttons, crisis lines
apart from advice lines, and a page of their own for staff."""

from __future__ import annotations

import re

from server.participants import services as participants
from tests.support import csrf_token, make_invite

BASE = "/workspace/coordinate"
MIDTJYLLAND = "0751"  # Aarhus, Region Midtjylland
HOVEDSTADEN = "0101"  # København, Region Hovedstaden (the test clinic's municipality)


def section(html: str, kind: str) -> str:
    """The text of one section of the support page (``<section aria-labelledby="res-<kind>">``)."""
    found = re.search(rf'<section class="resources" aria-labelledby="res-{kind}">(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def calls(html: str) -> set[str]:
    return set(re.findall(r'href="tel:([^"]+)"', html))


async def test_1813_is_shown_in_region_hovedstaden_only_and_midtjylland_gets_its_own_lagevagt(actors):
    capital = await actors.patient(municipality=HOVEDSTADEN)
    aarhus = await actors.patient(municipality=MIDTJYLLAND)
    here, there = (await capital.get("/support")).text, (await aarhus.get("/support")).text
    assert "1813" in calls(here) and "70113131" not in calls(here)
    assert "1813" not in calls(there) and "1813" not in there
    assert "70113131" in calls(there)
    assert "Region Midtjylland" in there  # she is told whose numbers these are
    assert "112" in calls(here) and "112" in calls(there)


async def test_her_municipality_wins_over_her_sites_region_and_without_one_the_sites_region_is_used(actors):
    """The test clinic lies in København: a patient from Aarhus gets Aarhus's line, one who gave no
    municipality gets the clinic's region's."""
    from_aarhus = await actors.patient(municipality=MIDTJYLLAND)
    no_answer = await actors.patient(municipality=None)
    assert "70113131" in calls((await from_aarhus.get("/support")).text)
    unsaid = (await no_answer.get("/support")).text
    assert "1813" in calls(unsaid) and "70113131" not in calls(unsaid)


async def test_a_visitor_without_a_code_sees_every_regions_acute_line_named_by_its_region(outsider):
    page = (await outsider.get("/support")).text
    acute = section(page, "acute")
    assert {"1813", "1818", "70113131", "70110707", "70150300"} <= calls(acute)
    for region in ("Region Hovedstaden", "Region Sjælland", "Region Midtjylland", "Region Syddanmark",
                   "Region Nordjylland"):
        assert region in acute


async def test_lev_uden_vold_is_there_as_help_with_violence_and_psykiatrifonden_is_advice_not_crisis(patient):
    page = (await patient.get("/support")).text
    violence = section(page, "violence")
    assert "Lev Uden Vold" in violence and "1888" in calls(violence) and "Day and night" in violence
    crisis, advice = section(page, "crisis"), section(page, "advice")
    assert "Livslinien" in crisis and "Psykiatrifonden" not in crisis
    assert "Psykiatrifonden" in advice and "39252525" in calls(advice)
    assert "11 am" in crisis  # Livslinien's hours are shown


async def test_an_unconfirmed_crisis_number_is_shown_with_a_being_checked_note_and_112_without(patient):
    page = (await patient.get("/support")).text
    crisis, emergency = section(page, "crisis"), section(page, "emergency")
    assert "70201201" in calls(crisis) and "The number is being checked." in crisis
    assert "112" in calls(emergency) and "being checked" not in emergency


async def test_the_monitoring_sentence_on_the_support_page_has_no_surveillance_words(actors):
    page = (await (await actors.patient(lang="da")).get("/support")).text
    assert "Ingen fra hospitalet følger med, mens du bruger Pusterum" in page
    assert "overvåg" not in page.split("<main")[1].split("</main>")[0]


async def test_the_sites_numbers_become_call_buttons_after_her_coordinator_saves_them(actors, coordinator):
    mother = await actors.patient(await make_invite())
    before = (await mother.get("/support")).text
    assert "Call the ward" not in before and "The number is in your pregnancy record." in before
    page = await coordinator.get(f"{BASE}/sites/{coordinator.site_id}")
    assert 'name="ward_phone"' in page.text and 'name="clinic_phone"' in page.text
    saved = await coordinator.post(f"{BASE}/sites/{coordinator.site_id}", data={
        "_csrf_token": csrf_token(page.text), "name": "Test clinic", "kind": "clinic", "municipality": "0101",
        "checkin_every": "14", "ward_phone": " 38 63  50 00 ", "clinic_phone": "+45 38 63 50 10"})
    assert saved.status_code == 303, saved.text
    after = (await mother.get("/support")).text
    clinic = section(after, "clinic")
    assert re.search(r'href="tel:38635000">Call the ward<span class="call-number">38 63 50 00</span>', clinic)
    assert re.search(r'href="tel:\+4538635010">Call the clinic', clinic)
    assert "pregnancy record" not in clinic
    shown = await coordinator.get(f"{BASE}/sites/{coordinator.site_id}")
    assert 'value="38 63 50 00"' in shown.text


async def test_staff_have_their_own_support_page_without_the_ward_or_the_pregnancy_record(actors, staff_member):
    home = (await staff_member.get("/pause")).text
    assert re.search(r'class="support-link" href="/support/staff"', home)
    page = await staff_member.get("/support/staff")
    assert page.status_code == 200
    assert "The hospital&#39;s staff support" in page.text and "Occupational health" in page.text
    assert "112" in calls(page.text) and "70201201" in calls(page.text) and "1888" in calls(page.text)
    for patients_only in ("maternity ward", "pregnancy record", "Familieambulatoriet", "family outpatient clinic",
                          "Mødrehjælpen"):
        assert patients_only not in page.text
    assert (await staff_member.get("/support")).headers["location"] == "/support/staff"


async def test_a_patient_does_not_see_the_staff_support_and_cannot_open_its_page(patient):
    assert "staff support" not in (await patient.get("/support")).text
    assert (await patient.get("/support/staff")).status_code == 404


async def test_a_staff_members_acute_line_is_her_sites_region(actors):
    hospital = await participants.ensure_site("aarhus-hospital", "Aarhus hospital", MIDTJYLLAND)
    unit = await participants.ensure_unit(hospital, "aarhus-unit", "Fødegangen")
    nurse = await actors.staff_member(await participants.create_invite(kind="staff", site_id=hospital, unit_id=unit))
    page = (await nurse.get("/support/staff")).text
    assert "70113131" in calls(page) and "1813" not in calls(page)
