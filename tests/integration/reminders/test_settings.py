"""Reminder settings: the plain form, the subscription API, and the notification's own buttons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.lib.localtime import TZ
from server.reminders.tables import PushSubscription, ReminderPlan
from tests.support import API_HEADERS, app_client, csrf_token, enrol, enrol_staff


async def _plan(participant_id):
    return await ReminderPlan.select().where(ReminderPlan.participant == participant_id).first()


async def test_turning_on_subscribes_this_browser_with_sensible_defaults(app, db, push):
    subscription = push.new_subscription()
    async with app_client(app) as client:
        participant_id = await enrol(client)
        page = await client.get("/reminders")
        assert 'data-vapid-key="B' in page.text  # the public key the browser subscribes with
        response = await client.post("/api/push/subscription", json=subscription, headers=API_HEADERS)
        assert response.status_code == 200
        again = await client.post("/api/push/subscription", json=subscription, headers=API_HEADERS)
        assert again.status_code == 200
        on = await client.get("/reminders")
    assert await PushSubscription.count() == 1  # unique by endpoint: subscribing again updates
    plan = await _plan(participant_id)
    assert plan["enabled"] and plan["next_due_at"].astimezone(TZ).strftime("%H:%M") == "19:00"
    assert "Påmindelser er slået til." in on.text


async def test_a_subscription_with_bad_keys_or_from_elsewhere_is_refused(app, db, push):
    good = push.new_subscription()
    async with app_client(app) as client:
        await enrol(client, lang="en")
        bad_key = {**good, "keys": {**good["keys"], "p256dh": "AAAA"}}
        response = await client.post("/api/push/subscription", json=bad_key, headers=API_HEADERS)
        assert response.status_code == 422 and "keys" in response.json()["error"]
        plain_http = {**good, "endpoint": "http://push.example.com/abc"}
        assert (await client.post("/api/push/subscription", json=plain_http,
                                  headers=API_HEADERS)).status_code == 422
        no_header = await client.post("/api/push/subscription", json=good)
        assert no_header.status_code == 400
    assert await PushSubscription.count() == 0 and await ReminderPlan.count() == 0


async def test_turning_off_removes_every_subscription_at_once(app, db, push):
    async with app_client(app) as client:
        participant_id = await enrol(client)
        for _ in range(2):  # two browsers
            await client.post("/api/push/subscription", json=push.new_subscription(), headers=API_HEADERS)
        page = await client.get("/reminders")
        response = await client.post("/reminders/off", data={"_csrf_token": csrf_token(page.text)})
        assert response.status_code == 303
    assert await PushSubscription.count() == 0
    assert not (await _plan(participant_id))["enabled"]


async def test_a_patient_saves_her_practice_times_and_days(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client, lang="en")
        page = await client.get("/reminders")
        response = await client.post("/reminders", data={
            "_csrf_token": csrf_token(page.text), "time1": "07:30", "time2": "20:00", "time3": "",
            "days": ["1", "3", "5"], "quiet_start": "21:00", "quiet_end": "07:00"})
        assert response.headers["location"] == "/reminders?saved=1"
        shown = await client.get("/reminders")
    assert 'value="07:30"' in shown.text and 'value="20:00"' in shown.text
    plan = await _plan(participant_id)
    assert plan["days"] == "135" and plan["next_due_at"] > datetime.now(UTC)
    assert plan["next_due_at"].astimezone(TZ).isoweekday() in (1, 3, 5)


async def test_impossible_plans_get_a_clear_error_and_change_nothing(app, db):
    async with app_client(app) as client:
        participant_id = await enrol_staff(client, lang="en")
        page = await client.get("/reminders")
        token = csrf_token(page.text)
        backwards = await client.post("/reminders", data={
            "_csrf_token": token, "start1": "15:00", "end1": "07:00", "every": "120", "days": ["1"],
            "quiet_start": "21:00", "quiet_end": "07:00"})
        assert backwards.status_code == 400 and "a shift must end after it starts" in backwards.text
        no_days = await client.post("/reminders", data={
            "_csrf_token": token, "start1": "07:00", "end1": "15:00", "every": "120",
            "quiet_start": "21:00", "quiet_end": "07:00"})
        assert no_days.status_code == 400 and "at least one day" in no_days.text
        all_quiet = await client.post("/reminders", data={
            "_csrf_token": token, "start1": "07:00", "end1": "09:00", "every": "60", "days": ["1"],
            "quiet_start": "06:00", "quiet_end": "10:00"})
        assert all_quiet.status_code == 400 and "quiet hours" in all_quiet.text
    assert await _plan(participant_id) is None


async def test_staff_shift_window_every_two_hours_and_not_today(app, db):
    async with app_client(app) as client:
        participant_id = await enrol_staff(client, lang="en")
        page = await client.get("/reminders")
        token = csrf_token(page.text)
        await client.post("/reminders", data={"_csrf_token": token, "start1": "07:00", "end1": "15:00",
                                              "every": "120", "days": list("1234567"),
                                              "quiet_start": "21:00", "quiet_end": "06:00"})
        plan = await _plan(participant_id)
        assert plan["slots"] in (["07:00", "09:00", "11:00", "13:00", "15:00"],
                                 '["07:00", "09:00", "11:00", "13:00", "15:00"]')
        await client.post("/reminders/not-today", data={"_csrf_token": token})
    later = await _plan(participant_id)
    assert later["next_due_at"].astimezone(TZ).date() > datetime.now(TZ).date()
    assert later["next_due_at"].astimezone(TZ).strftime("%H:%M") == "07:00"


async def test_the_notifications_snooze_button_brings_it_back_in_30_minutes(app, db, push):
    async with app_client(app) as client:
        participant_id = await enrol(client)
        await client.post("/api/push/subscription", json=push.new_subscription(), headers=API_HEADERS)
        # No quiet hours, so that the next 30 minutes are never in them, whenever the test runs.
        await ReminderPlan.update({ReminderPlan.quiet_start: "00:00", ReminderPlan.quiet_end: "00:00"}).where(
            ReminderPlan.participant == participant_id)
        before = datetime.now(UTC)
        response = await client.post("/api/reminders/action", json={"action": "snooze"}, headers=API_HEADERS)
        assert response.status_code == 200
        wrong = await client.post("/api/reminders/action", json={"action": "explode"}, headers=API_HEADERS)
        assert wrong.status_code == 422
    due = (await _plan(participant_id))["next_due_at"]
    assert 29 * 60 <= (due - before).total_seconds() <= 31 * 60


NUL = "\x00"
PATIENT_TIMES = {"time1": "07:30", "time2": "20:00", "days": ["1", "3"], "quiet_start": "21:00", "quiet_end": "07:00"}
STAFF_SHIFT = {"start1": "07:00", "end1": "15:00", "every": "120", "days": ["1", "2"], "quiet_start": "21:00",
               "quiet_end": "06:00"}
HOSTILE_TIMES = [
    # (who, what replaces her good fields, words the page must say)
    ("patient", {"time1": "25:00"}, "hours and minutes"),
    ("patient", {"time2": "07:30" + NUL}, "cannot be saved"),
    ("patient", {"time1": "0" * 100_000}, "hours and minutes"),
    ("patient", {"time1": "07:30'><script>"}, "hours and minutes"),
    ("patient", {"quiet_start": ""}, "hours and minutes"),
    ("patient", {"days": ["8"]}, "at least one day"),
    ("patient", {"days": ["1"] * 8}, "at least one day"),
    ("patient", {"days": ["1" + NUL]}, "cannot be saved"),
    ("staff_member", {"every": "99999999999999999999999"}, "how often"),
    ("staff_member", {"every": "-120"}, "how often"),
    ("staff_member", {"every": "1.2e2"}, "how often"),
    ("staff_member", {"end1": "15:00:99"}, "hours and minutes"),
    ("staff_member", {"start2": "16:00"}, "a shift must end after it starts"),
]


@pytest.mark.parametrize(("who", "hostile", "words"), HOSTILE_TIMES)
async def test_hostile_times_get_the_form_back_with_her_input_and_change_nothing(actors, who, hostile, words):
    person = await actors.new(who)
    good = STAFF_SHIFT if who == "staff_member" else PATIENT_TIMES
    token = csrf_token((await person.get("/reminders")).text)
    assert (await person.post("/reminders", data={"_csrf_token": token, **good})).status_code == 303
    saved = await _plan(person.participant_id)
    response = await person.post("/reminders", data={"_csrf_token": token, **good, **hostile})
    assert response.status_code == 400 and words in response.text, response.text[-3000:]
    assert "Traceback" not in response.text
    kept = next(name for name in good if name not in hostile and name != "days")
    assert f'value="{good[kept]}"' in response.text  # what she typed is in the form again
    assert await _plan(person.participant_id) == saved  # the plan she had is untouched


async def test_times_with_seconds_are_kept_as_hours_and_minutes(patient):
    token = csrf_token((await patient.get("/reminders")).text)
    response = await patient.post("/reminders", data={"_csrf_token": token, **PATIENT_TIMES, "time1": "07:30:00",
                                                      "quiet_end": "07:00:00.000"})
    assert response.status_code == 303
    plan = await ReminderPlan.select().where(ReminderPlan.participant == patient.participant_id).output(
        load_json=True).first()
    assert plan["choice"] == {"times": ["07:30", "20:00"]} and plan["quiet_end"] == "07:00"


@pytest.mark.parametrize("subscription", [
    {"endpoint": "https://push.example.net/" + NUL, "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}},
    {"endpoint": "https://push.example.net/" + "a" * 2000, "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}},
    {"endpoint": "https://push.example.net/a", "keys": {"p256dh": 65, "auth": "A" * 22}},
    {"endpoint": "https://push.example.net/a", "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 21 + NUL}},
    {"endpoint": ["https://push.example.net/a"], "keys": {}},
])
async def test_a_hostile_subscription_is_refused_in_her_words_and_stores_nothing(patient, subscription):
    response = await patient.post("/api/push/subscription", json=subscription, headers=API_HEADERS)
    assert response.status_code == 422
    assert response.json()["error"].startswith("This browser gave")  # the field's own words, for people
    assert await PushSubscription.count() == 0 and await ReminderPlan.count() == 0
