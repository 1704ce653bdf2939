"""Onboarding gives before it asks: after consent a short practice comes first; the WHO-5 and her municipality
wait until she has practised (or her next visit); "Welcome" the first time; short practices lead her home."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from server.content.catalog import get_catalog
from server.participants.tables import Participant
from tests.support import csrf_token, event, exercise_version, make_invite, post_events

CHECKIN_OFFER = 'href="/wellbeing/checkin'
MUNICIPALITY_ASK = 'href="/welcome/municipality"'


async def join(client, lang: str = "en"):
    """Consents as she would, and returns where the app sends her next."""
    code = await make_invite()
    page = await client.get(f"/j/{code}/consent", params={"lang": lang})
    return await client.post(f"/j/{code}", data={"_csrf_token": csrf_token(page.text), "lang": lang,
                                                  "consent": "yes"})


def card_slugs(html: str) -> list[str]:
    """The practices a page suggests, in the order she sees them."""
    return re.findall(r'class="card-link" href="/exercises/([^"/]+)"', html)


async def came_yesterday(client) -> None:
    """Her next visit: she joined the day before."""
    await Participant.update({Participant.created_at: datetime.now(UTC) - timedelta(days=1)}).where(
        Participant.id == client.participant_id)


async def test_after_consent_the_first_thing_is_a_short_practice_and_nothing_is_asked(outsider):
    joined = await join(outsider)
    assert joined.status_code == 303 and joined.headers["location"] == "/welcome"
    welcome = await outsider.get("/welcome")
    assert welcome.status_code == 200 and "Welcome to Pusterum" in welcome.text
    (slug,) = set(re.findall(r'href="/exercises/([^"/]+)/play"', welcome.text))
    assert get_catalog().exercises[slug].seconds <= 3 * 60  # three minutes or less
    assert CHECKIN_OFFER not in welcome.text and MUNICIPALITY_ASK not in welcome.text
    assert 'href="/home"' in welcome.text  # she may skip it
    home = await outsider.get("/home")
    assert CHECKIN_OFFER not in home.text and MUNICIPALITY_ASK not in home.text  # not before her first practice


async def test_the_checkin_is_offered_after_her_first_practice(patient):
    assert CHECKIN_OFFER not in (await patient.get("/home")).text
    await post_events(patient, [event("exercise_completed", exercise_version=exercise_version("breathing-space-3"),
                                      seconds=180)])
    home = await patient.get("/home")
    assert CHECKIN_OFFER in home.text and "How have the last two weeks been?" in home.text


async def test_a_practice_left_part_way_counts_as_her_first_practice(patient):
    await post_events(patient, [event("exercise_left", exercise_version=exercise_version("body-scan-10"),
                                      seconds=40)])
    assert CHECKIN_OFFER in (await patient.get("/home")).text


async def test_if_she_skips_the_practice_the_checkin_comes_at_her_next_visit(actors):
    patient = await actors.patient(municipality=None)
    assert CHECKIN_OFFER not in (await patient.get("/home")).text
    await came_yesterday(patient)
    home = await patient.get("/home")
    assert CHECKIN_OFFER in home.text
    assert MUNICIPALITY_ASK not in home.text  # one question at a time


async def test_her_municipality_is_asked_on_home_once_the_checkin_is_answered(actors):
    patient = await actors.patient(municipality=None)
    await came_yesterday(patient)
    form = await patient.get("/wellbeing/checkin")
    await patient.post("/wellbeing/checkin", data={"_csrf_token": csrf_token(form.text),
                                                    **{f"item{i}": "3" for i in range(5)}})
    home = await patient.get("/home")
    assert MUNICIPALITY_ASK in home.text and CHECKIN_OFFER not in home.text
    page = await patient.get("/welcome/municipality")
    saved = await patient.post("/welcome/municipality", data={"_csrf_token": csrf_token(page.text),
                                                               "municipality": "0751", "next": "/home"})
    assert saved.headers["location"] == "/home"
    assert re.search(r'name="next" value="/home"', page.text)  # from home, back to home


async def test_home_says_welcome_the_first_time_and_welcome_back_later(patient):
    first = await patient.get("/home")
    assert re.search(r"<h1>Welcome</h1>", first.text)
    await came_yesterday(patient)
    later = await patient.get("/home")
    assert re.search(r"<h1>Welcome back</h1>", later.text)


async def test_her_first_suggestions_on_home_are_five_minutes_or_less(actors):
    patient = await actors.patient(lang="da")  # her group is in week 4, whose practices are 20 minutes and more
    slugs = card_slugs((await patient.get("/home")).text)
    exercises = get_catalog().exercises
    assert len(slugs) >= 3
    assert all(exercises[s].seconds <= 5 * 60 for s in slugs[:3]), [(s, exercises[s].minutes) for s in slugs[:3]]


async def test_staff_go_straight_to_their_pauses(staff_member):
    welcome = await staff_member.get("/welcome")
    assert welcome.status_code == 303 and welcome.headers["location"] == "/pause"
