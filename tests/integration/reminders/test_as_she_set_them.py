"""Reminders behave as she set them (issue 15): on again counts from now, a snooze keeps out of her quiet hours,
the page promises what the lock screen shows, the page a reminder opens offers the buttons' choices, and a test
reminder reaches this browser. Delivery is checked at the push service double, which decrypts what it gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.lib.localtime import TZ
from server.reminders import services
from server.reminders.schedule import Plan, next_due
from server.reminders.tables import PushSubscription, ReminderPlan
from tests.integration.reminders.support import run_sender
from tests.support import API_HEADERS, csrf_token

SUBSCRIBE = "/api/push/subscription"


async def _plan(participant_id) -> dict:
    return await ReminderPlan.select().where(ReminderPlan.participant == participant_id).output(
        load_json=True).first()


def _local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def test_it_counts_from_now_when_she_turns_reminders_on_again(patient, push, vapid_key):
    # On, then off; while they were off, her 19:00 passed (the moment kept from before lies behind us).
    subscription = push.new_subscription()
    assert (await patient.post(SUBSCRIBE, json=subscription, headers=API_HEADERS)).status_code == 200
    token = csrf_token((await patient.get("/reminders")).text)
    assert (await patient.post("/reminders/off", data={"_csrf_token": token})).status_code == 303
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    await ReminderPlan.update({ReminderPlan.next_due_at: two_hours_ago}).where(
        ReminderPlan.participant == patient.participant_id)

    before = datetime.now(UTC)
    assert (await patient.post(SUBSCRIBE, json=subscription, headers=API_HEADERS)).status_code == 200
    plan = await _plan(patient.participant_id)
    assert plan["enabled"] and plan["next_due_at"] > before
    assert plan["next_due_at"] == next_due(Plan(slots=("19:00",), days="1234567"), before), "her next 19:00"
    assert await run_sender(vapid_key) == 0
    assert push.deliveries == [], "nothing is sent at once, at a time she did not choose"


async def test_it_moves_a_snooze_at_a_quarter_to_nine_to_the_end_of_her_quiet_hours(patient):
    token = csrf_token((await patient.get("/reminders")).text)
    await patient.post("/reminders", data={"_csrf_token": token, "time1": "19:00", "days": list("1234567"),
                                           "quiet_start": "21:00", "quiet_end": "07:00"})

    async def snoozed_at(*when: int) -> datetime:
        await services.snooze(patient.participant_id, now=_local(*when))
        return (await _plan(patient.participant_id))["next_due_at"]

    assert await snoozed_at(2027, 1, 12, 20, 45) == _local(2027, 1, 13, 7, 0), "at 07:00 the next morning, not 21:15"
    # Outside her quiet hours a snooze is just 30 minutes, and after midnight it waits for the same morning.
    assert await snoozed_at(2027, 1, 12, 19, 5) == _local(2027, 1, 12, 19, 35)
    assert await snoozed_at(2027, 1, 13, 0, 10) == _local(2027, 1, 13, 7, 0)


async def test_it_shows_on_the_page_exactly_what_the_lock_screen_shows(actors, push, vapid_key):
    patient = await actors.new("patient", lang="da")
    await patient.post(SUBSCRIBE, json=push.new_subscription(), headers=API_HEADERS)
    await ReminderPlan.update({ReminderPlan.next_due_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        ReminderPlan.participant == patient.participant_id)
    await run_sender(vapid_key)
    [delivery] = await push.wait_for_async(1)
    message = delivery.json()
    page = (await patient.get("/reminders")).text
    shown = [message["title"], message["body"], *message["actions"].values()]
    assert shown == ["Tid til et pusterum?", "Et par rolige minutter, når det passer dig.", "Om 30 minutter",
                     "Ikke i dag"]
    for words in shown:
        assert words in page, f"the page does not show {words!r}, which the lock screen does"
    assert "siger kun" not in page, "no promise that it shows less than it does"


async def test_it_offers_in_30_minutes_and_not_today_on_the_page_a_reminder_opens(actors):
    patient = await actors.new("patient", lang="da")
    token = csrf_token((await patient.get("/reminders")).text)
    await patient.post("/reminders", data={"_csrf_token": token, "time1": "19:00", "days": list("1234567"),
                                           "quiet_start": "00:00", "quiet_end": "00:00"})  # no quiet hours
    opened = await patient.get("/reminders/now")
    assert opened.status_code == 200
    assert "Tid til et pusterum?" in opened.text
    assert 'value="snooze"' in opened.text and ">Om 30 minutter<" in opened.text
    assert 'value="not_today"' in opened.text and ">Ikke i dag<" in opened.text
    token = csrf_token(opened.text)

    before = datetime.now(UTC)
    snoozed = await patient.post("/reminders/now", data={"_csrf_token": token, "action": "snooze"})
    assert snoozed.status_code == 303 and snoozed.headers["location"] == "/reminders/now?done=snooze"
    due = (await _plan(patient.participant_id))["next_due_at"]
    assert timedelta(minutes=29) <= due - before <= timedelta(minutes=31)
    said = await patient.get(snoozed.headers["location"])
    assert "Godt. Næste påmindelse:" in said.text and due.astimezone(TZ).strftime("%H:%M") in said.text

    await patient.post("/reminders/now", data={"_csrf_token": token, "action": "not_today"})
    due = (await _plan(patient.participant_id))["next_due_at"]
    assert due.astimezone(TZ).date() > datetime.now(TZ).date() and due.astimezone(TZ).strftime("%H:%M") == "19:00"

    kept = await _plan(patient.participant_id)
    wrong = await patient.post("/reminders/now", data={"_csrf_token": token, "action": "explode"})
    assert wrong.status_code == 400 and "Traceback" not in wrong.text
    assert await _plan(patient.participant_id) == kept


async def test_it_sends_a_test_reminder_to_this_browser_only(actors, push):
    patient, other = await actors.new("patient", lang="da"), await actors.new("patient")
    mine, theirs = push.new_subscription(), push.new_subscription()
    await patient.post(SUBSCRIBE, json=mine, headers=API_HEADERS)
    await other.post(SUBSCRIBE, json=theirs, headers=API_HEADERS)

    sent = await patient.post("/api/reminders/test", json={"endpoint": mine["endpoint"]}, headers=API_HEADERS)
    assert sent.status_code == 200 and sent.json() == {"sent": True}
    [delivery] = await push.wait_for_async(1)
    assert delivery.endpoint == mine["endpoint"] and delivery.json()["title"] == "Tid til et pusterum?"
    again = await patient.post("/api/reminders/test", json={"endpoint": mine["endpoint"]}, headers=API_HEADERS)
    assert again.status_code == 429 and "Retry-After" in again.headers
    not_hers = await patient.post("/api/reminders/test", json={"endpoint": theirs["endpoint"]}, headers=API_HEADERS)
    assert not_hers.status_code == 404
    assert len(push.deliveries) == 1

    push.script(theirs["endpoint"], 410)  # the push service says this subscription has ended
    gone = await other.post("/api/reminders/test", json={"endpoint": theirs["endpoint"]}, headers=API_HEADERS)
    assert gone.status_code == 410
    assert await PushSubscription.count().where(PushSubscription.endpoint == theirs["endpoint"]) == 0


async def test_it_leads_from_home_and_settings_to_reminders(patient, staff_member):
    for page in ("/home", "/settings"):
        assert 'href="/reminders"' in (await patient.get(page)).text, page
    assert 'href="/reminders"' in (await staff_member.get("/settings")).text
