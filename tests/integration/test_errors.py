"""When something breaks on our side: a kind page, no traceback to the person, a log line without secrets."""

from __future__ import annotations

import logging

from server.participants import services
from tests.support import app_client, make_invite


async def test_an_unexpected_error_shows_a_kind_page_and_logs_no_invite_code(app, db, monkeypatch, caplog):
    """ASVS 7.4.1, 7.1.1: a generic, kind page and a log line with a request id, but no code or token."""
    code = await make_invite()

    async def broken(*_args, **_kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(services, "check_code", broken)
    caplog.set_level(logging.ERROR)
    async with app_client(app) as client:
        response = await client.get(f"/j/{code}", headers={"accept-language": "en"})
    assert response.status_code == 500
    assert "Nothing you did caused it" in response.text
    assert "Traceback" not in response.text and "database fell over" not in response.text
    assert response.headers["x-request-id"]
    logged = [r.getMessage() for r in caplog.records]
    assert any("unhandled_error route=participants:join" in m for m in logged), logged
    assert not any(code in m for m in logged)


async def test_it_keeps_a_proxys_request_id_and_replaces_a_strange_one(app, db):
    async with app_client(app) as client:
        kept = await client.get("/support", headers={"x-request-id": "proxy-abc-12345"})
        replaced = await client.get("/support", headers={"x-request-id": "<script>"})
    assert kept.headers["x-request-id"] == "proxy-abc-12345"
    assert replaced.headers["x-request-id"] != "<script>" and len(replaced.headers["x-request-id"]) == 16


async def test_a_page_that_does_not_exist_says_so_in_her_language(app, db):
    """Issue 15: "Siden findes ikke", not "Det kunne vi ikke" (which reads as if she did something wrong)."""
    async with app_client(app) as client:
        response = await client.get("/no-such-page", headers={"accept-language": "da"})
    assert response.status_code == 404
    assert "<h1>Siden findes ikke</h1>" in response.text and "Det kunne vi ikke" not in response.text
