"""POST /api/events: idempotent batches, all or nothing, clear refusals."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.engagement.tables import Event
from server.lib.i18n import translations
from tests.support import API_HEADERS, app_client, enrol, event, exercise_version, post_events

SLUG = "one-minute-landing"


async def test_it_stores_a_batch_with_participant_version_and_both_clocks(app, db):
    version = exercise_version(SLUG)
    batch = [event("exercise_started", exercise_version=version),
             event("step_completed", exercise_version=version, step=0),
             event("exercise_completed", exercise_version=version, seconds=61),
             event("rating_given", exercise_version=version, rating=4, comment="Rart")]
    async with app_client(app) as client:
        participant_id = await enrol(client)
        response = await post_events(client, batch)
    assert response.status_code == 200
    body = response.json()
    assert sorted(body["ids"]) == sorted(e["id"] for e in batch)
    assert body["stored"] == 4 and body["duplicates"] == 0
    rows = await Event.select().order_by(Event.occurred_at)
    assert {r["participant"] for r in rows} == {participant_id}
    assert {r["content_version"] for r in rows} == {version}
    assert all(r["received_at"] >= r["occurred_at"] for r in rows)
    rating = next(r for r in rows if r["type"] == "rating_given")
    assert (rating["rating"], rating["comment"], rating["score"]) == (4, "Rart", None)


async def test_it_stores_a_resent_batch_once_and_acknowledges_it(app, db):
    batch = [event("app_opened") for _ in range(50)]
    async with app_client(app) as client:
        await enrol(client)
        first = await post_events(client, batch)
        second = await post_events(client, batch)
    assert first.json()["stored"] == 50
    assert second.status_code == 200
    assert second.json()["stored"] == 0 and second.json()["duplicates"] == 50
    assert sorted(second.json()["ids"]) == sorted(e["id"] for e in batch)
    assert await Event.count() == 50


async def test_it_refuses_a_reused_id_with_other_content_and_stores_nothing_of_that_batch(app, db):
    version = exercise_version(SLUG)
    original = event("exercise_left", exercise_version=version, seconds=30)
    async with app_client(app) as client:
        await enrol(client)
        await post_events(client, [original])
        changed = {**original, "seconds": 45}
        fresh = event("app_opened")
        response = await post_events(client, [fresh, changed])
    assert response.status_code == 409
    assert response.json()["ids"] == [original["id"]]
    assert await Event.count() == 1
    assert (await Event.select(Event.seconds).first())["seconds"] == 30


async def test_it_refuses_another_participants_event_id(app, db):
    shared = event("app_opened")
    async with app_client(app) as first:
        await enrol(first)
        assert (await post_events(first, [shared])).status_code == 200
    async with app_client(app) as second:
        await enrol(second)
        response = await post_events(second, [shared])
    assert response.status_code == 409
    assert await Event.count() == 1


async def test_it_refuses_events_that_name_another_participant(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened", participant=str(uuid.uuid4()))])
    assert response.status_code == 403
    assert await Event.count() == 0


async def test_it_refuses_an_unknown_type_and_stores_nothing(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened"), event("streak_broken")])
    assert response.status_code == 422
    assert "$.events[1].type" in response.json()["detail"]
    assert await Event.count() == 0


async def test_it_refuses_an_unknown_exercise_version(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="en")
        response = await post_events(client, [event("exercise_started", exercise_version=999999)])
    assert response.status_code == 422
    assert "exercise" in response.json()["error"]
    assert await Event.count() == 0


async def test_it_refuses_a_timestamp_more_than_a_day_ahead(app, db):
    future = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    async with app_client(app) as client:
        await enrol(client, lang="en")
        response = await post_events(client, [event("app_opened", occurred_at=future)])
    assert response.status_code == 422
    assert "clock" in response.json()["error"]
    assert await Event.count() == 0


async def test_it_flags_a_slightly_future_clock_instead_of_trusting_it(app, db):
    ahead = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened", occurred_at=ahead)])
    assert response.status_code == 200
    assert (await Event.select(Event.clock_suspect).first())["clock_suspect"] == "future"


async def test_a_phone_clock_a_day_ahead_is_corrected_and_flagged_not_lost(app, db):
    """The phone says it is tomorrow: its events are moved back by the clock's error and flagged."""
    now = datetime.now(UTC)
    phone_now = now + timedelta(days=1, hours=2)
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened", occurred_at=(phone_now - timedelta(minutes=10))
                                                     .isoformat())], sent_at=phone_now.isoformat())
    assert response.status_code == 200
    row = await Event.select(Event.occurred_at, Event.clock_suspect).first()
    assert row["clock_suspect"] == "corrected"
    assert abs(row["occurred_at"] - (now - timedelta(minutes=10))) < timedelta(minutes=1)


async def test_a_resend_from_a_corrected_clock_is_still_the_same_event(app, db):
    phone_now = datetime.now(UTC) - timedelta(days=3)
    sent = event("app_opened", occurred_at=phone_now.isoformat())
    async with app_client(app) as client:
        await enrol(client)
        first = await post_events(client, [sent], sent_at=phone_now.isoformat())
        again = await post_events(client, [sent], sent_at=(phone_now + timedelta(hours=1)).isoformat())
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["duplicates"] == 1
    assert await Event.count() == 1


async def test_a_reused_id_with_other_content_is_logged_for_operators(app, db, caplog):
    sent = event("app_opened")
    async with app_client(app) as client:
        await enrol(client)
        await post_events(client, [sent])
        response = await post_events(client, [{**sent, "occurred_at": (datetime.now(UTC) - timedelta(hours=1))
                                               .isoformat()}])
    assert response.status_code == 409
    assert any(r.levelname == "WARNING" and "409" in r.getMessage() for r in caplog.records)
    assert sent["id"] not in caplog.text  # counts, not ids or people


async def test_it_refuses_a_timestamp_without_a_time_zone(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened", occurred_at="2026-11-22T10:00:00")])
    assert response.status_code == 422
    assert await Event.count() == 0


async def test_it_refuses_a_batch_of_more_than_500(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened") for _ in range(501)])
    assert response.status_code == 422
    assert await Event.count() == 0


async def test_it_refuses_an_oversized_body(app, db):
    big = event("rating_given", exercise_version=exercise_version(SLUG), rating=3, comment="x" * 500)
    async with app_client(app) as client:
        await enrol(client)
        body = b'{"events": [' + b",".join([json.dumps(big).encode()] * 1100) + b"]}"
        response = await client.post("/api/events", headers=API_HEADERS, content=body)
    assert response.status_code == 413
    assert await Event.count() == 0


async def test_it_refuses_a_too_long_comment(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("rating_given", exercise_version=exercise_version(SLUG),
                                                    rating=3, comment="x" * 501)])
    assert response.status_code == 422


async def test_it_refuses_a_rating_outside_one_to_five(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("rating_given", exercise_version=exercise_version(SLUG),
                                                    rating=6)])
    assert response.status_code == 422


async def test_it_refuses_a_step_event_without_its_step(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("step_completed", exercise_version=exercise_version(SLUG))])
    assert response.status_code == 422
    assert "missing step" in response.json()["detail"]


async def test_it_refuses_unknown_fields(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened", name="Karen")])
    assert response.status_code == 422
    assert await Event.count() == 0


async def test_it_refuses_invalid_json(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await client.post("/api/events", headers=API_HEADERS, content=b"{not json")
    assert response.status_code == 400


async def test_it_refuses_a_request_without_the_app_header(app, db):
    async with app_client(app) as client:
        await enrol(client)
        response = await client.post("/api/events", json={"events": [event("app_opened")]})
    assert response.status_code == 400
    assert await Event.count() == 0


async def test_it_refuses_a_phone_that_is_not_enrolled(app, db):
    async with app_client(app) as client:
        response = await post_events(client, [event("app_opened")])
    assert response.status_code == 401
    assert await Event.count() == 0


async def test_it_answers_in_the_participants_language(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="da")
        response = await post_events(client, [event("bogus")])
    english = "Some activity could not be saved because it was not in the right form."
    danish = translations("da").ugettext(english)
    assert danish != english
    assert response.status_code == 422
    assert response.json()["error"] == danish


async def test_it_records_a_rating_from_the_plain_form(app, db):
    from tests.support import csrf_token

    version = exercise_version(SLUG)
    async with app_client(app) as client:
        await enrol(client)
        page = await client.get(f"/exercises/{SLUG}/done")
        response = await client.post(f"/exercises/{SLUG}/rating", data={
            "_csrf_token": csrf_token(page.text), "version": str(version), "rating": "5", "comment": "Godt"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/exercises/{SLUG}/thanks"
    rows = {r["type"]: r for r in await Event.select()}
    assert set(rows) == {"exercise_completed", "rating_given"}
    assert (rows["rating_given"]["rating"], rows["rating_given"]["comment"]) == (5, "Godt")


async def test_it_refuses_a_plain_form_rating_out_of_range(app, db):
    from tests.support import csrf_token

    async with app_client(app) as client:
        await enrol(client)
        page = await client.get(f"/exercises/{SLUG}/done")
        response = await client.post(f"/exercises/{SLUG}/rating", data={
            "_csrf_token": csrf_token(page.text), "version": str(exercise_version(SLUG)), "rating": "9"})
    assert response.status_code == 400
    assert await Event.count() == 0


HOSTILE_MOMENTS = [
    # (field, value): each once made a 500 (an overflow in the clock correction or in the local day)
    ("occurred_at", "0001-01-01T00:00:00Z"),
    ("occurred_at", "9999-01-01T00:00:00Z"),
    ("occurred_at", "2019-12-31T23:59:59Z"),
    ("occurred_at", "2100-01-01T00:00:00Z"),
    ("sent_at", "9999-12-31T23:59:59Z"),
    ("sent_at", "0001-01-01T00:00:00Z"),
]


@pytest.mark.parametrize(("field", "moment"), HOSTILE_MOMENTS)
async def test_a_time_no_phone_could_have_is_refused_by_id_and_nothing_is_stored(app, db, field, moment):
    good, odd = event("app_opened"), event("app_opened")
    if field == "occurred_at":
        odd["occurred_at"] = moment
    async with app_client(app) as client:
        await enrol(client, lang="en")
        response = await post_events(client, [good, odd], sent_at=moment if field == "sent_at" else None)
    assert response.status_code == 422
    assert "clock" in response.json()["error"]
    # The phone is told which events to drop: the odd one, or every one when the batch's own clock is odd.
    assert set(response.json()["ids"]) == ({odd["id"]} if field == "occurred_at" else {good["id"], odd["id"]})
    assert await Event.count() == 0


@pytest.mark.parametrize("comment", ["before\x00after", "escape \x1b[2J", "bell\x07", "delete\x7f"])
async def test_a_comment_with_control_characters_is_refused_on_both_engines(app, db, comment):
    version = exercise_version(SLUG)
    async with app_client(app) as client:
        await enrol(client, lang="en")
        rating = event("rating_given", exercise_version=version, rating=4, comment=comment)
        response = await post_events(client, [event("app_opened"), rating])
    assert response.status_code == 422
    assert response.json()["ids"] == [rating["id"]]
    assert await Event.count() == 0


async def test_a_comment_over_several_lines_is_ordinary_typing(app, db):
    version = exercise_version(SLUG)
    async with app_client(app) as client:
        await enrol(client, lang="en")
        response = await post_events(client, [event("rating_given", exercise_version=version, rating=4,
                                                    comment="Godt.\r\n\tMere af det")])
    assert response.status_code == 200
    assert (await Event.select(Event.comment).first())["comment"] == "Godt.\r\n\tMere af det"


async def test_a_plain_form_comment_with_a_nul_byte_is_refused_kindly(app, db):
    from tests.support import csrf_token

    async with app_client(app) as client:
        await enrol(client, lang="en")
        page = await client.get(f"/exercises/{SLUG}/done")
        response = await client.post(f"/exercises/{SLUG}/rating", data={
            "_csrf_token": csrf_token(page.text), "version": str(exercise_version(SLUG)), "rating": "4",
            "comment": "hidden\x00text"})
    assert response.status_code == 422
    assert "not in the right form" in response.text
    assert await Event.count() == 0
