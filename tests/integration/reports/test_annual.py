"""The annual report: the year's figures for chosen sites, with the coordinator's own words, printable on A4."""

from __future__ import annotations

import re
from datetime import date

import pytest

from server.accounts.tables import AuditEntry
from server.participants.tables import Site
from server.reports.tables import AnnualNote
from tests.integration.reports.pages import cell, figure, practise
from tests.support import csrf_token, make_invite

URL = "/workspace/reports/annual"


async def site_id(slug: str) -> int:
    return (await Site.select(Site.id).where(Site.slug == slug).first())["id"]


async def test_a_coordinator_writes_commentary_that_is_printed_with_the_figures(app, actors):
    year = date.today().year
    east = await practise(app, 8, code=await make_invite(site_slug="east"))  # shown as at least 6
    coordinator = await actors.coordinator(sites=[await site_id("east")])
    page = await coordinator.get(URL, params={"year": year, "site": "east"})
    assert page.status_code == 200
    assert "css/report.css" in page.text and f"Annual report {year}" in page.text
    assert figure(page.text, "Used Pusterum in the period") == str((await cell(east)).count())
    saved = await coordinator.post(f"{URL}?year={year}&site=east", data={
        "_csrf_token": csrf_token(page.text), "summary": "Et godt år.\nFlere brugte pauserne.",
        "ahead": "Vi vil nå flere i vagt."})
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=1#notes")
    again = (await coordinator.get(saved.headers["location"].split("#")[0])).text
    # Ticking no site means all of hers, which is east alone: the same report, the same notes.
    all_hers = (await coordinator.get(URL, params={"year": year})).text
    assert "Et godt år.\nFlere brugte pauserne." in again and "Vi vil nå flere i vagt." in again
    assert 'class="note-text"' in again and "Your notes are saved." in again
    assert "Et godt år" in all_hers.split('id="notes"')[0]
    notes = await AnnualNote.select(AnnualNote.section, AnnualNote.scope).where(AnnualNote.year == year)
    east = str(await site_id("east"))  # notes are keyed by the ids of the sites they are about
    assert sorted((n["section"], n["scope"]) for n in notes) == [("ahead", east), ("summary", east)]
    assert await AuditEntry.count().where(AuditEntry.action == "report.notes_saved") == 1


async def test_researchers_read_the_report_but_do_not_write_in_it(researcher):
    page = await researcher.get(URL)
    refused = await researcher.post(URL + "?year=2026", data={"_csrf_token": csrf_token(page.text),
                                                               "summary": "x"})
    assert page.status_code == 200 and 'id="notes"' not in page.text
    assert refused.status_code == 403
    assert await AnnualNote.count() == 0


async def test_bad_choices_are_explained_and_change_nothing(actors):
    await make_invite(site_slug="east")
    await make_invite(site_slug="west")
    coordinator = await actors.coordinator(sites=[await site_id("east")])
    future = await coordinator.get(URL, params={"year": date.today().year + 1})
    not_hers = await coordinator.get(URL, params={"site": "west"})
    page = await coordinator.get(URL, params={"site": "east"})
    too_long = await coordinator.post(f"{URL}?year={date.today().year}&site=east", data={
        "_csrf_token": csrf_token(page.text), "summary": "x" * 4001})
    assert future.status_code == 400 and "up to this one" in future.text
    assert not_hers.status_code == 400 and "not one you can see" in not_hers.text
    assert too_long.status_code == 400 and "at most 4000 characters" in too_long.text
    assert await AnnualNote.count() == 0


async def test_an_admin_links_a_coordinator_to_her_sites(app, actors, admin):
    coordinator = await actors.coordinator(sites=[])
    patients = await practise(app, 8, code=await make_invite(site_slug="east"))
    assert "No sites are linked" in (await coordinator.get("/workspace/reports")).text
    page = await admin.get("/workspace/admin/accounts")
    east = await Site.select(Site.id).where(Site.slug == "east").first()
    saved = await admin.post(f"/workspace/admin/account-sites/{coordinator.account_id}", data={
        "_csrf_token": csrf_token(page.text), "site": str(east["id"])})
    assert saved.status_code == 303
    html = (await coordinator.get("/workspace/reports")).text
    assert figure(html, "Used Pusterum in the period") == str((await cell(patients)).count())
    assert await AuditEntry.count().where(AuditEntry.action == "account.sites_set") == 1


async def test_coordinators_of_different_sites_keep_their_own_notes(actors):
    year = date.today().year
    await make_invite(site_slug="east")
    await make_invite(site_slug="west")
    east_coordinator = await actors.coordinator(sites=[await site_id("east")])
    west_coordinator = await actors.coordinator(sites=[await site_id("west")])
    page = await east_coordinator.get(URL, params={"year": year})  # no site ticked: all of hers
    await east_coordinator.post(f"{URL}?year={year}", data={"_csrf_token": csrf_token(page.text),
                                                             "summary": "Øst havde et roligt år."})
    west_page = (await west_coordinator.get(URL, params={"year": year})).text
    east_page = (await east_coordinator.get(URL, params={"year": year})).text
    assert "Øst havde et roligt år." in east_page
    assert "Øst havde et roligt år." not in west_page
    assert [n["scope"] for n in await AnnualNote.select(AnnualNote.scope)] == [str(await site_id("east"))]


NUL = "\x00"


@pytest.mark.parametrize(("hostile", "words"), [
    ({"ahead": "x" * 4001}, "Each note can be at most 4000 characters."),
    ({"ahead": "x" * 1_000_000}, "Each note can be at most 4000 characters."),
    ({"ahead": "Næste år" + NUL}, "This field holds a character that cannot be saved."),
    ({"quality": ["two", "notes"], "ahead": NUL * 10}, "This field holds a character that cannot be saved."),
])
async def test_hostile_notes_come_back_with_her_words_and_change_nothing(coordinator, hostile, words):
    year = date.today().year
    url = f"{URL}?year={year}"
    token = csrf_token((await coordinator.get(URL)).text)
    first = await coordinator.post(url, data={"_csrf_token": token, "summary": "Et roligt år.", "ahead": "Mere ro."})
    assert first.status_code == 303
    saved = await AnnualNote.select(AnnualNote.section, AnnualNote.body, AnnualNote.updated_at)
    response = await coordinator.post(url, data={"_csrf_token": token, "summary": "Et travlt år.", **hostile})
    assert response.status_code == 400 and words in response.text, response.text[-2000:]
    assert "Traceback" not in response.text
    # The message is in the form, and the browser shows the form (#notes) rather than the top of the report.
    assert 'id="notes-error"' in response.text and re.search(r'<form method="post" action="[^"]*#notes"', response.text)
    assert ">Et travlt år.</textarea>" in response.text  # what she wrote is in the form again
    assert await AnnualNote.select(AnnualNote.section, AnnualNote.body, AnnualNote.updated_at) == saved


async def test_saving_one_note_leaves_the_other_sections_as_they_are(actors):
    """A form that sends one section (an old tab, a script, another person's page) replaces that section
    only: the admin's other sections about every site stay."""
    year = date.today().year
    admin = await actors.admin()
    page = await admin.get(URL, params={"year": year})
    sections = {"summary": "Kort fortalt.", "activity": "Aktiviteten.", "quality": "Oplevelsen.",
                "wellbeing": "Trivslen.", "ahead": "Næste år."}
    assert (await admin.post(f"{URL}?year={year}", data={"_csrf_token": csrf_token(page.text),
                                                          **sections})).status_code == 303
    one = await admin.post(f"{URL}?year={year}", data={"_csrf_token": csrf_token(page.text),
                                                        "summary": "Kort og godt."})
    emptied = await admin.post(f"{URL}?year={year}", data={"_csrf_token": csrf_token(page.text), "ahead": ""})
    assert one.status_code == 303 and emptied.status_code == 303
    notes = {n["section"]: n["body"] for n in await AnnualNote.select(AnnualNote.section, AnnualNote.body)}
    assert notes == {**{k: v for k, v in sections.items() if k != "ahead"}, "summary": "Kort og godt."}
    assert {n["scope"] for n in await AnnualNote.select(AnnualNote.scope)} == {"all"}


async def test_notes_about_many_sites_are_saved(actors):
    """However many sites a coordinator answers for (here 40, with long names), her notes about all of them
    are saved and read back: the key is their ids, in a column long enough for any number (a 200-character
    key failed on PostgreSQL). (A report is about one site or all of hers; see the follow-up's protection.)"""
    year = date.today().year
    slugs = [f"klinikken-for-gravide-og-deres-familier-i-kommunen-{n:02d}" for n in range(40)]
    for slug in slugs:
        await make_invite(site_slug=slug, group_started_weeks_ago=None)
    ids = sorted([await site_id(slug) for slug in slugs])
    coordinator = await actors.coordinator(sites=ids)
    page = await coordinator.get(f"{URL}?year={year}")
    saved = await coordinator.post(f"{URL}?year={year}", data={"_csrf_token": csrf_token(page.text),
                                                               "summary": "Et år i hele regionen."})
    assert saved.status_code == 303, saved.text[-500:]
    assert "Et år i hele regionen." in (await coordinator.get(f"{URL}?year={year}")).text
    assert [n["scope"] for n in await AnnualNote.select(AnnualNote.scope)] == [",".join(map(str, ids))]
