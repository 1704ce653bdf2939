"""Her own data: a page she can read in her language ("What we hold about you"), with everything also as files
to download, her questionnaire answers item by item included; nothing about anyone else."""

from __future__ import annotations

import csv
import io
import re

from server.content.catalog import get_catalog
from tests.support import app_client, csrf_token, enrol, event, exercise_version, post_events


async def answer_who5(client, values: list[str]) -> None:
    form = await client.get("/wellbeing/checkin")
    done = await client.post("/wellbeing/checkin", data={"_csrf_token": csrf_token(form.text),
                                                          **{f"item{i}": v for i, v in enumerate(values)}})
    assert done.status_code == 303


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
        assert 'href="/settings/my-data"' in settings.text  # the readable page first; the files as an extra
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


async def test_her_data_page_shows_what_we_hold_in_her_language_with_her_answers_item_by_item(actors):
    patient = await actors.patient(lang="da", municipality="0751")
    version = exercise_version("breathing-space-3")
    await post_events(patient, [event("exercise_completed", exercise_version=version, seconds=200),
                                event("rating_given", exercise_version=version, rating=4, comment="Rart")])
    await answer_who5(patient, ["5", "4", "3", "2", "0"])
    page = await patient.get("/settings/my-data")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Det har vi gemt om dig" in text and "Aarhus" in text and "Test group" in text
    assert "I de sidste 2 uger har jeg været glad og i godt humør : Hele tiden" in text
    assert "fyldt med ting, der interesserer mig : På intet tidspunkt" in text
    assert "Dit seneste svar: 56 ud af 100" in text
    assert "Tre minutters pusterum" in text and "3,3" in text  # the practice, in minutes written the Danish way
    assert "“Rart”" in text and "4 stjerner" in text
    assert 'href="/settings/my-data.json"' in page.text and 'href="/settings/my-data.csv"' in page.text


async def test_the_files_include_her_answers_item_by_item(actors):
    patient = await actors.patient(lang="en")
    await answer_who5(patient, ["5", "4", "3", "2", "0"])
    as_json = (await patient.get("/settings/my-data.json")).json()
    as_csv = (await patient.get("/settings/my-data.csv")).text
    (checkin,) = as_json["questionnaires"]
    assert checkin["questionnaire"] == "who-5" and checkin["score"] == 56 and checkin["answered_at"]
    assert [item["answer"] for item in checkin["items"]] == [5, 4, 3, 2, 0]
    assert checkin["items"][0] == {"number": 1, "statement": "I have felt cheerful and in good spirits",
                                   "answer": 5, "answer_text": "All of the time"}
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert [r["answers"] for r in rows if r["type"] == "questionnaire_answered"] == ["5 4 3 2 0"]


async def test_a_member_of_staff_sees_her_pauses_and_nothing_that_is_only_for_patients(staff_member):
    pause = get_catalog().exercises["mindful-hand-washing"]
    await post_events(staff_member, [event("pause_completed", exercise_version=pause.version_id, seconds=60,
                                           stress_before=6, stress_after=3)])
    page = await staff_member.get("/settings/my-data")
    assert page.status_code == 200
    assert pause.title["en"] in page.text and "6 → 3" in page.text and "Unit test-unit" in page.text
    for patients_only in ("WHO-5", "Your answers to the questions", "Municipality", "Course group",
                          "/wellbeing", "check-in"):
        assert patients_only not in page.text, patients_only
