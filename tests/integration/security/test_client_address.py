"""Behind nginx every request comes from 127.0.0.1: the throttles and limits key on the client that nginx
names in X-Forwarded-For, and only when TRUSTED_PROXIES says nginx is ours."""

from __future__ import annotations

import httpx

from tests.support import Actor, app_client, csrf_token

WRONG = ["2222aaaa", "2222aaab", "2222aaac", "2222aaad", "2222aaae", "2222aaaf"]


def _visitor(app, peer: str, forwarded_for: str | None = None) -> Actor:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return Actor(transport=httpx.ASGITransport(app=app, client=(peer, 40000)), base_url="http://testserver",
                 follow_redirects=False, headers=headers)


async def _guesses(client: httpx.AsyncClient, codes: list[str], forwarded_for: list[str] | None = None) -> list[int]:
    token = csrf_token((await client.get("/join")).text)
    statuses = []
    for i, code in enumerate(codes):
        headers = {"X-Forwarded-For": forwarded_for[i]} if forwarded_for else {}
        statuses.append((await client.post("/join", data={"_csrf_token": token, "code": code},
                                           headers=headers)).status_code)
    return statuses


async def test_two_visitors_behind_a_trusted_proxy_are_throttled_each_on_their_own(app, db, settings_env):
    settings_env(TRUSTED_PROXIES="127.0.0.1")
    async with app_client(app), _visitor(app, "127.0.0.1", "198.51.100.1") as guesser, \
                _visitor(app, "127.0.0.1", "198.51.100.2") as mother:
        assert await _guesses(guesser, WRONG) == [400] * 5 + [429]
        # Before, both were 127.0.0.1, and one person's guessing locked out the whole region.
        assert await _guesses(mother, ["2222aaag"]) == [400]


async def test_a_spoofed_header_from_an_untrusted_peer_does_not_escape_the_throttle(app, db, settings_env):
    settings_env(TRUSTED_PROXIES="127.0.0.1")
    async with app_client(app), _visitor(app, "203.0.113.7") as guesser:
        fresh_each_time = [f"198.51.100.{i}" for i in range(len(WRONG))]
        assert await _guesses(guesser, WRONG, fresh_each_time) == [400] * 5 + [429]


async def test_without_trusted_proxies_the_header_is_ignored(app, db, settings_env):
    settings_env(TRUSTED_PROXIES="")
    async with app_client(app), _visitor(app, "127.0.0.1") as guesser:
        fresh_each_time = [f"198.51.100.{i}" for i in range(len(WRONG))]
        assert await _guesses(guesser, WRONG, fresh_each_time) == [400] * 5 + [429]


async def test_a_malformed_header_from_a_trusted_proxy_is_no_error(app, db, settings_env):
    settings_env(TRUSTED_PROXIES="127.0.0.1")
    async with app_client(app), _visitor(app, "127.0.0.1") as visitor:
        token = csrf_token((await visitor.get("/join")).text)
        for header in ["", "garbage", "[::1", "1.2.3.4:x:y", ",,,", "\t", "9" * 4000]:
            response = await visitor.post("/join", data={"_csrf_token": token, "code": "2222aaaa"},
                                          headers={"X-Forwarded-For": header})
            assert response.status_code in (400, 429), header
