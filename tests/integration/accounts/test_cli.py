"""`pusterum users …`: the first admin account, the operator's way back in for an account nobody in the
workspace can help, and second factors encrypted anew after a change of SECRET_KEY."""

from __future__ import annotations

import os
import subprocess
import sys

import pyotp

from server.accounts import secrets as mfa
from server.accounts import services
from server.accounts.tables import Account, AccountSession
from tests.conftest import ROOT
from tests.support import WORKSPACE_PASSWORD, app_client

OLD = os.environ["SECRET_KEY"]
NEW = "the-key-after-the-change-0123456789-abcdefghijklmnop"


def users_create(*args: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "users", "create", *args, "--password-stdin"],
                          input=password + "\n", capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_the_first_admin_is_made_from_the_command_line(db):
    done = users_create("--email", "Admin@Example.org", "--role", "admin", "--role", "editor",
                        password="a long and private sentence")
    assert done.returncode == 0, done.stderr
    assert "admin@example.org (admin, editor)" in done.stdout and "/workspace/login" in done.stdout
    again = users_create("--email", "admin@example.org", "--role", "admin", password="another long sentence")
    assert again.returncode == 1 and "already an account" in again.stderr


def test_a_common_password_is_refused_and_nothing_is_made(db):
    done = users_create("--email", "x@example.org", "--role", "admin", password="iloveyou123")
    assert done.returncode == 1 and "too common" in done.stderr and "no account was made" in done.stderr


def test_an_address_that_is_not_one_is_refused_and_nothing_is_made(db):
    done = users_create("--email", "admin@localhost", "--role", "admin", password="a long and private sentence")
    assert done.returncode == 1 and "valid e-mail address" in done.stderr


def users(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "users", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env={**os.environ, **env})


async def test_the_operator_encrypts_every_second_factor_under_the_new_key(db, settings_env):
    """ASVS 1.6.3: after a key change, one command re-encrypts what the old key protected, so the old key can
    be retired without waiting for everyone to sign in; a secret no configured key opens is reported."""
    secret = pyotp.random_base32()
    account_id = await services.create_account("admin@example.org", WORKSPACE_PASSWORD, ("admin",))
    await Account.update({Account.totp_secret: mfa.encrypt(secret)}).where(Account.id == account_id)

    done = users("reencrypt", SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=OLD)
    assert done.returncode == 0, done.stderr
    assert "1 second factors encrypted under the current key; 0 already were" in done.stdout
    settings_env(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS="")
    assert mfa.decrypt((await Account.select(Account.totp_secret).first())["totp_secret"]) == secret

    lost = users("reencrypt", SECRET_KEY="a-third-key-nobody-kept-0123456789-abcdefghijkl")
    assert lost.returncode == 1 and "1 second factors are under a key that is not configured" in lost.stderr


async def test_the_operator_lets_the_only_admin_back_in(app, db):
    """ASVS 2.5.6, 2.5.7: the only admin lost her phone and her password: the operator removes her second
    factor and prints her a one-time link; both end her sessions and are in the audit log."""
    account_id = await services.create_account("admin@example.org", WORKSPACE_PASSWORD, ("admin",))
    await Account.update({Account.totp_secret: mfa.encrypt(pyotp.random_base32())}).where(Account.id == account_id)
    await services.create_session(account_id, second_factor=True)

    factor = users("reset-second-factor", "--email", "Admin@Example.org")
    assert factor.returncode == 0, factor.stderr
    assert (await Account.select(Account.totp_secret).first())["totp_secret"] is None
    assert await AccountSession.count().where(AccountSession.revoked_at.is_null()) == 0

    link = users("reset-password", "--email", "admin@example.org")
    assert link.returncode == 0, link.stderr
    path = link.stdout.split("testserver")[1].strip()
    async with app_client(app) as client:
        assert (await client.get(path)).status_code == 200
    missing = users("reset-password", "--email", "nobody@example.org")
    assert missing.returncode == 1 and "no account" in missing.stderr
