"""Staff micro-pauses: the QR door, two taps to a pause, stress before and after, and what each person sees."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from server.engagement.tables import Event
from server.lib.localtime import month_start
from server.participants.tables import Participant
from tests.integration.reports.pages import cell
from tests.support import (
    app_client,
    csrf_token,
    enrol,
    enrol_staff,
    event,
    exercise_version,
    make_invite,
    make_staff_code,
    post_events,
)


async def test_the_unit_code_makes_an_anonymous_staff_participant_bound_to_the_unit(app, db):
    code = await make_staff_code("ward-7")
    async with app_client(app) as client:
        language = await client.get(f"/u/{code}")
        assert language.status_code == 200 and f"/u/{code}/consent?lang=da" in language.text
        consent = await client.get(f"/u/{code}/consent", params={"lang": "en"})
        assert "employee number" in consent.text  # says what is never recorded
        assert "during your pregnancy" not in consent.text  # the patients' text is not shown to staff
        participant_id = await enrol_staff(client, code, lang="en")
        assert (await client.get("/")).headers["location"] == "/pause"
        assert (await client.get(f"/u/{code}")).headers["location"] == "/pause"  # the QR code, scanned again
        assert (await client.get("/home")).headers["location"] == "/pause"
        home = await client.get("/pause")
    assert home.status_code == 200 and "Take a pause" in home.text and "Surprise me" in home.text
    row = await Participant.select(Participant.kind, Participant.unit.slug, Participant.municipality_code).where(
        Participant.id == participant_id).first()
    assert row == {"kind": "staff", "unit.slug": "ward-7", "municipality_code": None}


async def test_a_code_opened_at_the_other_door_is_sent_to_its_own(app, db):
    patient_code, staff_code = await make_invite(), await make_staff_code()
    async with app_client(app) as client:
        assert (await client.get(f"/u/{patient_code}")).headers["location"] == f"/j/{patient_code}"
        moved = await client.get(f"/j/{staff_code}/consent", params={"lang": "da"})
        assert moved.headers["location"] == f"/u/{staff_code}/consent?lang=da"


async def test_one_tap_picks_a_pause_that_fits_the_time_and_the_filters(app, db):
    async with app_client(app) as client:
        await enrol_staff(client)
        picked = await client.get("/pause/go", params={"length": "1", "f": "sink"})
        assert picked.headers["location"] == "/pauses/mindful-hand-washing"
        for _ in range(5):
            five = await client.get("/pause/go", params={"length": "5"})
            slug = five.headers["location"].rsplit("/", 1)[1]
            assert slug in {"after-a-hard-event"}  # the only 4-5 minute staff pause today
        nothing = await client.get("/pause/go", params={"length": "1", "f": ["sink", "sitting"]})
        assert nothing.status_code == 303 and "none=1" in nothing.headers["location"]
        page = await client.get(nothing.headers["location"])
        assert "No pause fits" in page.text or "Ingen pause passer" in page.text
        assert 'value="sink" checked' in page.text  # her choices are kept


async def test_patients_do_not_see_the_staff_pages(app, db):
    async with app_client(app) as client:
        await enrol(client)
        for path in ("/pause", "/pauses/mine", "/pauses/unit", "/pauses/doorway-pause"):
            assert (await client.get(path)).status_code == 404, path


async def test_without_javascript_the_after_question_records_the_pause_with_both_ratings(app, db):
    async with app_client(app) as client:
        participant_id = await enrol_staff(client, lang="en")
        before = await client.get("/pauses/box-breathing")
        assert "How stressed do you feel right now?" in before.text
        # The second tap (a number, or skip) starts the pause itself: no third tap on "Start".
        assert 'name="start" value="1"' in before.text
        player = await client.get("/exercises/box-breathing/play", params={"before": "7", "start": "1"})
        assert "data-autostart" in player.text and 'data-before="7"' in player.text
        done = await client.get("/exercises/box-breathing/done", params={"before": "7"})
        assert "And now" in done.text and 'name="before" value="7"' in done.text
        saved = await client.post("/pauses/box-breathing/done", data={
            "_csrf_token": csrf_token(done.text), "version": exercise_version("box-breathing"),
            "before": "7", "after": "4"})
        assert saved.headers["location"] == "/pauses/mine?saved=1"
        mine = await client.get(saved.headers["location"])
    assert "Box breathing" in mine.text and "7 → 4" in mine.text
    row = await Event.select(Event.type, Event.stress_before, Event.stress_after, Event.seconds).where(
        Event.participant == participant_id).first()
    assert row["type"] == "pause_completed" and (row["stress_before"], row["stress_after"]) == (7, 4)
    assert row["seconds"] > 0


async def test_the_outbox_path_stores_stress_ratings_and_refuses_out_of_range_ones(app, db):
    version = exercise_version("doorway-pause")
    async with app_client(app) as client:
        await enrol_staff(client)
        bad = await post_events(client, [event("pause_completed", exercise_version=version, seconds=60,
                                               stress_before=11)])
        assert bad.status_code == 422
        good = await post_events(client, [event("pause_completed", exercise_version=version, seconds=60,
                                                stress_before=6)])
        assert good.status_code == 200
    rows = await Event.select(Event.stress_before, Event.stress_after).where(Event.type == "pause_completed")
    assert rows == [{"stress_before": 6, "stress_after": None}]


async def _pauses_by_colleagues(app, code: str, people: int, *, before: int = 8, after: int = 5,
                                days: int = 2) -> list:
    """``people`` colleagues who each take a three-minute pause today and on ``days - 1`` days before it
    (in this week and month, where the calendar allows; earlier days count towards being a colleague)."""
    version = exercise_version("box-breathing")
    who = []
    for _ in range(people):
        async with app_client(app) as client:
            who.append(await enrol_staff(client, code))
            moments = [datetime.now(UTC) - timedelta(days=d, minutes=1) for d in range(days)]
            response = await post_events(client, [
                event("pause_completed", exercise_version=version, seconds=180, stress_before=before,
                      stress_after=after, occurred_at=moment.isoformat()) for moment in moments])
            assert response.status_code == 200
    return who


async def _unit_page(app, code: str) -> httpx.Response:
    async with app_client(app) as client:
        await enrol_staff(client, code, lang="en")
        return await client.get("/pauses/unit")


def _figures(html: str, label: str) -> list[str]:
    return re.findall(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", html)


async def test_unit_totals_stay_hidden_until_five_colleagues_took_part(app, db):
    code = await make_staff_code("ward-a")
    await _pauses_by_colleagues(app, code, 4)
    page = await _unit_page(app, code)
    assert page.text.count("Not enough colleagues yet") == 2  # this week and this month


async def test_unit_totals_show_protected_colleagues_pauses_and_minutes_for_their_unit_only(app, db):
    code, other = await make_staff_code("ward-b"), await make_staff_code("ward-c")
    ours = await _pauses_by_colleagues(app, code, 8, before=8, after=5)  # shown as at least 6
    await _pauses_by_colleagues(app, other, 9, before=2, after=9)
    html = (await _unit_page(app, code)).text
    month = await cell(ours)
    assert "Not enough colleagues yet" not in html
    assert _figures(html, "Colleagues")[1] == str(month.count())
    # This month: two pauses of 3 minutes each (one on the first of a month), the other unit's not counted;
    # moved by at most half of each of the two largest colleagues' parts.
    now = datetime.now(UTC)
    each = sum(now - timedelta(days=d, minutes=1) >= month_start(now) for d in range(2))
    assert abs(int(_figures(html, "Pauses")[1]) - 8 * each) <= each
    assert abs(int(_figures(html, "Minutes")[1]) - 8 * each * 3) <= 3 * each
    # A mean change in stress needs ten colleagues who rated: eight are not enough, and no median is shown.
    assert _figures(html, "Average change in stress") == ["Not enough ratings yet"] * 2


async def test_phones_that_took_part_on_one_day_only_do_not_count_as_colleagues(app, db):
    """The sock-puppet attack: three fresh browsers lift a unit of two real colleagues over five."""
    code = await make_staff_code("ward-f")
    await _pauses_by_colleagues(app, code, 2, before=9, after=2)  # two real colleagues
    await _pauses_by_colleagues(app, code, 3, before=5, after=5, days=1)  # three made-up ones, today only
    page = await _unit_page(app, code)
    assert page.text.count("Not enough colleagues yet") == 2


async def test_a_mean_change_in_stress_is_shown_for_ten_colleagues_who_rated(app, db):
    code = await make_staff_code("ward-g")
    await _pauses_by_colleagues(app, code, 11, before=8, after=5)
    html = (await _unit_page(app, code)).text
    changes = _figures(html, "Average change in stress")
    # Everyone went from 8 to 5: the protected sum moves by at most half of two colleagues' parts (2 × 6).
    change = float(changes[1].replace("\u2212", "-"))  # written with a real minus
    assert changes[1] != "Not enough ratings yet" and abs(change + 3) <= 0.5 * 12 / 22 + 0.05


async def test_last_months_pauses_are_not_in_this_months_totals(app, db):
    code = await make_staff_code("ward-d")
    version = exercise_version("box-breathing")
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    for _ in range(5):
        async with app_client(app) as client:
            await enrol_staff(client, code)
            await post_events(client, [event("pause_completed", exercise_version=version, seconds=60,
                                             occurred_at=long_ago)])
    page = await _unit_page(app, code)
    assert page.text.count("Not enough colleagues yet") == 2


async def test_no_one_sees_another_persons_pauses(app, db):
    code = await make_staff_code("ward-e")
    version = exercise_version("box-breathing")
    async with app_client(app) as anna:
        await enrol_staff(anna, code, lang="en")
        await post_events(anna, [event("pause_completed", exercise_version=version, seconds=180, stress_before=9,
                                       stress_after=2)])
        assert "9 → 2" in (await anna.get("/pauses/mine")).text
    async with app_client(app) as bo:
        await enrol_staff(bo, code, lang="en")
        mine = await bo.get("/pauses/mine")
        assert "9 → 2" not in mine.text and "No pauses yet" in mine.text
        # Naming someone else in an event is refused, not stored for them.
        anna_id = (await Participant.select(Participant.id).where(Participant.kind == "staff")
                   .order_by(Participant.created_at).first())["id"]
        other = await post_events(bo, [event("pause_completed", exercise_version=version, seconds=60,
                                             participant=str(anna_id))])
    assert other.status_code == 403
    assert await Event.count().where(Event.participant == anna_id) == 1
