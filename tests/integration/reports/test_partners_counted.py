"""Partners in the follow-up (issue 18 item 3): counted as a group of their own, never in with the patients,
and under the same disclosure rules, so a group of one to four partners is never shown."""

from __future__ import annotations

import csv
import io
import re

from server.participants.tables import Participant
from tests.integration.reports.pages import cell, figure, practise
from tests.support import PARTNER_FIXTURE, event, exercise_version, post_events, publish_partner_fixture

URL = "/workspace/reports"


async def partners_practise(actors, n: int) -> list:
    """``n`` partners (each invited by a patient of their own, who does nothing) who each complete a practice."""
    await publish_partner_fixture()
    version = exercise_version(PARTNER_FIXTURE)
    people = []
    for _ in range(n):
        partner = await actors.partner()
        people.append(partner.participant_id)
        assert (await post_events(partner, [event("exercise_started", exercise_version=version),
                                            event("exercise_completed", exercise_version=version,
                                                  seconds=60)])).status_code == 200
    return people


async def test_the_dashboard_counts_partners_as_their_own_group(app, actors, researcher):
    partners = await partners_practise(actors, 7)
    patients = await practise(app, 9)
    theirs = (await researcher.get(URL, params={"kind": "partner"})).text
    assert "Partners" in theirs
    shown = int(figure(theirs, "Used Pusterum in the period"))
    assert shown == (await cell(partners, {"started": 1})).count() and abs(shown - 7) <= 2
    hers = (await researcher.get(URL, params={"kind": "patient"})).text
    shown = int(figure(hers, "Used Pusterum in the period"))
    assert shown == (await cell(patients, {"started": 1})).count() and abs(shown - 9) <= 2  # no partner in it


async def test_a_group_of_fewer_than_five_partners_is_not_shown(app, actors, researcher):
    await partners_practise(actors, 3)
    await practise(app, 12)
    theirs = await researcher.get(URL, params={"kind": "partner"})
    assert theirs.status_code == 200
    assert "Used Pusterum in the period" not in theirs.text and "Practices started" not in theirs.text
    # …nor worked out as everyone minus the patients: one of the two views leaves its figures out.
    everyone = (await researcher.get(URL)).text
    patients = (await researcher.get(URL, params={"kind": "patient"})).text
    assert "Practices started" not in everyone or "Practices started" not in patients


async def test_the_coordinators_site_page_counts_partners_apart_from_the_course_groups_patients(actors, coordinator):
    await partners_practise(actors, 3)  # three patients in the test group, each with a partner
    page = (await coordinator.get(f"/workspace/coordinate/sites/{coordinator.site_id}")).text
    line = page.split("data-partner-count>", 1)[1].split("</p>", 1)[0]
    assert "&lt;5" in line  # three partners: fewer than five, not shown
    group = re.search(r"<tr><td>Test group</td>.*?</tr>", page, re.S).group(0)
    assert "&lt;5" in group  # the group's three patients, not six people
    assert await Participant.count().where(Participant.kind == "partner") == 3


async def test_the_research_export_and_codebook_name_partners_as_their_own_kind(actors, researcher):
    await partners_practise(actors, 1)
    download = "/workspace/reports/exports/download"
    codebook = await researcher.get(download, params={"file": "codebook.csv"})
    assert codebook.status_code == 200
    rows = list(csv.reader(io.StringIO(codebook.content.decode("utf-8-sig"))))
    kind = next(r for r in rows if "participants.csv" in r and "kind" in r)
    assert "partner" in ",".join(kind)
    people = await researcher.get(download, params={"file": "participants.csv"})
    assert people.status_code == 200
    found = list(csv.DictReader(io.StringIO(people.content.decode("utf-8-sig"))))
    kinds = [r["kind"] for r in found]
    assert kinds.count("partner") == 1 and kinds.count("patient") == 1
