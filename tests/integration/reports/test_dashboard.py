"""The follow-up dashboard: the figures people rely on, and no group of fewer than five ever shown."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from server.accounts.tables import AccountSite
from server.content.catalog import get_catalog
from server.lib.disclosure import MAGNITUDE_SHARE, Cell
from server.lib.localtime import local, start_of_day
from server.participants.tables import Participant, Site
from server.reports.stats import t95
from tests.integration.reports.pages import cell, figure, practise, table
from tests.support import enrol, event, exercise_version, make_invite, make_staff_code, phone, post_events

URL = "/workspace/reports"


async def test_the_figures_count_people_practices_and_minutes(app, researcher):
    done = await practise(app, 6)
    left = await practise(app, 2, completed=False)
    page = await researcher.get(URL)
    assert page.status_code == 200, page.text
    html = page.text
    everyone = await cell(done + left, {"started": 1})
    used = int(figure(html, "Used Pusterum in the period"))
    # Each count is the rules' protected count for exactly these eight people: within 2 of the truth.
    assert used == everyone.count() and abs(used - 8) <= 2
    assert int(figure(html, "Joined in the period")) == everyone.count()
    assert int(figure(html, "Active in the last 7 days")) == everyone.count()
    started, completed = int(figure(html, "Practices started")), int(figure(html, "Practices completed"))
    assert started == round(everyone.magnitude("started")) and abs(started - 8) <= 1
    finished = await cell(done + left, each={p: {"completed": int(p in done)} for p in done + left})
    assert completed == round(finished.magnitude("completed")) and abs(completed - 6) <= 1
    minutes = int(figure(html, "Minutes of practice"))
    assert abs(minutes - 18) <= 3  # 6 × 3 minutes, moved by at most half of each of the two largest parts
    rows = table(html, "Completion and ratings per practice")
    title = get_catalog().exercises["breathing-space-3"].title["en"]
    assert rows[1][0] == title and int(rows[1][1]) == everyone.count()
    assert "moved a little (counts by at most 2)" in html  # and the page says why totals may not add up
    assert 'role="img"' in html and "<svg" in html  # a chart, with the table beside it


async def test_the_counts_of_people_who_joined_or_were_active_lately_are_of_the_filtered_people(app, researcher):
    copenhagen = await practise(app, 12, municipality="0101")
    await practise(app, 9, municipality="0147")
    html = (await researcher.get(URL, params={"municipality": "0101"})).text
    theirs = await cell(copenhagen)  # the twelve only: the nine elsewhere are not in these figures
    for label in ("Joined in the period", "Active in the last 7 days", "Active in the last 30 days"):
        shown = int(figure(html, label))
        assert shown == theirs.count() and abs(shown - 12) <= 2, label


async def test_a_municipality_with_fewer_than_five_is_hidden_and_cannot_be_worked_out(app, researcher):
    copenhagen = await practise(app, 12, municipality="0101")  # shown as 10 to 14
    await practise(app, 7, municipality="0147")  # 5 to 9: shown, and the smaller, so the complement
    await practise(app, 2, municipality="0151")
    html = (await researcher.get(URL)).text
    rows = {r[0]: r[1:] for r in table(html, "People, practices and minutes by municipality of residence")[1:]}
    assert rows["Ballerup"] == ["<5", "<5", "<5", "<5"]  # 2 people: primary suppression
    # With only Ballerup hidden, "All" minus the others would give it away: the next smallest goes too.
    assert rows["Frederiksberg"] == ["·", "·", "·", "·"]
    assert rows["København"][0] == str((await cell(copenhagen)).count())
    # Hidden rows come last (before "All"), in name order: their place tells nothing of their size.
    assert list(rows)[-3:-1] == ["Ballerup", "Frederiksberg"]
    assert "cannot be worked out from the total" in html
    # The chart draws no bar for the hidden rows.
    chart = re.search(r'<svg[^>]*aria-labelledby="geo-chart-title".*?</svg>', html, re.S).group(0)
    assert chart.count("<rect") == 1


async def test_too_few_people_show_nothing_and_filters_cannot_single_out_a_small_group(app, actors, researcher):
    await practise(app, 3)
    few = (await researcher.get(URL)).text
    assert "Fewer than five people used Pusterum with these filters" in few
    assert "Practices started" not in few
    await practise(app, 4)
    code = await make_staff_code()
    for _ in range(2):  # two nurses: "everyone" minus "patients" would be them
        nurse = await actors.staff_member(code)
        await post_events(nurse, [event("pause_completed", exercise_version=exercise_version(
            "box-breathing"), seconds=60, stress_before=7, stress_after=4)])
    patients = (await researcher.get(URL, params={"kind": "patient"})).text
    everyone = (await researcher.get(URL)).text
    assert "leave out fewer than five people with the same role (patient, staff or partner)" in patients
    assert "Practices started" not in patients
    assert abs(int(figure(everyone, "Used Pusterum in the period")) - 9) <= 2
    # Two staff members rated stress: too few for a mean, so no stress figures.
    assert "Fewer than ten staff members rated their stress" in everyone


async def test_who5_change_is_paired_with_a_confidence_interval(actors, researcher):
    version = get_catalog().questionnaires["who-5"].version_id
    earlier = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    plans = [([2, 2, 2, 2, 2], [3, 3, 3, 3, 3]), ([1, 2, 1, 2, 1], [3, 3, 2, 3, 3]), ([3, 3, 3, 3, 3], [3, 3, 3, 3, 2]),
             ([2, 1, 2, 2, 2], [4, 3, 3, 3, 3]), ([0, 1, 1, 1, 1], [2, 2, 2, 2, 2]), ([4, 4, 4, 4, 4], [3, 4, 4, 4, 4]),
             ([1, 1, 1, 1, 1], [3, 3, 3, 3, 3]), ([2, 2, 3, 2, 2], [2, 2, 3, 2, 2]), ([3, 2, 2, 2, 1], [4, 4, 4, 3, 3]),
             ([0, 0, 1, 0, 0], [2, 1, 2, 1, 2]), ([5, 4, 4, 4, 4], [4, 4, 4, 4, 3])]
    people = []
    for before, after in plans:
        patient = await actors.patient()
        people.append(patient.participant_id)
        response = await post_events(patient, [
            event("questionnaire_answered", questionnaire_version=version, answers=before, occurred_at=earlier),
            event("questionnaire_answered", questionnaire_version=version, answers=after)])
        assert response.status_code == 200, response.text
    html = (await researcher.get(URL)).text
    changes = [4 * (sum(a) - sum(b)) for b, a in plans]
    protected = Cell()
    keys = {p: (await cell([p])).keys for p in people}
    for person, change in zip(people, changes, strict=True):
        protected.add(keys[person], {"change": change})
    n = protected.count()
    mean = protected.magnitude("change") / len(changes)
    half = t95(len(changes) - 1) * statistics.stdev(changes) / len(changes) ** 0.5
    assert figure(html, "People with both") == str(n) and abs(n - 11) <= 2
    assert figure(html, "Mean change") == f"+{mean:.1f}"
    # The noise of the sum is at most MAGNITUDE_SHARE of the largest one change, shared out over everyone.
    assert abs(mean - statistics.fmean(changes)) <= MAGNITUDE_SHARE * max(map(abs, changes)) / len(changes)
    assert f"interval {mean - half:.1f} to {mean + half:.1f}" in html


async def test_a_coordinator_sees_only_her_own_sites(app, actors):
    coordinator = await actors.coordinator(sites=[])
    none_yet = (await coordinator.get(URL)).text
    assert "No sites are linked to your account yet" in none_yet
    east_people = await practise(app, 8, code=await make_invite(site_slug="east"))  # shown as at least 6
    await practise(app, 6, code=await make_invite(site_slug="west"))
    east = await Site.select(Site.id).where(Site.slug == "east").first()
    await AccountSite.insert(AccountSite(account=coordinator.account_id, site=east["id"]))
    html = (await coordinator.get(URL)).text
    other = await coordinator.get(URL, params={"site": "west"})
    assert figure(html, "Used Pusterum in the period") == str((await cell(east_people)).count())
    assert 'value="west"' not in html
    assert other.status_code == 400 and "not one you can see" in other.text


@pytest.mark.parametrize(("params", "message"), [
    pytest.param({"period": "2026-13"}, "for example 2026, 2026-Q2 or 2026-05", id="a month that is no month"),
    pytest.param({"period": "May"}, "for example 2026, 2026-Q2 or 2026-05", id="a period that is no period"),
    pytest.param({"period": "2026-01:2026-03"}, "for example 2026, 2026-Q2", id="a range of months"),
    pytest.param({"municipality": "9999"}, "not on the list", id="an unknown municipality"),
])
async def test_bad_filters_are_explained(researcher, params, message):
    response = await researcher.get(URL, params=params)
    assert response.status_code == 400 and message in response.text


async def test_it_refuses_the_dashboard_to_an_editor(editor):
    assert (await editor.get(URL)).status_code == 403


async def test_a_filtered_row_that_differs_from_the_unfiltered_one_by_a_few_people_is_hidden(app, researcher):
    east, west = await make_invite(site_slug="east"), await make_invite(site_slug="west")
    await practise(app, 7, municipality="0101", code=east)  # each shown as 5 to 9 alone
    await practise(app, 7, municipality="0147", code=east)
    await practise(app, 8, municipality="0101", code=west)
    await practise(app, 2, municipality="0147", code=west)
    everyone = (await researcher.get(URL)).text
    at_east = (await researcher.get(URL, params={"site": "east"})).text
    caption = "People, practices and minutes by municipality of residence"
    wide = {r[0]: r[1] for r in table(everyone, caption)[1:]}
    narrow = {r[0]: r[1] for r in table(at_east, caption)[1:]}
    assert abs(int(wide["Frederiksberg"]) - 9) <= 2 and abs(int(wide["København"]) - 15) <= 2
    # East's 7 in Frederiksberg against everyone's 9 would give away west's 2: hidden, and København with it.
    assert narrow["Frederiksberg"] == "·" and narrow["København"] == "·"
    assert abs(int(figure(at_east, "Used Pusterum in the period")) - 14) <= 2


async def test_a_unit_view_shows_in_the_form_the_site_and_role_it_stands_for(app, researcher):
    """A unit is staff at its site: the form says so, rather than "all sites" and "everyone" beside the unit."""
    await make_staff_code("test-unit")
    html = (await researcher.get(URL, params={"unit": "test-unit"})).text
    assert re.search(r'<option value="test-hospital" selected>', html)
    assert re.search(r'<option value="staff" selected>', html)
    assert re.search(r'<option value="test-unit" selected>', html)


async def test_she_joined_in_the_month_it_was_in_copenhagen(app, researcher):
    """Half an hour after midnight on the 1st in Copenhagen is still the last day of the month before in UTC:
    she joined in this month, as the clinic's calendar says."""
    eight = await practise(app, 8)  # shown as 6 to 10: never too few to show
    this_month = local(datetime.now(UTC)).date().replace(day=1)
    joined = start_of_day(this_month) + timedelta(minutes=30)
    assert joined.astimezone(UTC).month != this_month.month  # in UTC, the month before
    await Participant.update({Participant.created_at: joined}).where(Participant.id.is_in(eight))
    html = (await researcher.get(URL, params={"period": f"{this_month:%Y-%m}"})).text
    assert figure(html, "Joined in the period") == str((await cell(eight)).count())


async def test_the_municipality_chart_and_table_are_in_the_order_of_the_practices_the_bars_draw(app, researcher):
    """Issue 16: the bars show practices started, so they fall steadily when sorted by that, not by people
    (fourteen in København with one practice each, nine in Frederiksberg with four each)."""
    await practise(app, 14, municipality="0101")
    version = exercise_version("breathing-space-3")
    for _ in range(9):
        async with phone(app) as client:
            await enrol(client, lang="en", municipality="0147")
            started = [event("exercise_started", exercise_version=version) for _ in range(4)]
            assert (await post_events(client, started)).status_code == 200
    html = (await researcher.get(URL)).text
    rows = table(html, "People, practices and minutes by municipality of residence")[1:-1]  # the "All" row last
    assert [r[0] for r in rows] == ["Frederiksberg", "København"]
    practices = [int(r[2].replace(".", "")) for r in rows]
    assert practices == sorted(practices, reverse=True)
    chart = re.search(r'<svg[^>]*aria-labelledby="geo-chart-title".*?</svg>', html, re.S).group(0)
    assert re.findall(r'class="bar-label">([^<]+)<', chart) == ["Frederiksberg", "København"]


async def test_the_dashboard_has_a_summary_first_and_contents_that_lead_to_each_section(app, researcher):
    await practise(app, 12)
    html = (await researcher.get(URL)).text
    headings = re.findall(r'<h2 id="([\w-]+)"', html)
    assert headings[:2] == ["overview-title", "toc-title"], headings
    anchors = re.findall(r'<li><a href="#([\w-]+)">', html)
    assert len(anchors) >= 7 and all(f'id="{anchor}"' in html for anchor in anchors)
    assert '<details class="filter-bar no-print" open>' in html and "<tfoot>" not in html


async def test_a_month_in_which_one_to_four_answered_who5_is_hidden_and_the_page_still_answers(app, actors, researcher):
    """WHO-5 per month (issue 16): a month in which only two answered is a hidden row, never a mean, and the
    dashboard answers 200 (a hidden row has no values: the page must not read its mean)."""
    await practise(app, 8)
    version = get_catalog().questionnaires["who-5"].version_id
    for answers in ([2, 2, 2, 2, 2], [3, 3, 3, 3, 3]):
        patient = await actors.patient()
        response = await post_events(patient, [event("questionnaire_answered", questionnaire_version=version,
                                                     answers=answers)])
        assert response.status_code == 200, response.text
    page = await researcher.get(URL)
    assert page.status_code == 200
    assert "Too few people answered WHO-5 in each month of this period to show a monthly mean." in page.text
