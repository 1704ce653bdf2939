"""Her own data: she can download everything we hold about her, and nothing about anyone else."""

from __future__ import annotations

import csv
import io

from tests.support import app_client, enrol, event, exercise_version, post_events


async def test_she_downloads_her_facts_and_her_activity_and_no_one_elses(app, db):
    version = exercise_version("breathing-space-3")
    async with app_client(app) as other:
        await enrol(other)
        await post_events(other, [event("rating_given", exercise_version=version, rating=2, comment="someone else")])
    async with app_client(app) as client:
        participant_id = await enrol(client, lang="en", municipality="0751")
        await post_events(client, [event("exercise_completed", exercise_version=version, seconds=170),
                                   event("rating_given", exercise_version=version, rating=5,
                                         comment="=HYPERLINK(\"x\") calm")])
        settings = await client.get("/settings")
        assert "/settings/my-data.json" in settings.text and "/settings/my-data.csv" in settings.text
        as_json = await client.get("/settings/my-data.json")
        as_csv = await client.get("/settings/my-data.csv")
    assert as_json.status_code == 200 and "attachment" in as_json.headers["content-disposition"]
    assert "no-store" in as_json.headers["cache-control"]
    data = as_json.json()
    assert data["participant"]["id"] == str(participant_id)
    assert data["participant"]["municipality_code"] == "0751" and data["participant"]["kind"] == "patient"
    assert [e["type"] for e in data["events"]] == ["exercise_completed", "rating_given"]
    assert data["events"][0]["exercise"] == "breathing-space-3" and data["events"][0]["seconds"] == 170
    assert "someone else" not in as_json.text and "someone else" not in as_csv.text
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert [r["type"] for r in rows] == ["exercise_completed", "rating_given"]
    assert rows[1]["comment"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it


async def test_a_stranger_gets_no_data(app, db):
    async with app_client(app) as client:
        response = await client.get("/settings/my-data.json")
    assert response.status_code in (302, 303) and response.headers["location"] == "/"
