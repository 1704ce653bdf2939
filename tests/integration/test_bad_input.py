"""Every endpoint answers bad input with a 4xx a person understands, and changes nothing."""

from __future__ import annotations

import pytest

from server.engagement.tables import Event
from server.participants.tables import InviteCode, Participant
from tests.support import API_HEADERS, app_client, csrf_token, enrol, make_invite

ENGLISH_HINTS = ("We could not", "Something in what was sent", "not right", "please", "Please", "not saved",
                 "could not be", "This page had been open")


async def _state() -> tuple:
    return (await Participant.count(), await Event.count(),
            tuple(r["uses"] for r in await InviteCode.select(InviteCode.uses).order_by(InviteCode.id)))


FORM_CASES = [
    # (path, form fields without the token, expected status)
    ("/language", {"lang": "klingon", "next": "/"}, 400),
    ("/language", {"next": "/"}, 400),
    ("/welcome/municipality", {"municipality": "12345"}, 400),
    ("/welcome/municipality", {"municipality": "9999"}, 400),
    ("/exercises/one-minute-landing/rating", {"version": "abc", "rating": "3"}, 400),
    ("/exercises/one-minute-landing/rating", {"version": "1", "rating": "3", "comment": "x" * 501}, 400),
    ("/exercises/one-minute-landing/rating", {"version": "999999", "rating": "3"}, 400),
    ("/exercises/no-such-exercise/rating", {"version": "1", "rating": "3"}, 400),
]


@pytest.mark.parametrize(("path", "fields", "status"), FORM_CASES)
async def test_it_refuses_bad_forms_kindly_and_changes_nothing(app, db, path, fields, status):
    async with app_client(app) as client:
        await enrol(client, lang="en")
        token = csrf_token((await client.get("/settings")).text)
        before = await _state()
        response = await client.post(path, data={"_csrf_token": token, **fields})
    assert response.status_code == status, response.text[:300]
    assert "Traceback" not in response.text and "Exception" not in response.text
    assert any(hint in response.text for hint in ENGLISH_HINTS), response.text[:500]
    assert await _state() == before


async def test_it_refuses_a_consent_post_with_a_malformed_code(app, db):
    await make_invite()
    async with app_client(app) as client:
        token = csrf_token((await client.get("/")).text)
        before = await _state()
        response = await client.post("/j/%3Cscript%3E", data={"_csrf_token": token, "lang": "en",
                                                               "consent": "yes"})
    assert response.status_code == 404
    assert "<script>" not in response.text
    assert await _state() == before


@pytest.mark.parametrize("body", [b"", b"[]", b'{"events": []}', b'{"events": "many"}', b'{"events": [{}]}',
                                  b'{"events": [{"id": "not-a-uuid", "type": "app_opened", '
                                  b'"occurred_at": "2026-11-22T10:00:00Z"}]}',
                                  b'{"events": [{"id": "7d0f7c5e-4b1a-4c3e-9f00-000000000001", '
                                  b'"type": "app_opened", "occurred_at": "yesterday"}]}'])
async def test_it_refuses_malformed_event_batches(app, db, body):
    async with app_client(app) as client:
        await enrol(client, lang="en")
        before = await _state()
        response = await client.post("/api/events", headers=API_HEADERS, content=body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]
    assert await _state() == before


@pytest.mark.parametrize("path", ["/j/x", "/j/" + "a" * 300, "/j/abc/consent?lang=de",
                                  "/exercises/%00", "/library?kind=" + "x" * 5000])
async def test_it_answers_odd_urls_without_a_server_error(app, db, path):
    async with app_client(app) as client:
        await enrol(client)
        response = await client.get(path)
    assert response.status_code < 500
    assert "Traceback" not in response.text


async def test_it_refuses_an_unsupported_method_kindly(app, db):
    async with app_client(app) as client:
        response = await client.delete("/support", headers={"accept-language": "en"})
    assert response.status_code == 405
    assert "That is not something this page can do." in response.text
