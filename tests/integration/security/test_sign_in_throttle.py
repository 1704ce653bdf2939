"""A determined outsider at the doors where a secret is guessed: the password, the second factor, a typed
invite code. Tries are counted before the secret is judged, in one statement per count, so a burst of
simultaneous guesses gets no more checks than a slow one, and nobody gets a 500; an attacker at one
address cannot keep a person at another address out, and a forged X-Forwarded-For changes nothing.

ASVS 4.0.3: 2.2.1 (anti-automation against credential guessing, no more than 100 failed tries an hour on
one account, without a lockout an attacker can cause), 11.1.4 (anti-automation against excessive calls),
3.4.2 and 3.4.3 (the known-browser cookie is HttpOnly and SameSite=Strict). The numbers are those of
``server.accounts.throttle``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import types
from collections import Counter

import httpx
import pyotp
import pytest

from server.accounts import passwords, services
from server.accounts import secrets as mfa
from tests.conftest import ROOT
from tests.support import Actor, app_client, csrf_token

EMAIL, PASSWORD = "head.midwife@example.org", "a kettle that sings before it boils"
ATTACKER, VICTIM = "203.0.113.66", "198.51.100.20"
ALPHABET = "abcdefghjk"  # letters a typed code may hold


def browser(app, address: str, forwarded_for: str | None = None) -> Actor:
    """A new browser, nobody's yet, whose requests come from ``address`` (the socket's peer)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return Actor(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://testserver",
                 follow_redirects=False, headers=headers)


async def sign_in(client: httpx.AsyncClient, password: str, email: str = EMAIL, **headers: str) -> httpx.Response:
    form = await client.get("/workspace/login")
    return await client.post("/workspace/login", headers=headers, data={
        "_csrf_token": csrf_token(form.text), "email": email, "password": password})


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every password the server actually verified (argon2 ran), in order."""
    seen: list[str] = []
    verify = passwords.verify

    async def counting(password_hash: str | None, password: str) -> bool:
        seen.append(password)
        return await verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify", counting)
    return seen


@pytest.fixture
def cheap_argon2(monkeypatch) -> None:
    """Hours of guessing in seconds: hashes made (and so checked) with argon2's cheapest parameters."""
    from argon2 import PasswordHasher, profiles

    monkeypatch.setattr(passwords, "hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture
def clock(monkeypatch) -> types.SimpleNamespace:
    """The throttle's clock, moved on by the test (``clock.now += 60``)."""
    import time

    from server.accounts import throttle

    held = types.SimpleNamespace(now=time.time())
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=lambda: held.now))
    return held


# --- a burst of simultaneous guesses ---

async def test_it_checks_at_most_five_of_a_hundred_simultaneous_wrong_passwords(app, db, checks):
    """ASVS 2.2.1, 11.1.4: the try is counted before argon2 runs (it runs on threads, for a while), so
    simultaneous guesses cannot all slip in before the first failure is written; none is a 500."""
    await services.create_account(EMAIL, PASSWORD, ("admin",))
    async with app_client(app), browser(app, ATTACKER) as attacker:
        token = csrf_token((await attacker.get("/workspace/login")).text)
        answers = await asyncio.gather(*(attacker.post("/workspace/login", data={
            "_csrf_token": token, "email": EMAIL, "password": f"guess number {i} of many"}) for i in range(100)))
    assert Counter(r.status_code for r in answers) == {400: 5, 429: 95}
    assert len(checks) == 5
    assert all(int(r.headers["retry-after"]) > 0 for r in answers if r.status_code == 429)


async def test_it_checks_at_most_five_of_thirty_simultaneous_wrong_second_factor_codes(app, db):
    """ASVS 2.2.1, 11.1.4: the second step (TOTP or a recovery code) is counted before it is judged, per
    account; two first failures at once are no 500 (a duplicate row once was)."""
    account_id = await services.create_account(EMAIL, PASSWORD, ("admin",))
    secret = mfa.new_totp_secret()
    assert await services.confirm_totp(account_id, secret, pyotp.TOTP(secret).now())
    async with app_client(app), browser(app, VICTIM) as her:
        assert (await sign_in(her, PASSWORD)).headers["location"] == "/workspace/login/code"
        token = csrf_token((await her.get("/workspace/login/code")).text)
        answers = await asyncio.gather(*(her.post("/workspace/login/code", data={
            "_csrf_token": token, "code": f"{i:06d}" if i % 2 else f"abcde-{i:05d}"}) for i in range(30)))
        assert Counter(r.status_code for r in answers) == {400: 5, 429: 25}
        # While the count is full, even the right code waits: a refusal says nothing about the code.
        right = await her.post("/workspace/login/code", data={"_csrf_token": token,
                                                               "code": pyotp.TOTP(secret).now()})
        assert right.status_code == 429


async def test_it_judges_at_most_five_of_thirty_simultaneous_typed_codes(app, db):
    """ASVS 11.1.4: typed /join codes are counted per client before they are looked up; no 500."""
    async with app_client(app), browser(app, ATTACKER) as guesser:
        token = csrf_token((await guesser.get("/join")).text)
        answers = await asyncio.gather(*(guesser.post("/join", data={
            "_csrf_token": token, "code": f"2222aa{ALPHABET[i // 10]}{ALPHABET[i % 10]}"}) for i in range(30)))
    assert Counter(r.status_code for r in answers) == {400: 5, 429: 25}


# --- not a lockout ---

async def test_a_person_signs_in_from_her_address_while_an_attacker_hammers_her_account(app, db, checks):
    """ASVS 2.2.1: the attacker's failures hold back the attacker (this account from his address, and his
    address), not her: with the right password, from elsewhere, in a browser she has never used, she is in."""
    await services.create_account(EMAIL, PASSWORD, ("admin",))
    async with app_client(app), browser(app, ATTACKER) as attacker, browser(app, VICTIM) as her:
        statuses = [(await sign_in(attacker, f"guess number {i} of many")).status_code for i in range(12)]
        assert statuses == [400] * 5 + [429] * 7
        assert (await sign_in(her, PASSWORD)).headers["location"] == "/workspace"
        # And the attacker is still held: her success gave him nothing.
        assert (await sign_in(attacker, PASSWORD)).status_code == 429
    assert len(checks) == 5 + 1


async def test_an_hour_of_guessing_from_one_address_gets_24_guesses_and_never_keeps_her_out(
        app, db, cheap_argon2, checks, clock):
    """ASVS 2.2.1: one address, one try every 10 seconds for an hour: 5 at once, then one every three
    minutes; she signs in from her address at any moment."""
    await services.create_account(EMAIL, PASSWORD, ("admin",))
    async with app_client(app), browser(app, ATTACKER) as attacker:
        token = csrf_token((await attacker.get("/workspace/login")).text)
        for second in range(0, 3600, 10):
            await attacker.post("/workspace/login", data={"_csrf_token": token, "email": EMAIL,
                                                          "password": f"guess at {second} s"})
            if second % 900 == 450:
                async with browser(app, VICTIM) as her:
                    assert (await sign_in(her, PASSWORD)).status_code == 303
            clock.now += 10
    guesses = [p for p in checks if p != PASSWORD]
    assert len(guesses) == 5 + 3600 // 180 - 1  # the last refill falls at 3600 s, just after the hour


async def test_many_addresses_are_held_to_100_guesses_an_hour_and_her_own_browser_still_gets_in(
        app, db, cheap_argon2, checks, clock):
    """ASVS 2.2.1: guessing one account from ten addresses, each trying once a minute for an hour, gets at
    most 100 checks (40 at once, then one a minute across every address without a cookie from an earlier
    sign-in to this account). The browser she signed in with before is counted on its own and gets in."""
    await services.create_account(EMAIL, PASSWORD, ("admin",))
    async with app_client(app), browser(app, VICTIM) as hers:
        signed_in = await sign_in(hers, PASSWORD)
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("pusterum_ws_known="))
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Max-Age=" in cookie
        await hers.post("/workspace/logout", data={"_csrf_token": csrf_token((await hers.get("/workspace")).text)})
        checks.clear()
        attackers = [browser(app, f"203.0.113.{i}") for i in range(10)]
        tokens = [csrf_token((await a.get("/workspace/login")).text) for a in attackers]
        refused = 0
        for minute in range(60):
            for i, (attacker, token) in enumerate(zip(attackers, tokens, strict=True)):
                answer = await attacker.post("/workspace/login", data={"_csrf_token": token, "email": EMAIL,
                                                                       "password": f"guess {minute}-{i}"})
                refused += answer.status_code == 429
            if minute in (15, 59):
                assert (await sign_in(hers, PASSWORD)).headers["location"] == "/workspace"
                await hers.post("/workspace/logout",
                                data={"_csrf_token": csrf_token((await hers.get("/workspace")).text)})
            clock.now += 60
        for attacker in attackers:
            await attacker.aclose()
    guesses = [p for p in checks if p != PASSWORD]
    assert len(guesses) == 40 + 59, len(guesses)  # 40 at once, then one for each minute that followed
    assert refused == 600 - len(guesses)


def test_a_known_browser_cookie_speaks_only_for_the_account_it_was_made_for():
    """ASVS 2.2.1: the cookie that has her browser counted on its own is signed and names one account (by a
    keyed hash); for another account, altered or made up, it counts as any new browser."""
    from server.accounts import throttle

    def kinds(token: str | None, email: str = EMAIL) -> list[str]:
        return [key.budget.kind for key in throttle.sign_in_keys(email, VICTIM, token)]

    token = throttle.known_browser_token(" Head.Midwife@Example.org")
    unknown = ["sign-in", "client", "account"]
    assert kinds(token) == ["known-browser"]
    assert kinds(token, "colleague@example.org") == unknown
    assert kinds(token[:-3] + ("abc" if not token.endswith("abc") else "xyz")) == unknown
    assert kinds("made-up:value.signature") == kinds("") == kinds(None) == unknown
    assert EMAIL not in token and "midwife" not in token.lower()


# --- the address is the socket's, unless a trusted proxy names it ---

async def test_a_forged_forwarded_for_neither_escapes_the_count_nor_pins_her_address(app, db, settings_env, checks):
    """ASVS 2.2.1, 11.1.4: X-Forwarded-For is believed only from TRUSTED_PROXIES. An outsider who sends it
    himself, naming a new address each time, is still counted at his own; naming her address does not make
    her wait; behind the trusted proxy each of them is counted at the address the proxy names."""
    settings_env(TRUSTED_PROXIES="127.0.0.1")
    await services.create_account(EMAIL, PASSWORD, ("admin",))
    others = [f"colleague-{i}@example.org" for i in range(25)]
    async with app_client(app), browser(app, ATTACKER) as attacker:
        # Spraying 25 accounts, one guess each, a fresh forged address each time: his address holds 20.
        sprayed = [(await sign_in(attacker, "summer2026!", email, **{"X-Forwarded-For": f"192.0.2.{i}"}))
                   .status_code for i, email in enumerate(others)]
        assert sprayed == [400] * 20 + [429] * 5
        # Naming her address: still his own count; hers stays untouched.
        pinned = [(await sign_in(attacker, f"guess {i}", **{"X-Forwarded-For": VICTIM})).status_code
                  for i in range(3)]
        assert pinned == [429] * 3
        her = browser(app, "127.0.0.1", forwarded_for=VICTIM)
        guesser_behind_proxy = browser(app, "127.0.0.1", forwarded_for="198.51.100.99")
        assert [(await sign_in(guesser_behind_proxy, f"guess {i}")).status_code
                for i in range(6)] == [400] * 5 + [429]
        assert (await sign_in(her, PASSWORD)).headers["location"] == "/workspace"
        await her.aclose()
        await guesser_behind_proxy.aclose()


# --- across processes ---

_TAKE_FIFTY = textwrap.dedent("""
    import asyncio
    from server import db
    from server.accounts import throttle

    async def main():
        if not db.is_sqlite():
            await db.engine().start_connection_pool(min_size=1, max_size=10)
        key = throttle.Key(throttle.TYPED_CODE, "two-processes")
        waits = await asyncio.gather(*(throttle.take([key]) for _ in range(50)))
        print(sum(1 for w in waits if w == 0))

    asyncio.run(main())
""")


async def test_two_processes_taking_from_one_count_at_once_get_five_tries_between_them(db):
    """ASVS 2.2.1, 11.1.4: the count lives in the database and each try is one atomic statement, so two
    processes (two workers, or two instances on PostgreSQL) racing on one key share its five tries."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [await asyncio.create_subprocess_exec(sys.executable, "-c", _TAKE_FIFTY, cwd=ROOT, env=env,
                                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outputs = [await run.communicate() for run in runs]
    assert all(run.returncode == 0 for run in runs), [err.decode()[-2000:] for _, err in outputs]
    assert sum(int(out.decode().split()[-1]) for out, _ in outputs) == 5
