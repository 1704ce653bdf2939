"""An account's life cycle, as an attacker would try it: a browser left open, a password someone else knows,
a lost phone, a made-up e-mail address.

ASVS 2.1.5 and 2.1.6 (she changes her password, giving the current one), 3.3.3 (other sessions end when it
changes), 3.7.1 (her password and a current code again before her second factor is replaced or removed),
2.5.6 and 2.5.7 (a lost password or second factor is recovered through an admin, with a one-time link or a
new enrolment), 2.3.1 (the reset link is random, single-use, expiring, stored only as a hash), 5.1.3 (e-mail
addresses validated by allow-list rules), 7.1.x/7.2.1 (each step is in the audit log).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from server.accounts import services
from server.accounts.tables import Account, AccountInvite, AccountSession, AuditEntry, PasswordReset
from tests.support import WORKSPACE_PASSWORD, csrf_token, set_up_totp, sign_in

NEW_PASSWORD = "a quiet harbour at dawn"


async def login(client, email: str, password: str = WORKSPACE_PASSWORD):
    return await sign_in(client, email, password)


async def code_now(account_id: int, secret: str) -> str:
    """A code as her app shows it; earlier codes in the test are taken as long past (each is accepted once)."""
    await Account.update({Account.totp_last_step: 0}).where(Account.id == account_id)
    return pyotp.TOTP(secret).now()


async def send_code(client, code: str):
    page = await client.get("/workspace/login/code")
    return await client.post("/workspace/login/code", data={"_csrf_token": csrf_token(page.text), "code": code})


async def post_form(client, page_url: str, url: str, **fields: str):
    page = await client.get(page_url)
    return await client.post(url, data={"_csrf_token": csrf_token(page.text), **fields})


async def stored_secret(account_id: int) -> str | None:
    return (await Account.select(Account.totp_secret).where(Account.id == account_id).first())["totp_secret"]


async def actions() -> list[str]:
    return [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]


def signed_out(response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/workspace/login")


# --- her password ---

async def test_she_changes_her_password_with_the_current_one_and_her_other_sessions_end(actors, editor):
    """ASVS 2.1.5, 2.1.6, 3.3.3: the current password is required; she stays signed in here, and the
    browser elsewhere (perhaps someone else's) is signed out."""
    elsewhere = await actors.outsider()
    assert (await login(elsewhere, editor.email)).status_code == 303
    changed = await post_form(editor, "/workspace/account", "/workspace/account/password",
                              current_password=WORKSPACE_PASSWORD, new_password=NEW_PASSWORD)
    assert changed.status_code == 303 and changed.headers["location"] == "/workspace/account?done=password"
    assert (await editor.get("/workspace")).status_code == 200
    assert signed_out(await elsewhere.get("/workspace"))
    assert (await login(elsewhere, editor.email)).status_code == 400  # the old password is gone
    assert (await login(elsewhere, editor.email, NEW_PASSWORD)).status_code == 303
    assert "account.password_changed" in await actions()


async def test_a_wrong_current_password_changes_nothing_and_repeated_guesses_wait(editor):
    """ASVS 2.1.6, 2.2.1: a browser left open does not let someone set a password of their choosing, nor
    guess hers quickly."""
    before = (await Account.select(Account.password_hash).where(Account.id == editor.account_id).first())
    for _attempt in range(5):
        wrong = await post_form(editor, "/workspace/account", "/workspace/account/password",
                                current_password="is it this one perhaps", new_password=NEW_PASSWORD)
        assert wrong.status_code == 400 and "not your current password" in wrong.text
    waits = await post_form(editor, "/workspace/account", "/workspace/account/password",
                            current_password=WORKSPACE_PASSWORD, new_password=NEW_PASSWORD)
    assert waits.status_code == 429
    assert (await Account.select(Account.password_hash).where(Account.id == editor.account_id).first()) == before
    assert (await actions()).count("account.reauthentication_failed") == 5


async def test_a_weak_new_password_is_refused_with_a_reason(editor):
    """ASVS 2.1.1, 2.1.7: the same rules as when the account was made."""
    weak = await post_form(editor, "/workspace/account", "/workspace/account/password",
                           current_password=WORKSPACE_PASSWORD, new_password="password123")
    assert weak.status_code == 400 and "too common" in weak.text
    assert "account.password_changed" not in await actions()


# --- her second factor ---

async def test_an_open_session_alone_cannot_put_another_authenticator_on_her_account(editor):
    """ASVS 3.7.1: someone at her unlocked computer, signed in with her second factor, cannot replace it with
    their own phone without her password and a current code."""
    await set_up_totp(editor)
    before = await stored_secret(editor.account_id)
    setup = await editor.get("/workspace/account/code")
    assert setup.status_code == 303 and setup.headers["location"] == "/workspace/account?confirm=1"
    assert "data-totp-secret" not in setup.text
    secret = pyotp.random_base32()  # a setup page of the attacker's own making cannot be confirmed either
    page = await editor.get("/workspace/account")
    confirm = await editor.post("/workspace/account/code", data={
        "_csrf_token": csrf_token(page.text), "pending": "1:1:" + secret, "code": pyotp.TOTP(secret).now()})
    assert confirm.status_code == 303
    assert await stored_secret(editor.account_id) == before


async def test_she_replaces_her_second_factor_after_her_password_and_a_current_code(actors, editor):
    """ASVS 3.7.1, 2.8.x: right password and code: a new authenticator, new recovery codes (the old ones end
    with the old secret), and a session opened elsewhere with the old phone ends."""
    secret, old_codes = await set_up_totp(editor)
    elsewhere = await actors.outsider()
    await login(elsewhere, editor.email)
    assert (await send_code(elsewhere, await code_now(editor.account_id, secret))).status_code == 303

    wrong = await post_form(editor, "/workspace/account", "/workspace/account/code/replace",
                            password="not my password at all", code=await code_now(editor.account_id, secret))
    assert wrong.status_code == 400
    assert (await editor.get("/workspace/account/code")).status_code == 303  # still not allowed
    confirmed = await post_form(editor, "/workspace/account", "/workspace/account/code/replace",
                                password=WORKSPACE_PASSWORD, code=await code_now(editor.account_id, secret))
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/workspace/account/code"
    new_secret, new_codes = await set_up_totp(editor)
    assert new_secret != secret and set(new_codes).isdisjoint(old_codes)

    assert signed_out(await elsewhere.get("/workspace"))
    await login(elsewhere, editor.email)
    assert (await send_code(elsewhere, old_codes[0])).status_code == 400
    assert (await send_code(elsewhere, await code_now(editor.account_id, secret))).status_code == 400
    assert (await send_code(elsewhere, await code_now(editor.account_id, new_secret))).status_code == 303
    log = await actions()
    assert "account.reauthentication_failed" in log and "account.reauthenticated" in log
    assert log.count("account.second_factor_set") == 2


async def test_her_confirmation_lasts_only_a_few_minutes(editor):
    """ASVS 3.7.1: a confirmation given long ago does not open the setup page to whoever sits down next."""
    secret, _codes = await set_up_totp(editor)
    await post_form(editor, "/workspace/account", "/workspace/account/code/replace",
                    password=WORKSPACE_PASSWORD, code=await code_now(editor.account_id, secret))
    assert (await editor.get("/workspace/account/code")).status_code == 200
    await AccountSession.update({AccountSession.reauthenticated_at: datetime.now(UTC) - timedelta(minutes=6)},
                                force=True)
    assert (await editor.get("/workspace/account/code")).status_code == 303


async def test_turning_the_second_factor_off_needs_her_password_and_code_and_development(editor, monkeypatch):
    """ASVS 3.7.1: removing it is a change like any other; in production it cannot be removed at all."""
    secret, _codes = await set_up_totp(editor)
    refused = await post_form(editor, "/workspace/account", "/workspace/account/code/remove",
                              password=WORKSPACE_PASSWORD, code="000000")
    assert refused.status_code == 400 and await stored_secret(editor.account_id) is not None

    from server.accounts import lifecycle_controller as lifecycle

    production = dataclasses.replace(lifecycle.get_settings(), production=True)
    monkeypatch.setattr(lifecycle, "get_settings", lambda: production)
    in_production = await post_form(editor, "/workspace/account", "/workspace/account/code/remove",
                                    password=WORKSPACE_PASSWORD, code=await code_now(editor.account_id, secret))
    assert in_production.status_code == 404 and await stored_secret(editor.account_id) is not None
    monkeypatch.undo()

    removed = await post_form(editor, "/workspace/account", "/workspace/account/code/remove",
                              password=WORKSPACE_PASSWORD, code=await code_now(editor.account_id, secret))
    assert removed.headers["location"] == "/workspace/account?done=removed"
    assert await stored_secret(editor.account_id) is None
    assert "account.second_factor_removed" in await actions()


# --- an admin's help ---

async def test_a_reset_link_lets_her_choose_a_new_password_once(actors, admin, editor):
    """ASVS 2.5.6, 2.3.1, 3.3.3: the link is random and stored only as a hash; the old password and every
    session end when it is made; it works once; her second factor is still asked for after it."""
    secret, _codes = await set_up_totp(editor)
    page = await admin.get("/workspace/admin/accounts")
    made = await admin.post(f"/workspace/admin/accounts/{editor.account_id}/password-reset",
                            data={"_csrf_token": csrf_token(page.text)})
    assert made.status_code == 200
    link = made.text.split("data-reset-link>")[1].split("<")[0]
    path = link.split("testserver")[1]
    token = path.rsplit("/", 1)[1]
    stored = await PasswordReset.select(PasswordReset.token_hash).first()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in str(stored)

    assert signed_out(await editor.get("/workspace"))
    assert (await login(editor, editor.email)).status_code == 400  # the old password no longer works

    stranger = await actors.outsider()
    form = await stranger.get(path)
    assert form.status_code == 200 and editor.email in form.text
    weak = await stranger.post(path, data={"_csrf_token": csrf_token(form.text), "password": "password1"})
    assert weak.status_code == 400
    done = await stranger.post(path, data={"_csrf_token": csrf_token(form.text), "password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/workspace/login?reset=1"
    again = await stranger.post(path, data={"_csrf_token": csrf_token(form.text), "password": "another fine one"})
    assert again.status_code == 410 and (await stranger.get(path)).status_code == 410

    assert (await login(editor, editor.email, NEW_PASSWORD)).headers["location"] == "/workspace/login/code"
    assert (await send_code(editor, await code_now(editor.account_id, secret))).headers["location"] == "/workspace"
    log = await actions()
    assert "account.password_reset_link_made" in log and "account.password_reset" in log


async def test_a_reset_link_expires_and_a_newer_one_replaces_it(actors, admin, editor):
    """ASVS 2.3.1: a link is valid for a short time, and only the newest one."""
    async def make() -> str:
        page = await admin.get("/workspace/admin/accounts")
        made = await admin.post(f"/workspace/admin/accounts/{editor.account_id}/password-reset",
                                data={"_csrf_token": csrf_token(page.text)})
        return made.text.split("data-reset-link>")[1].split("<")[0].split("testserver")[1]

    first, second = await make(), await make()
    stranger = await actors.outsider()
    assert (await stranger.get(first)).status_code == 410
    assert (await stranger.get(second)).status_code == 200
    await PasswordReset.update({PasswordReset.expires_at: datetime.now(UTC) - timedelta(minutes=1)}, force=True)
    form = await stranger.get(second)
    assert form.status_code == 410
    late = await stranger.post(second, data={"_csrf_token": csrf_token(form.text), "password": NEW_PASSWORD})
    assert late.status_code == 410
    assert (await login(stranger, editor.email, NEW_PASSWORD)).status_code == 400


async def test_an_admin_resets_a_lost_second_factor_and_she_sets_up_a_new_one_at_sign_in(admin, editor,
                                                                                        monkeypatch):
    """ASVS 2.5.7: the phone is lost; an admin (who knows her) resets it: her sessions end, the old secret and
    recovery codes are gone, and (in production) she cannot go on before she has set up a new one."""
    _secret, codes = await set_up_totp(editor)
    page = await admin.get("/workspace/admin/accounts")
    reset = await admin.post(f"/workspace/admin/accounts/{editor.account_id}/second-factor-reset",
                             data={"_csrf_token": csrf_token(page.text)})
    assert reset.status_code == 303 and reset.headers["location"] == "/workspace/admin/accounts?saved=1"
    assert signed_out(await editor.get("/workspace"))
    assert await stored_secret(editor.account_id) is None

    from server.accounts import controllers, guards

    production = dataclasses.replace(guards.get_settings(), production=True)
    monkeypatch.setattr(guards, "get_settings", lambda: production)
    monkeypatch.setattr(controllers, "second_factor_required", guards.second_factor_required)
    assert (await login(editor, editor.email)).headers["location"] == "/workspace/account/code"
    assert (await editor.get("/workspace")).headers["location"] == "/workspace/account/code"
    assert (await send_code(editor, codes[0])).status_code == 400  # the old recovery codes are gone
    assert (await editor.get("/workspace/account/code")).status_code == 200
    assert "account.second_factor_reset" in await actions()


async def test_an_admin_cannot_skip_her_own_confirmation_through_the_admin_page(admin):
    """ASVS 3.7.1: her own password and second factor change only on her account page, which asks for both."""
    page = await admin.get("/workspace/admin/accounts")
    link = await admin.post(f"/workspace/admin/accounts/{admin.account_id}/password-reset",
                            data={"_csrf_token": csrf_token(page.text)})
    factor = await admin.post(f"/workspace/admin/accounts/{admin.account_id}/second-factor-reset",
                              data={"_csrf_token": csrf_token(page.text)})
    assert link.status_code == factor.status_code == 400 and "data-reset-link" not in link.text
    assert await PasswordReset.count() == 0
    assert (await admin.get("/workspace")).status_code == 200


async def test_a_reset_link_for_an_account_that_does_not_exist_is_not_found(admin):
    page = await admin.get("/workspace/admin/accounts")
    missing = await admin.post("/workspace/admin/accounts/999999/password-reset",
                               data={"_csrf_token": csrf_token(page.text)})
    assert missing.status_code == 404 and await PasswordReset.count() == 0


# --- e-mail addresses ---

@pytest.mark.parametrize("address", ["a@b", "someone@localhost", "two words@rm.dk", "anne@@rm.dk",
                                     "<script>@rm.dk", "anne@rm..dk", "anne@example.test", "anne"])
async def test_an_invitation_needs_a_real_e_mail_address(admin, address):
    """ASVS 5.1.3: an address is checked by the rules of e-mail (email-validator, without asking DNS),
    not only for an @: nothing is stored for one that cannot be an address."""
    page = await admin.get("/workspace/admin/accounts")
    refused = await admin.post("/workspace/admin/accounts/invite", data={
        "_csrf_token": csrf_token(page.text), "email": address, "role": "editor"})
    assert refused.status_code == 400 and "data-invite-link" not in refused.text
    assert await AccountInvite.count() == 0
    with pytest.raises(services.AccountError):
        await services.create_account(address, WORKSPACE_PASSWORD, ("editor",))


async def test_a_real_address_is_stored_in_lower_case(admin):
    page = await admin.get("/workspace/admin/accounts")
    made = await admin.post("/workspace/admin/accounts/invite", data={
        "_csrf_token": csrf_token(page.text), "email": "  Anne.Holm@RM.dk ", "role": "editor"})
    assert made.status_code == 200 and "data-invite-link" in made.text
    assert (await AccountInvite.select(AccountInvite.email).first())["email"] == "anne.holm@rm.dk"
