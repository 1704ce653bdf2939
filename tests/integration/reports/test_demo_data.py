"""`pusterum demo-data`: a synthetic year written as the real store writes it, the same for the same seed,
replaced only when asked, and never touching `pusterum demo`'s sites."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from server.cli import main
from server.content.catalog import get_catalog
from server.engagement.tables import Event
from server.lib.localtime import local, start_of_day
from server.participants.services import CONSENT_VERSION, DEMO_SITE_SLUG
from server.participants.tables import CourseGroup, InviteCode, Participant, Site, Unit
from server.reports.tables import ActiveDay, UsageMonth

END = "2026-04-15"  # the period runs over the change to summer time (29 March)
SMALL = ("--patients", "40", "--staff", "30", "--days", "60", "--end", END)
LAST_MOMENT = start_of_day(date(2026, 4, 16))


def demo_data(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["demo-data", *SMALL, *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def run(query):
    return asyncio.run(query.run())


def events() -> list[dict]:
    return run(Event.select(Event.all_columns(), Event.participant.kind))


def counts() -> dict:
    return {"participants": run(Participant.count()), "sites": run(Site.count()), "units": run(Unit.count()),
            "groups": run(CourseGroup.count()), "codes": run(InviteCode.count()),
            "types": Counter(e["type"] for e in events())}


def test_a_small_year_is_complete_and_consistent(db, capsys):
    status, out, _ = demo_data(capsys, "--seed", "3")
    assert status == 0, out
    assert re.search(r"40 patients and 30 staff at 5 demo sites, [\d,]+ events from 2026-02-15 to 2026-04-15", out)

    sites = run(Site.select(Site.slug, Site.kind, Site.municipality_code))
    assert len(sites) == 5 and all(s["slug"].startswith("demo-") and s["municipality_code"] for s in sites)
    assert Counter(s["kind"] for s in sites) == {"hospital": 2, "clinic": 3}
    people = run(Participant.select())
    assert Counter(p["kind"] for p in people) == {"patient": 40, "staff": 30}
    assert all(p["consent_version"] == CONSENT_VERSION and p["consented_at"] == p["created_at"] for p in people)
    assert all(p["unit"] is not None for p in people if p["kind"] == "staff")
    assert all(p["unit"] is None for p in people if p["kind"] == "patient")
    assert all(p["course_group"] is None for p in people if p["kind"] == "staff")
    assert any(p["course_group"] is not None for p in people if p["kind"] == "patient")
    assert all(p["withdrawal"] in (None, "keep") for p in people)

    rows = events()
    assert len(rows) > 1000
    by_id = {p["id"]: p for p in people}
    catalog = get_catalog()
    who5 = catalog.questionnaires["who-5"].version_id
    known = set(catalog.exercise_versions) | set(catalog.questionnaire_versions)
    for e in rows:
        person = by_id[e["participant"]]  # every event's participant exists
        assert e["day"] == local(e["occurred_at"]).date()
        assert person["created_at"] <= e["occurred_at"] < (person["withdrawn_at"] or LAST_MOMENT)
        assert e["occurred_at"] <= e["received_at"]
        assert re.fullmatch(r"[0-9a-f]{32}", e["fingerprint"]) and e["clock_suspect"] is None
        assert e["content_version"] is None if e["type"] == "app_opened" else e["content_version"] in known
    assert len({e["id"] for e in rows}) == len(rows)
    assert {e["type"] for e in rows} >= {"app_opened", "exercise_started", "step_completed", "exercise_completed",
                                         "rating_given", "questionnaire_answered", "pause_completed"}

    answers = [e for e in rows if e["type"] == "questionnaire_answered" and e["content_version"] == who5]
    assert answers
    for e in answers:
        items = json.loads(e["answers"])
        assert len(items) == 5 and all(0 <= a <= 5 for a in items) and e["score"] == sum(items) * 4

    pauses = [e for e in rows if e["type"] == "pause_completed"]
    assert pauses and all(e["participant.kind"] == "staff" for e in pauses)
    assert all(60 <= e["seconds"] <= 300 for e in pauses)
    for name in ("stress_before", "stress_after"):
        assert all(e[name] is None or 0 <= e[name] <= 10 for e in pauses)
        assert any(e[name] is not None for e in pauses)
    staff_pauses = {p.version_id for p in catalog.exercises.values() if "staff" in p.audience
                    and p.kind == "micro_pause"}
    assert {e["content_version"] for e in pauses} <= staff_pauses
    ratings = [e for e in rows if e["type"] == "rating_given"]
    assert all(1 <= e["rating"] <= 5 for e in ratings)
    assert not any(e["participant.kind"] == "staff" for e in rows if e["type"] in ("app_opened", "rating_given"))

    # the rollups were rebuilt from what was written
    assert run(UsageMonth.count()) > 0 and run(ActiveDay.count()) > 0
    assert sum(r["events"] for r in run(UsageMonth.select(UsageMonth.events))) == len(rows)


def test_the_same_seed_gives_the_same_data_and_replace_replaces_it(db, capsys):
    assert demo_data(capsys, "--seed", "5")[0] == 0
    first, first_ids = counts(), {p["id"] for p in run(Participant.select(Participant.id))}

    status, _, err = demo_data(capsys, "--seed", "5")  # again, without --replace: refused, nothing changes
    assert status == 1 and "--replace" in err and "nothing was changed" in err
    assert counts() == first

    status, out, _ = demo_data(capsys, "--seed", "5", "--replace")
    assert status == 0 and "replacing" in out
    assert counts() == first
    assert {p["id"] for p in run(Participant.select(Participant.id))} == first_ids

    assert demo_data(capsys, "--seed", "6", "--replace")[0] == 0
    other = counts()
    assert other["participants"] == 70 and other["sites"] == 5 and other["types"] != first["types"]
    assert not first_ids & {p["id"] for p in run(Participant.select(Participant.id))}  # the old ones are gone


def test_replace_leaves_other_sites_alone(db, capsys):
    assert main(["demo"]) == 0  # `pusterum demo`'s own clinic and hospital are not demo data
    capsys.readouterr()
    before = {s["slug"] for s in run(Site.select(Site.slug))}
    assert demo_data(capsys)[0] == 0
    assert demo_data(capsys, "--replace")[0] == 0
    slugs = {s["slug"] for s in run(Site.select(Site.slug))}
    assert before <= slugs and DEMO_SITE_SLUG in slugs and len(slugs) == len(before) + 5


@pytest.mark.parametrize("args", [("--end", local(datetime.now(UTC)).date().isoformat()), ("--days", "0")])
def test_impossible_periods_are_refused(db, capsys, args):
    status = main(["demo-data", "--patients", "2", "--staff", "2", *args])
    assert status == 1 and "nothing was changed" in capsys.readouterr().err
    assert run(Site.count()) == 0
