"""A photographed QR code cannot flood the system: enrolments per code and per client address per hour,
counted in the database; a refusal is a kind 429 with Retry-After that creates nothing and uses nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from server.participants.tables import InviteCode, Participant
from tests.support import Actor, app_client, csrf_token, make_invite, make_staff_code

HOUR = 3600
pytestmark = pytest.mark.usefixtures("limits_clock")


def _phone(app, address: str) -> Actor:
    return Actor(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://testserver",
                 follow_redirects=False)


async def _join(app, code: str, address: str, door: str = "/j", lang: str = "da") -> httpx.Response:
    async with _phone(app, address) as client:
        page = await client.get(f"{door}/{code}/consent", params={"lang": lang})
        return await client.post(f"{door}/{code}", data={"_csrf_token": csrf_token(page.text), "lang": lang,
                                                         "consent": "yes"})


async def test_one_client_cannot_enrol_dozens_from_one_staff_qr_code(app, db, settings_env):
    # The attack: 61 participants in 15 s from one staff code. Scaled down: a limit of 5 and 16 at once.
    settings_env(LIMIT_ENROL_PER_CODE_HOUR="5", LIMIT_ENROL_PER_ADDRESS_HOUR="1000")
    code = await make_staff_code()
    async with app_client(app):
        answers = await asyncio.gather(*[_join(app, code, "203.0.113.7", door="/u") for _ in range(16)])
    statuses = [r.status_code for r in answers]
    assert statuses.count(303) == 5 and statuses.count(429) == 11, statuses
    assert await Participant.count() == 5
    assert (await InviteCode.select(InviteCode.uses).first())["uses"] == 5
    for refused in (r for r in answers if r.status_code == 429):
        assert int(refused.headers["retry-after"]) == HOUR - 1830
        assert "set-cookie" not in refused.headers or "pusterum=" not in refused.headers["set-cookie"]


async def test_many_phones_from_many_addresses_are_limited_per_code(app, db, settings_env):
    settings_env(LIMIT_ENROL_PER_CODE_HOUR="4", LIMIT_ENROL_PER_ADDRESS_HOUR="1000")
    code = await make_invite()
    async with app_client(app):
        answers = await asyncio.gather(*[_join(app, code, f"198.51.100.{i}") for i in range(12)])
    assert [r.status_code for r in answers].count(303) == 4
    assert await Participant.count() == 4


async def test_one_address_is_limited_across_codes_and_others_still_join(app, db, settings_env):
    settings_env(LIMIT_ENROL_PER_CODE_HOUR="1000", LIMIT_ENROL_PER_ADDRESS_HOUR="3")
    first, second = await make_invite(), await make_invite()
    async with app_client(app):
        answers = await asyncio.gather(*[_join(app, code, "203.0.113.7") for code in (first, second) * 4])
        assert [r.status_code for r in answers].count(303) == 3
        assert (await _join(app, second, "198.51.100.1")).status_code == 303
    assert await Participant.count() == 4
    assert sum(r["uses"] for r in await InviteCode.select(InviteCode.uses)) == 4


async def test_the_refusal_is_kind_and_in_her_language_and_changes_nothing(app, db, settings_env):
    settings_env(LIMIT_ENROL_PER_CODE_HOUR="1")
    code = await make_invite(max_uses=10)
    async with app_client(app):
        assert (await _join(app, code, "198.51.100.1")).status_code == 303
        refused = await _join(app, code, "198.51.100.2", lang="da")
        english = await _join(app, code, "198.51.100.3", lang="en")
    assert refused.status_code == 429 and english.status_code == 429
    assert "Mange er kommet med på kort tid" in refused.text
    assert "Many people have joined in a short time" in english.text
    assert await Participant.count() == 1
    assert (await InviteCode.select(InviteCode.uses).first())["uses"] == 1


async def test_the_defaults_let_a_busy_clinic_day_through(app, db):
    code = await make_invite()
    async with app_client(app):
        answers = await asyncio.gather(*[_join(app, code, "203.0.113.7") for _ in range(25)])
    assert {r.status_code for r in answers} == {303}
