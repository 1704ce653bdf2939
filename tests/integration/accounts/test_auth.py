"""Workspace accounts: passwords, second factor, sessions, throttling, invitations, roles and the audit log."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher

from server.accounts import services
from server.accounts.tables import Account, AccountSession, AuditEntry
from tests.support import WORKSPACE_PASSWORD, app_client, csrf_token, set_up_totp, sign_in

PASSWORD = WORKSPACE_PASSWORD  # the actors' password too: login() signs one of them in again


async def make_account(email: str = "admin@example.org", roles: tuple[str, ...] = ("admin",)) -> int:
    return await services.create_account(email, PASSWORD, roles)


async def login(client, email: str = "admin@example.org", password: str = PASSWORD):
    return await sign_in(client, email, password)


async def send_code(client, code: str):
    page = await client.get("/workspace/login/code")
    return await client.post("/workspace/login/code", data={"_csrf_token": csrf_token(page.text), "code": code})


@pytest.mark.parametrize(("password", "why"), [("short", "at least 8"), ("password123", "too common"),
                                               ("admin@example.org", "too common"), ("x" * 129, "at most 128")])
async def test_weak_passwords_are_refused_with_a_reason(db, password, why):
    """ASVS 2.1.1, 2.1.2, 2.1.7: 8 to 128 characters, and no common or breached-list password."""
    from server.lib.i18n import current_language

    current_language.set("en")  # as the workspace speaks to an English-speaking editor
    with pytest.raises(services.AccountError, match=why):
        await services.create_account("admin@example.org", password, ("admin",))
    assert await Account.count() == 0


async def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(app, db):
    """ASVS 2.2.1 (and no account enumeration): the same answer whether or not the account exists."""
    await make_account()
    async with app_client(app) as client:
        wrong = await login(client, password="not the right one at all")
        unknown = await login(client, email="nobody@example.org")
    assert wrong.status_code == unknown.status_code == 400
    message = "That e-mail and password do not match an account"
    assert message in wrong.text or "passer ikke til en konto" in wrong.text
    assert wrong.text.split('role="alert"')[1][:200] == unknown.text.split('role="alert"')[1][:200]


async def test_login_sets_a_strict_http_only_session_cookie_kept_in_the_database(app, db):
    """ASVS 3.2.1, 3.4.1, 3.4.2, 3.4.3: a new session token at sign-in, in a Secure-capable, HttpOnly,
    SameSite=Strict cookie, kept server-side."""
    account_id = await make_account()
    async with app_client(app) as client:
        response = await login(client)
        assert response.headers["location"] == "/workspace"  # development: the second factor is offered
        cookie = response.headers["set-cookie"]
        assert "pusterum_ws=" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
        assert "samesite=strict" in cookie.lower()
        home = await client.get("/workspace")
        assert home.status_code == 200 and "no-store" in home.headers["cache-control"]
    assert await AccountSession.count().where(AccountSession.account == account_id) == 1


async def test_second_factor_with_recovery_codes_and_no_replay(app, db):
    """ASVS 2.8.1, 2.8.4, 2.6.1: a time-based code is accepted once; a recovery code works once."""
    await make_account()
    async with app_client(app) as client:
        await login(client)
        secret, codes = await set_up_totp(client)
        assert len(codes) == 10
        page = await client.get("/workspace")
        await client.post("/workspace/logout", data={"_csrf_token": csrf_token(page.text)})
        assert (await client.get("/workspace")).headers["location"] == "/workspace/login"

        assert (await login(client)).headers["location"] == "/workspace/login/code"
        assert (await client.get("/workspace")).headers["location"] == "/workspace/login/code"  # not yet
        assert (await send_code(client, "000000")).status_code == 400
        # The next 30-second code (a phone clock slightly ahead is allowed for):
        code = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
        assert (await send_code(client, code)).headers["location"] == "/workspace"
        assert (await client.get("/workspace")).status_code == 200

        client.cookies.clear()
        await login(client)
        assert (await send_code(client, code)).status_code == 400  # the same code is not accepted twice
        assert (await send_code(client, codes[0])).headers["location"] == "/workspace"
        client.cookies.clear()
        await login(client)
        assert (await send_code(client, codes[0])).status_code == 400  # a recovery code works once


async def test_production_requires_the_second_factor_before_anything_else(app, db, monkeypatch):
    from server.accounts import guards

    production = dataclasses.replace(guards.get_settings(), production=True)
    monkeypatch.setattr(guards, "get_settings", lambda: production)
    monkeypatch.setattr("server.accounts.controllers.second_factor_required", guards.second_factor_required)
    await make_account()
    async with app_client(app) as client:
        assert (await login(client)).headers["location"] == "/workspace/account/code"
        assert (await client.get("/workspace")).headers["location"] == "/workspace/account/code"
        assert (await client.get("/workspace/admin/accounts")).headers["location"] == "/workspace/account/code"


async def test_sessions_end_after_15_idle_minutes_and_8_hours_in_all(app, db):
    """ASVS 3.3.2: an idle session ends after 15 minutes, any session after 8 hours."""
    await make_account()
    async with app_client(app) as client:
        await login(client)
        await AccountSession.update({AccountSession.last_seen_at: datetime.now(UTC) - timedelta(minutes=16)},
                                    force=True)
        assert (await client.get("/workspace")).headers["location"] == "/workspace/login"
        client.cookies.clear()
        await login(client)
        await AccountSession.update({AccountSession.created_at: datetime.now(UTC) - timedelta(hours=8, minutes=1)},
                                    force=True)
        assert (await client.get("/workspace")).headers["location"] == "/workspace/login"


async def test_after_five_failures_the_right_password_from_the_same_address_waits_too(app, db):
    await make_account()
    async with app_client(app) as client:
        for _ in range(5):
            assert (await login(client, password="wrong password here")).status_code == 400
        blocked = await login(client)
        assert blocked.status_code == 429 and ("3 minutes" in blocked.text or "3 minutter" in blocked.text)
    async with app_client(app) as other_client:  # another browser at the same address: the same count
        assert (await login(other_client)).status_code == 429


async def test_an_admin_invites_an_editor_who_cannot_open_admin_pages(actors, admin):
    page = await admin.get("/workspace/admin/accounts")
    invited = await admin.post("/workspace/admin/accounts/invite", data={
        "_csrf_token": csrf_token(page.text), "email": "Midwife@Example.org", "role": "editor"})
    link = invited.text.split("data-invite-link>")[1].split("<")[0]
    path = link.split("testserver")[1]
    midwife = await actors.outsider()  # an editor once she has accepted the invitation
    form = await midwife.get(path)
    assert "midwife@example.org" in form.text
    weak = await midwife.post(path, data={"_csrf_token": csrf_token(form.text), "password": "password1"})
    assert weak.status_code == 400
    made = await midwife.post(path, data={"_csrf_token": csrf_token(form.text),
                                          "password": "tea with honey at four"})
    assert made.headers["location"].startswith("/workspace/login")
    again = await midwife.get(path)
    assert again.status_code == 410  # one time only
    await login(midwife, "midwife@example.org", "tea with honey at four")
    assert (await midwife.get("/workspace")).status_code == 200
    assert (await midwife.get("/workspace/admin/accounts")).status_code == 403
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action)]
    assert "account.invited" in actions and "account.created" in actions and "session.login" in actions


async def test_disabling_an_account_ends_its_sessions_at_once(editor, admin):
    """ASVS 3.3.4: an admin ends every session of an account by disabling it."""
    assert (await editor.get("/workspace")).status_code == 200
    page = await admin.get("/workspace/admin/accounts")
    await admin.post(f"/workspace/admin/accounts/{editor.account_id}/disable",
                     data={"_csrf_token": csrf_token(page.text)})
    log = await admin.get("/workspace/admin/audit")
    assert "Account disabled" in log.text
    assert (await editor.get("/workspace")).headers["location"] == "/workspace/login"
    assert (await login(editor, editor.email)).status_code == 400


async def test_a_hash_made_with_weaker_parameters_is_upgraded_at_login(app, db):
    """ASVS 2.4.1: passwords are stored with argon2id at its current parameters."""
    account_id = await make_account()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
    await Account.update({Account.password_hash: weak}).where(Account.id == account_id)
    async with app_client(app) as client:
        assert (await login(client)).status_code == 303
    stored = (await Account.select(Account.password_hash).first())["password_hash"]
    assert stored != weak and "m=65536" in stored


async def test_state_changes_need_the_csrf_token(app, db):
    """ASVS 4.2.2: a state-changing request without the anti-CSRF token is refused."""
    await make_account()
    async with app_client(app) as client:
        refused = await client.post("/workspace/login", data={"email": "admin@example.org", "password": PASSWORD})
        assert refused.status_code == 403
    assert await AccountSession.count() == 0


async def test_a_wrong_second_factor_code_is_in_the_audit_log_without_the_code(app, db):
    """Someone with her password guessing at her second factor leaves a trace the admins read (not the code)."""
    account_id = await make_account()
    async with app_client(app) as client:
        await login(client)
        await set_up_totp(client)
        await client.post("/workspace/logout", data={"_csrf_token": csrf_token((await client.get("/workspace")).text)})
        await login(client)
        assert (await send_code(client, "000000")).status_code == 400
    entries = await AuditEntry.select(AuditEntry.action, AuditEntry.detail).where(
        (AuditEntry.actor == account_id) & (AuditEntry.action == "session.second_factor_failed"))
    assert len(entries) == 1 and "000000" not in str(entries[0])
