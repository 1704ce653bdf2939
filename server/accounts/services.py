"""Accounts, sessions, invitations, login throttling and the audit log: the rules, without HTTP."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server import db
from server.accounts import passwords
from server.accounts import secrets as mfa
from server.accounts.tables import (
    ROLES,
    Account,
    AccountInvite,
    AccountSession,
    AccountSite,
    AuditEntry,
    LoginThrottle,
)
from server.lib import errors
from server.lib.i18n import _
from server.lib.signing import Unreadable, fingerprint, keyed_digest

log = logging.getLogger("pusterum.accounts")
IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
INVITE_VALID = timedelta(days=3)
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_FREE_FAILURES = 5
THROTTLE_MAX_DELAY = timedelta(minutes=15)
_TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute per session


def token_hash(token: str) -> str:
    return fingerprint(token)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def parse_roles(roles: str) -> tuple[str, ...]:
    return tuple(r for r in roles.split(",") if r in ROLES)


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    email: str
    display_name: str
    roles: tuple[str, ...]
    has_totp: bool
    disabled: bool

    def can(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


def _view(row: dict[str, Any]) -> AccountView:
    return AccountView(row["id"], row["email"], row["display_name"], parse_roles(row["roles"]),
                       row["totp_secret"] is not None, row["disabled_at"] is not None)


# --- audit ---

async def audit(actor: int | None, action: str, target: str = "", **detail: Any) -> None:
    await AuditEntry.insert(AuditEntry(at=datetime.now(UTC), actor=actor, action=action, target=target,
                                       detail=json.dumps(detail)))


# --- accounts ---

class AccountError(errors.Refused):
    """A message for people: why this account cannot be made or changed."""


async def _new_account(email: str, password: str, roles: tuple[str, ...], display_name: str) -> Account:
    """A checked, hashed account row, not yet saved (hashing takes a while: never inside a transaction)."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(_("Please give a valid e-mail address."))
    if not roles or any(r not in ROLES for r in roles):
        raise AccountError(_("Roles must be among: %(roles)s.", roles=", ".join(ROLES)))
    if problem := passwords.problem(password, email=email):
        raise AccountError(problem)
    if await Account.exists().where(Account.email == email):
        raise AccountError(_("There is already an account with that e-mail address."))
    return Account(email=email, display_name=display_name[:80], roles=",".join(roles),
                   password_hash=await passwords.hash_password(password), created_at=datetime.now(UTC))


async def _save_account(account: Account, actor: int | None) -> int:
    account_id = (await Account.insert(account).returning(Account.id))[0]["id"]
    await audit(actor, "account.created", account.email, roles=list(parse_roles(account.roles)))
    return account_id


async def create_account(email: str, password: str, roles: tuple[str, ...], *, display_name: str = "",
                         actor: int | None = None) -> int:
    return await _save_account(await _new_account(email, password, roles, display_name), actor)


async def get_account(account_id: int) -> AccountView | None:
    row = await Account.select().where(Account.id == account_id).first()
    return _view(row) if row else None


async def list_accounts() -> list[AccountView]:
    return [_view(r) for r in await Account.select().order_by(Account.email)]


# --- a coordinator's sites ---

async def sites_of(account_id: int) -> tuple[int, ...]:
    rows = await AccountSite.select(AccountSite.site).where(AccountSite.account == account_id)
    return tuple(sorted(r["site"] for r in rows))


async def all_site_links() -> dict[int, set[int]]:
    links: dict[int, set[int]] = {}
    for row in await AccountSite.select(AccountSite.account, AccountSite.site):
        links.setdefault(row["account"], set()).add(row["site"])
    return links


async def set_sites(account_id: int, site_ids: list[int], actor: int) -> None:
    """An admin's choice of the sites a coordinator answers for replaces the previous one."""
    async with db.transaction():
        await AccountSite.delete().where(AccountSite.account == account_id)
        if site_ids:
            await AccountSite.insert(*[AccountSite(account=account_id, site=s) for s in sorted(set(site_ids))])
        await audit(actor, "account.sites_set", str(account_id), sites=sorted(set(site_ids)))


async def set_disabled(account_id: int, disabled: bool, actor: int) -> None:
    await Account.update({Account.disabled_at: datetime.now(UTC) if disabled else None}).where(
        Account.id == account_id)
    if disabled:
        await revoke_sessions(account_id)
    email = (await Account.select(Account.email).where(Account.id == account_id).first() or {}).get("email", "")
    await audit(actor, "account.disabled" if disabled else "account.enabled", email)


# --- throttling: growing delay after repeated failures, never a hard lockout ---

def throttle_keys(email: str, client: str) -> list[str]:
    """One key per account (whether or not it exists) and one per client; neither holds the raw value."""
    return [f"account:{keyed_digest('throttle', normalise_email(email), 32)}",
            f"client:{keyed_digest('throttle', client, 32)}"]


async def wait_seconds(keys: list[str], now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    rows = await LoginThrottle.select(LoginThrottle.blocked_until).where(LoginThrottle.key.is_in(keys))
    waits = [(r["blocked_until"] - now).total_seconds() for r in rows if r["blocked_until"]]
    return max(0, int(max(waits, default=0) + 0.999))


async def record_failure(keys: list[str], now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    for key in keys:
        row = await LoginThrottle.select().where(LoginThrottle.key == key).first()
        if row is None or now - row["window_start"] > THROTTLE_WINDOW:
            failures, start = 1, now
        else:
            failures, start = row["failures"] + 1, row["window_start"]
        extra = failures - THROTTLE_FREE_FAILURES
        blocked = now + min(timedelta(seconds=2 ** extra), THROTTLE_MAX_DELAY) if extra >= 0 else None
        values = {LoginThrottle.failures: failures, LoginThrottle.window_start: start,
                  LoginThrottle.blocked_until: blocked}
        if row is None:
            await LoginThrottle.insert(LoginThrottle(key=key, failures=failures, window_start=start,
                                                     blocked_until=blocked))
        else:
            await LoginThrottle.update(values).where(LoginThrottle.key == key)


async def clear_failures(keys: list[str]) -> None:
    await LoginThrottle.delete().where(LoginThrottle.key.is_in(keys))


async def check_password(email: str, password: str) -> AccountView | None:
    """The account, if the password is right and the account enabled; the same work either way."""
    row = await Account.select().where(Account.email == normalise_email(email)).first()
    ok = await passwords.verify(row["password_hash"] if row else None, password)
    if not ok or row is None or row["disabled_at"] is not None:
        return None
    if passwords.needs_rehash(row["password_hash"]):
        await Account.update({Account.password_hash: await passwords.hash_password(password)}).where(
            Account.id == row["id"])
    return _view(row)


# --- second factor ---

async def confirm_totp(account_id: int, secret: str, code: str, now: datetime | None = None) -> list[str] | None:
    """Activates the secret when ``code`` fits it; returns the recovery codes to show once."""
    step = mfa.totp_step(secret, code, 0, now)
    if step is None:
        return None
    codes = mfa.new_recovery_codes()
    await Account.update({Account.totp_secret: mfa.encrypt(secret), Account.totp_last_step: step,
                          Account.recovery_codes: json.dumps([mfa.hash_code(c) for c in codes])}).where(
        Account.id == account_id)
    await audit(account_id, "account.second_factor_set", "")
    return codes


async def check_second_factor(account_id: int, code: str, now: datetime | None = None) -> bool:
    """A current TOTP code or an unused recovery code. A secret encrypted under a former SECRET_KEY is
    encrypted again under the current one as it is used; one that no configured key opens (the key changed
    without SECRET_KEY_FALLBACKS) leaves the recovery codes, after which she sets up a new second factor."""
    row = await Account.select(Account.totp_secret, Account.totp_last_step, Account.recovery_codes).where(
        Account.id == account_id).output(load_json=True).first()
    if row is None or row["totp_secret"] is None:
        return False
    try:
        secret, renewed = mfa.decrypt_and_renew(row["totp_secret"])
    except Unreadable:
        log.warning("second_factor_unreadable: no key in SECRET_KEY or SECRET_KEY_FALLBACKS opens a stored "
                    "second-factor secret; recovery codes still work")
        secret, renewed = None, None
    step = mfa.totp_step(secret, code, row["totp_last_step"], now) if secret else None
    if step is not None:
        values: dict[Any, Any] = {Account.totp_last_step: step}
        if renewed:
            values[Account.totp_secret] = renewed
        # Guarded: two requests with the same code cannot both move the step on.
        moved = await Account.update(values).where(
            (Account.id == account_id) & (Account.totp_last_step < step)).returning(Account.id)
        return bool(moved)
    stored = row["recovery_codes"]
    hashed = mfa.hash_code(code)
    if hashed in stored:
        values = {Account.recovery_codes: json.dumps([h for h in stored if h != hashed])}
        if secret is None:  # her authenticator cannot be checked any more: she sets up a new one now
            values[Account.totp_secret] = None
        await Account.update(values).where(Account.id == account_id)
        await audit(account_id, "account.recovery_code_used", "", left=len(stored) - 1)
        if secret is None:
            await audit(account_id, "account.second_factor_unreadable", "")
        return True
    return False


# --- sessions ---

async def create_session(account_id: int, *, second_factor: bool, now: datetime | None = None) -> str:
    """A new random token for every login (rotation); only its hash is stored."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    await AccountSession.insert(AccountSession(token_hash=token_hash(token), account=account_id,
                                               second_factor=second_factor, created_at=now, last_seen_at=now))
    return token


@dataclass(frozen=True, slots=True)
class SessionView:
    id: int
    account: AccountView
    second_factor: bool


async def load_session(token: str, now: datetime | None = None) -> SessionView | None:
    """The live session for a cookie, or None when it is unknown, revoked, idle too long or too old."""
    now = now or datetime.now(UTC)
    row = await AccountSession.select(
        AccountSession.id, AccountSession.second_factor, AccountSession.created_at, AccountSession.last_seen_at,
        AccountSession.revoked_at, AccountSession.account.id, AccountSession.account.email,
        AccountSession.account.display_name, AccountSession.account.roles, AccountSession.account.totp_secret,
        AccountSession.account.disabled_at,
    ).where(AccountSession.token_hash == token_hash(token)).first()
    if row is None or row["revoked_at"] is not None or row["account.disabled_at"] is not None:
        return None
    if now - row["last_seen_at"] > IDLE_TIMEOUT or now - row["created_at"] > ABSOLUTE_TIMEOUT:
        await AccountSession.update({AccountSession.revoked_at: now}).where(AccountSession.id == row["id"])
        return None
    if now - row["last_seen_at"] > _TOUCH_EVERY:
        await AccountSession.update({AccountSession.last_seen_at: now}).where(AccountSession.id == row["id"])
    account = _view({k.removeprefix("account."): v for k, v in row.items() if k.startswith("account.")})
    return SessionView(row["id"], account, row["second_factor"])


async def pass_second_factor(session_id: int, account_id: int) -> str:
    """After the second factor the session is replaced by a new one (rotation at each privilege step)."""
    await AccountSession.update({AccountSession.revoked_at: datetime.now(UTC)}).where(AccountSession.id == session_id)
    await Account.update({Account.last_login_at: datetime.now(UTC)}).where(Account.id == account_id)
    return await create_session(account_id, second_factor=True)


async def revoke_session(session_id: int) -> None:
    await AccountSession.update({AccountSession.revoked_at: datetime.now(UTC)}).where(
        (AccountSession.id == session_id) & AccountSession.revoked_at.is_null())


async def revoke_sessions(account_id: int) -> int:
    revoked = await AccountSession.update({AccountSession.revoked_at: datetime.now(UTC)}).where(
        (AccountSession.account == account_id) & AccountSession.revoked_at.is_null()).returning(AccountSession.id)
    return len(revoked)


# --- invitations ---

async def invite(email: str, roles: tuple[str, ...], actor: int, now: datetime | None = None) -> str:
    email = normalise_email(email)
    if "@" not in email or not roles or any(r not in ROLES for r in roles):
        raise AccountError(_("Please give an e-mail address and at least one role."))
    if await Account.exists().where(Account.email == email):
        raise AccountError(_("There is already an account with that e-mail address."))
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    await AccountInvite.insert(AccountInvite(token_hash=token_hash(token), email=email, roles=",".join(roles),
                                             created_by=actor, created_at=now, expires_at=now + INVITE_VALID))
    await audit(actor, "account.invited", email, roles=list(roles))
    return token


async def open_invite(token: str, now: datetime | None = None) -> dict[str, Any] | None:
    now = now or datetime.now(UTC)
    row = await AccountInvite.select().where(AccountInvite.token_hash == token_hash(token)).first()
    if row is None or row["used_at"] is not None or row["expires_at"] <= now:
        return None
    return row


async def accept_invite(token: str, password: str, display_name: str = "") -> int:
    """One time only: the guarded update means two tabs cannot both turn one invitation into accounts."""
    row = await open_invite(token)
    if row is None:
        raise AccountError(_("This invitation has expired or has been used."))
    account = await _new_account(row["email"], password, parse_roles(row["roles"]), display_name)
    async with db.transaction():
        used = await AccountInvite.update({AccountInvite.used_at: datetime.now(UTC)}).where(
            (AccountInvite.id == row["id"]) & AccountInvite.used_at.is_null()).returning(AccountInvite.id)
        if not used:
            raise AccountError(_("This invitation has expired or has been used."))
        account_id = await _save_account(account, row["created_by"])
    return account_id


# --- after a change of SECRET_KEY ---

@dataclass(frozen=True, slots=True)
class Reencrypted:
    renewed: int  # were under a former key, now under the current one
    current: int  # already under the current key
    unreadable: int  # no configured key opens them: those people use a recovery code, or an admin resets them


async def reencrypt_second_factors() -> Reencrypted:
    """Every stored second-factor secret encrypted under the current SECRET_KEY now, instead of at each
    person's next sign-in, so the former key can be retired sooner. Each row is written only if it still
    holds what was read (a sign-in at the same moment may have renewed it)."""
    rows = await Account.select(Account.id, Account.totp_secret).where(Account.totp_secret.is_not_null())
    renewed = current = unreadable = 0
    for row in rows:
        try:
            _secret, fresh = mfa.decrypt_and_renew(row["totp_secret"])
        except Unreadable:
            unreadable += 1
            continue
        if fresh is None:
            current += 1
            continue
        await Account.update({Account.totp_secret: fresh}).where(
            (Account.id == row["id"]) & (Account.totp_secret == row["totp_secret"]))
        renewed += 1
    await audit(None, "keys.second_factors_reencrypted", "", renewed=renewed, unreadable=unreadable)
    return Reencrypted(renewed, current, unreadable)
