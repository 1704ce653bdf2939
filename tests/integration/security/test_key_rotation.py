"""Changing SECRET_KEY locks nobody out: the former key goes into SECRET_KEY_FALLBACKS, where it still
verifies and decrypts what it made (never signs anything new), and each thing is renewed under the new key as
it is used; the research pseudonyms have a key of their own that does not change at all.

ASVS 1.6.3 (keys are replaceable, with a defined process to re-encrypt what they protect), 6.4.1 (keys
managed: made, rotated and retired), 2.8.x and 2.5.6 (the second factor and its recovery codes keep working),
3.2.x (session tokens — here the participant's device cookie — stay valid across the change), 4.2.2 (CSRF
tokens stay valid across it).

Each test runs the app as a deployment would after an operator's change: ``running_with(NEW, OLD)`` is
``SECRET_KEY=NEW SECRET_KEY_FALLBACKS=OLD``; ``running_with(NEW)`` is after the old key was retired.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pyotp

from server.accounts import services as accounts
from server.accounts.tables import Account, AccountSession, AuditEntry
from server.coordination import services as coordination
from server.participants import services as participants
from tests.support import WORKSPACE_PASSWORD, app_client, csrf_token, enrol

OLD = os.environ["SECRET_KEY"]  # the suite's key: what the installation ran with before the change
NEW = "the-key-after-the-change-0123456789-abcdefghijklmnop"
EMAIL = "editor@example.org"


@contextlib.asynccontextmanager
async def running_with(settings_env, current: str, *fallbacks: str,
                       cookies: httpx.Cookies | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """The app as started with these keys, and a browser that keeps ``cookies`` from before."""
    settings_env(SECRET_KEY=current, SECRET_KEY_FALLBACKS=",".join(fallbacks))
    from server.app import create_app

    async with app_client(create_app()) as client:
        if cookies is not None:
            client.cookies = cookies
        yield client


async def sign_in(client: httpx.AsyncClient) -> httpx.Response:
    form = await client.get("/workspace/login")
    return await client.post("/workspace/login", data={"_csrf_token": csrf_token(form.text), "email": EMAIL,
                                                       "password": WORKSPACE_PASSWORD})


async def send_code(client: httpx.AsyncClient, code: str) -> httpx.Response:
    page = await client.get("/workspace/login/code")
    return await client.post("/workspace/login/code", data={"_csrf_token": csrf_token(page.text), "code": code})


async def with_second_factor(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    """An editor signs in and sets up her authenticator: its secret and her recovery codes."""
    await accounts.create_account(EMAIL, WORKSPACE_PASSWORD, ("editor",))
    assert (await sign_in(client)).status_code == 303
    page = await client.get("/workspace/account/code")
    secret = page.text.split("data-totp-secret>")[1].split("<")[0]
    pending = page.text.split('name="pending" value="')[1].split('"')[0]
    done = await client.post("/workspace/account/code", data={"_csrf_token": csrf_token(page.text),
                                                              "pending": pending, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    return secret, [c.split("</code>")[0] for c in done.text.split("<code>")[1:]]


async def later() -> None:
    """Time passes: the last code used is long ago (a code is accepted once, and only in its 30 s)."""
    await Account.update({Account.totp_last_step: 0}, force=True)


def next_code(secret: str) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))


async def test_it_signs_in_with_the_authenticator_after_a_key_change_and_renews_the_secret(db, settings_env):
    """ASVS 1.6.3, 2.8.x: the secret encrypted under the old key is read with the fallback, then stored again
    under the new key, so the old key can be retired and the same authenticator still works."""
    async with running_with(settings_env, OLD) as client:
        secret, _codes = await with_second_factor(client)
    stored_before = (await Account.select(Account.totp_secret).first())["totp_secret"]
    await later()

    async with running_with(settings_env, NEW, OLD) as client:
        assert (await sign_in(client)).headers["location"] == "/workspace/login/code"
        signed_in = await send_code(client, next_code(secret))
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/workspace"
        assert (await client.get("/workspace")).status_code == 200
    assert (await Account.select(Account.totp_secret).first())["totp_secret"] != stored_before
    await later()

    async with running_with(settings_env, NEW) as client:  # the old key retired
        await sign_in(client)
        assert (await send_code(client, next_code(secret))).headers["location"] == "/workspace"


async def test_a_recovery_code_lets_her_in_when_the_key_changed_without_a_fallback(db, settings_env):
    """ASVS 2.5.6, 1.6.3: an operator who changed SECRET_KEY and forgot the fallback does not lock out
    every account with a second factor: a recovery code still works (it is hashed, not encrypted), and she
    is asked to set up her authenticator again."""
    async with running_with(settings_env, OLD) as client:
        secret, codes = await with_second_factor(client)
    await later()

    async with running_with(settings_env, NEW) as client:
        await sign_in(client)
        assert (await send_code(client, next_code(secret))).status_code == 400  # cannot be checked: refused
        used = await send_code(client, codes[0])
        assert used.status_code == 303 and used.headers["location"] == "/workspace/account/code"
        setup = await client.get("/workspace/account/code")
        assert setup.status_code == 200 and "data-totp-secret" in setup.text
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action)]
    assert "account.recovery_code_used" in actions and "account.second_factor_unreadable" in actions


async def test_a_phone_stays_enrolled_after_a_key_change_and_its_cookie_is_renewed(db, settings_env):
    """ASVS 3.2.x, 1.6.3: her device cookie signed under the old key is still hers, and the answer signs it
    again under the new key, so she is still herself once the old key is retired."""
    async with running_with(settings_env, OLD) as phone:
        await enrol(phone, lang="en")
        before = phone.cookies
        assert (await phone.get("/home")).status_code == 200

    async with running_with(settings_env, NEW, OLD, cookies=before) as phone:
        home = await phone.get("/home")
        assert home.status_code == 200
        renewed = [c for c in home.headers.get_list("set-cookie") if c.startswith("pusterum=")]
        assert len(renewed) == 1 and "HttpOnly" in renewed[0] and "Max-Age=" in renewed[0]
        after = phone.cookies
        assert after.get("pusterum") != before.get("pusterum")
        again = await phone.get("/home")
        assert not any(c.startswith("pusterum=") for c in again.headers.get_list("set-cookie"))  # renewed once

    async with running_with(settings_env, NEW, cookies=after) as phone:
        assert (await phone.get("/home")).status_code == 200
    async with running_with(settings_env, NEW, cookies=before) as phone:  # the old cookie, after retirement
        assert (await phone.get("/home")).status_code in (302, 303)


async def test_a_form_opened_before_a_key_change_can_be_sent_after_it(db, settings_env):
    """ASVS 4.2.2: the CSRF token of a page opened before the change is still accepted (a form is not refused
    with 403 until the browser is closed), and the next page gets a token under the new key."""
    async with running_with(settings_env, OLD) as browser:
        form = await browser.get("/workspace/login")
        token, cookies = csrf_token(form.text), browser.cookies

    async with running_with(settings_env, NEW, OLD, cookies=cookies) as browser:
        sent = await browser.post("/workspace/login", data={"_csrf_token": token, "email": EMAIL,
                                                            "password": "not her password at all"})
        assert sent.status_code == 400  # judged (a wrong password), not refused as a forgery
        fresh = await browser.get("/workspace/login")
        assert any(c.startswith("pusterum_csrf=") for c in fresh.headers.get_list("set-cookie"))
        token, cookies = csrf_token(fresh.text), browser.cookies

    async with running_with(settings_env, NEW, cookies=cookies) as browser:
        sent = await browser.post("/workspace/login", data={"_csrf_token": token, "email": EMAIL,
                                                            "password": "not her password at all"})
        assert sent.status_code == 400


async def test_a_typed_code_printed_before_a_key_change_still_works(db, settings_env):
    """ASVS 1.6.3: a typed code's link code was derived under the old key; /join tries the fallbacks too."""
    async with running_with(settings_env, OLD):
        typed = coordination.new_typed_code()
        link = coordination.typed_link_code(typed)
        site = await participants.ensure_site("rotation-site", "Rotation clinic", "0101")
        await participants.create_invite(kind="patient", site_id=site, code=link)

    async with running_with(settings_env, NEW, OLD) as phone:
        form = await phone.get("/join")
        sent = await phone.post("/join", data={"_csrf_token": csrf_token(form.text),
                                               "code": coordination.format_typed(typed).upper()})
        assert sent.status_code == 303 and sent.headers["location"].endswith(f"/{link}")


async def test_a_typed_codes_sheet_still_shows_its_code_after_a_key_change(db, settings_env):
    """ASVS 1.6.3: a typed code sealed before the change opens with the fallback, and is recognised as its
    row's code although its link code was derived under the old key: its sheet can still be printed."""
    from server.coordination.schemas import InviteForm
    from server.participants.tables import InviteCode

    async with running_with(settings_env, OLD):
        site = await participants.ensure_site("rotation-sheet", "Rotation clinic", "0101")
        made = await coordination.create_site_invite(None, site, InviteForm(kind="patient", format="typed"))
    async with running_with(settings_env, NEW, OLD):
        row = await InviteCode.select(InviteCode.code_hash, InviteCode.code_sealed).where(
            InviteCode.id == made.id).first()
        opened = coordination.unseal(row["code_sealed"], row["code_hash"])
        assert opened is not None and opened.typed == made.typed and opened.code == made.code


async def test_research_pseudonyms_stay_the_same_after_a_key_change(db, settings_env):
    """ASVS 1.6.3: pseudonyms in files exported before the change and after it join: the pseudonyms' key is
    stored once, as it was derived from the old SECRET_KEY, and no longer follows SECRET_KEY."""
    purpose_key = hmac.new(OLD.encode(), b"research-pseudonym", hashlib.sha256).digest()

    def as_before(participant_id) -> str:  # what exports wrote before pseudonyms had a key of their own
        mac = hmac.new(purpose_key, str(participant_id).encode(), hashlib.sha256).digest()
        return "p" + base64.urlsafe_b64encode(mac).decode().rstrip("=")[:15]

    async def exported(client: httpx.AsyncClient) -> set[str]:
        form = await client.get("/workspace/login")
        await client.post("/workspace/login", data={"_csrf_token": csrf_token(form.text),
                                                    "email": "researcher@example.org", "password": WORKSPACE_PASSWORD})
        got = await client.get("/workspace/reports/exports/download", params={"file": "participants.csv"})
        assert got.status_code == 200
        return {line.split(",")[0] for line in got.content.decode("utf-8-sig").splitlines()[1:]}

    await accounts.create_account("researcher@example.org", WORKSPACE_PASSWORD, ("researcher",))
    async with running_with(settings_env, OLD) as phone:
        who = await enrol(phone, lang="en")
    async with running_with(settings_env, OLD) as browser:
        first = await exported(browser)
    async with running_with(settings_env, NEW) as browser:  # changed, and the old key already retired
        second = await exported(browser)
    assert first == second == {as_before(who)}


async def test_a_fallback_key_never_signs_or_encrypts_anything_new(db, settings_env):
    """ASVS 6.4.1: while both keys are configured, everything made is made under the new key only: a phone
    enrolled now, a CSRF cookie issued now and a second factor set up now all work with the new key alone and
    none with the old key alone."""
    async with running_with(settings_env, NEW, OLD) as client:
        await enrol(client, lang="en")
        secret, _codes = await with_second_factor(client)
        cookies = client.cookies
        token = csrf_token((await client.get("/workspace/login")).text)
    await AccountSession.delete(force=True)
    await later()

    async with running_with(settings_env, OLD, cookies=cookies) as client:
        assert (await client.get("/home")).status_code in (302, 303)  # not her device under the old key
        refused = await client.post("/workspace/login", data={"_csrf_token": token, "email": EMAIL,
                                                              "password": WORKSPACE_PASSWORD})
        assert refused.status_code == 403
    async with running_with(settings_env, NEW, cookies=cookies) as client:
        assert (await client.get("/home")).status_code == 200
        signed_in = await client.post("/workspace/login", data={"_csrf_token": token, "email": EMAIL,
                                                                "password": WORKSPACE_PASSWORD})
        assert signed_in.headers["location"] == "/workspace/login/code"
        assert (await send_code(client, next_code(secret))).headers["location"] == "/workspace"
