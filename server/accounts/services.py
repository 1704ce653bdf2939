"""Accounts, sessions, invitations and the audit log: the rules, without HTTP (counting tries at the door is
``server.accounts.throttle``).

An account's life: made from an invitation (or ``pusterum users create``); her password changed by her (the
current one required, her other sessions ended) or reset by an admin's one-time link; her second factor set
up, replaced only after her password and a current code again (``reauthenticate``), removed by herself only
in development, or reset by an admin when the phone is lost; disabled and enabled. Every step is audited."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

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
    PasswordReset,
)
from server.lib import errors
from server.lib.i18n import _
from server.lib.signing import Unreadable, fingerprint

log = logging.getLogger("pusterum.accounts")
IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
INVITE_VALID = timedelta(days=3)
RESET_VALID = timedelta(hours=24)
REAUTHENTICATION_VALID = timedelta(minutes=5)  # how long after her password and code she may replace the factor
# A password hash no password matches: set when an admin makes a reset link, until the link is used.
NO_PASSWORD = "!reset"  # noqa: S105 - not a password: a marker no argon2 hash can equal
_TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute per session


def token_hash(token: str) -> str:
    return fingerprint(token)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> str:
    """The address as stored (lower-cased), if it is one: checked by email-validator's syntax rules
    (RFC 5321/5322, internationalised domains, no special-use domains); DNS is not asked. Raises AccountError."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise AccountError(_("Please give a valid e-mail address.")) from None
    address = normalise_email(checked.normalized)
    if len(address) > 254:
        raise AccountError(_("Please give a valid e-mail address."))
    return address


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
    email = valid_email(email)
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


def _usable(password_hash: str | None) -> str | None:
    """None for an account without a usable password (a reset link is waiting): checked against the dummy
    hash, so it takes as long as any other wrong password."""
    return None if password_hash is None or password_hash.startswith(NO_PASSWORD) else password_hash


async def check_password(email: str, password: str) -> AccountView | None:
    """The account, if the password is right and the account enabled; the same work either way."""
    row = await Account.select().where(Account.email == normalise_email(email)).first()
    ok = await passwords.verify(_usable(row["password_hash"]) if row else None, password)
    if not ok or row is None or row["disabled_at"] is not None:
        return None
    if passwords.needs_rehash(row["password_hash"]):
        await Account.update({Account.password_hash: await passwords.hash_password(password)}).where(
            Account.id == row["id"])
    return _view(row)


# --- second factor ---

async def confirm_totp(account_id: int, secret: str, code: str, now: datetime | None = None, *,
                       replaced: bool = False) -> list[str] | None:
    """Activates the secret when ``code`` fits it; returns the recovery codes to show once (new ones: the old
    codes end with the old secret)."""
    step = mfa.totp_step(secret, code, 0, now)
    if step is None:
        return None
    codes = mfa.new_recovery_codes()
    await Account.update({Account.totp_secret: mfa.encrypt(secret), Account.totp_last_step: step,
                          Account.recovery_codes: json.dumps([mfa.hash_code(c) for c in codes])}).where(
        Account.id == account_id)
    await audit(account_id, "account.second_factor_set", "", replaced=replaced)
    return codes


async def check_second_factor(account_id: int, code: str, now: datetime | None = None) -> bool:
    """A current TOTP code or an unused recovery code. A secret encrypted under a former SECRET_KEY is
    encrypted again under the current one as it is used; one that no configured key opens (the key changed
    without SECRET_KEY_FALLBACKS) leaves the recovery codes, after which she sets up a new second factor."""
    row = await Account.select(Account.totp_secret, Account.totp_last_step, Account.recovery_codes).where(
        Account.id == account_id).first()
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
    if not await _use_recovery_code(account_id, mfa.hash_code(code), row["recovery_codes"],
                                    forget_secret=secret is None):
        return False
    if secret is None:
        await audit(account_id, "account.second_factor_unreadable", "")
    return True


async def _use_recovery_code(account_id: int, hashed: str, codes: Any, *, forget_secret: bool) -> bool:
    """Strikes the code off her list, if it is on it. The write is guarded by the list as it was read
    (compared as text: PostgreSQL has no equality for json), so two requests with the same code cannot both
    use it; a request whose list changed under it (another code used at that moment) reads it again."""
    for _attempt in range(5):
        text = codes if isinstance(codes, str) else json.dumps(codes)
        unused = json.loads(text)
        if hashed not in unused:
            return False
        used = await db.raw(
            "UPDATE account SET recovery_codes = {}" + (", totp_secret = NULL" if forget_secret else "")  # noqa: S608
            + " WHERE id = {} AND CAST(recovery_codes AS TEXT) = {} RETURNING id",
            json.dumps([h for h in unused if h != hashed]), account_id, text)
        if used:
            await audit(account_id, "account.recovery_code_used", "", left=len(unused) - 1)
            return True
        row = await Account.select(Account.recovery_codes).where(Account.id == account_id).first()
        if row is None:
            return False
        codes = row["recovery_codes"]
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
    reauthenticated_at: datetime | None = None

    def recently_reauthenticated(self, now: datetime | None = None) -> bool:
        """She gave her password and a current code again in this session a few minutes ago."""
        return self.reauthenticated_at is not None and (
            (now or datetime.now(UTC)) - self.reauthenticated_at <= REAUTHENTICATION_VALID)


async def load_session(token: str, now: datetime | None = None) -> SessionView | None:
    """The live session for a cookie, or None when it is unknown, revoked, idle too long or too old."""
    now = now or datetime.now(UTC)
    row = await AccountSession.select(
        AccountSession.id, AccountSession.second_factor, AccountSession.created_at, AccountSession.last_seen_at,
        AccountSession.revoked_at, AccountSession.reauthenticated_at, AccountSession.account.id,
        AccountSession.account.email, AccountSession.account.display_name, AccountSession.account.roles,
        AccountSession.account.totp_secret, AccountSession.account.disabled_at,
    ).where(AccountSession.token_hash == token_hash(token)).first()
    if row is None or row["revoked_at"] is not None or row["account.disabled_at"] is not None:
        return None
    if now - row["last_seen_at"] > IDLE_TIMEOUT or now - row["created_at"] > ABSOLUTE_TIMEOUT:
        await AccountSession.update({AccountSession.revoked_at: now}).where(AccountSession.id == row["id"])
        return None
    if now - row["last_seen_at"] > _TOUCH_EVERY:
        await AccountSession.update({AccountSession.last_seen_at: now}).where(AccountSession.id == row["id"])
    account = _view({k.removeprefix("account."): v for k, v in row.items() if k.startswith("account.")})
    return SessionView(row["id"], account, row["second_factor"], row["reauthenticated_at"])


async def pass_second_factor(session_id: int, account_id: int) -> str:
    """After the second factor the session is replaced by a new one (rotation at each privilege step)."""
    await AccountSession.update({AccountSession.revoked_at: datetime.now(UTC)}).where(AccountSession.id == session_id)
    await Account.update({Account.last_login_at: datetime.now(UTC)}).where(Account.id == account_id)
    return await create_session(account_id, second_factor=True)


async def revoke_session(session_id: int) -> None:
    await AccountSession.update({AccountSession.revoked_at: datetime.now(UTC)}).where(
        (AccountSession.id == session_id) & AccountSession.revoked_at.is_null())


async def revoke_sessions(account_id: int, *, keep: int | None = None) -> int:
    """Ends every live session of the account (``keep``: but this one, hers now); returns how many."""
    where = (AccountSession.account == account_id) & AccountSession.revoked_at.is_null()
    if keep is not None:
        where &= AccountSession.id != keep
    revoked = await AccountSession.update({AccountSession.revoked_at: datetime.now(UTC)}).where(where).returning(
        AccountSession.id)
    return len(revoked)


# --- invitations ---

async def invite(email: str, roles: tuple[str, ...], actor: int, now: datetime | None = None) -> str:
    email = valid_email(email)
    if not roles or any(r not in ROLES for r in roles):
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


# --- her own password and second factor (ASVS 2.1.5, 3.7.1) ---

class WrongPassword(AccountError):
    """The password she gave to confirm a change is not hers (counted by the throttle)."""


async def _password_fits(account_id: int, password: str) -> bool:
    row = await Account.select(Account.password_hash).where(Account.id == account_id).first()
    return await passwords.verify(_usable(row["password_hash"]) if row else None, password)


async def change_password(account_id: int, session_id: int, current: str, new: str) -> int:
    """Her new password, when ``current`` is hers; every other session of hers ends (one opened with the old
    password elsewhere must not outlive it). Returns how many ended."""
    row = await Account.select(Account.email).where(Account.id == account_id).first()
    if row is None or not await _password_fits(account_id, current):
        await audit(account_id, "account.reauthentication_failed", "", purpose="password")
        raise WrongPassword(_("That is not your current password."))
    if problem := passwords.problem(new, email=row["email"]):
        raise AccountError(problem)
    await Account.update({Account.password_hash: await passwords.hash_password(new)}).where(Account.id == account_id)
    ended = await revoke_sessions(account_id, keep=session_id)
    await audit(account_id, "account.password_changed", row["email"], other_sessions_ended=ended)
    return ended


async def reauthenticate(session: SessionView, password: str, code: str) -> bool:
    """Her password and a current code (or a recovery code) again, before her second factor is replaced or
    removed; the session remembers it for a few minutes. A wrong code is only tried after a right password,
    so a guess at the password uses up no code."""
    account_id = session.account.id
    ok = await _password_fits(account_id, password)
    if ok and session.account.has_totp:
        ok = await check_second_factor(account_id, code)
    if not ok:
        await audit(account_id, "account.reauthentication_failed", "", purpose="second factor")
        return False
    await AccountSession.update({AccountSession.reauthenticated_at: datetime.now(UTC)}).where(
        AccountSession.id == session.id)
    await audit(account_id, "account.reauthenticated", "")
    return True


async def remove_second_factor(session: SessionView) -> None:
    """Development only (the controller refuses it in production, where every account needs one)."""
    await Account.update({Account.totp_secret: None, Account.recovery_codes: "[]"}).where(
        Account.id == session.account.id)
    await AccountSession.update({AccountSession.reauthenticated_at: None}).where(AccountSession.id == session.id)
    await audit(session.account.id, "account.second_factor_removed", "")


# --- an admin's help: a password-reset link, a lost second factor (ASVS 2.5.x) ---

class NotForYourself(AccountError):
    """An admin changes her own password and second factor on her own account page, which asks for both."""


async def _other_account(account_id: int, actor: int | None) -> dict[str, Any]:
    """``actor`` None: the operator, at the command line (e.g. for the only admin, whose phone is lost)."""
    if account_id == actor:
        raise NotForYourself(_("Change your own password and second factor on your account page."))
    row = await Account.select(Account.id, Account.email).where(Account.id == account_id).first()
    if row is None:
        raise errors.NotFound("no such account")
    return row


async def make_reset_link(account_id: int, actor: int | None, now: datetime | None = None) -> str:
    """A one-time token to choose a new password, valid for 24 hours (only its hash is stored). At once the
    old password stops working, any older link is void and every session of hers ends: the usual reason is a
    password someone else may know."""
    row = await _other_account(account_id, actor)
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    async with db.transaction():
        await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.account == account_id) & PasswordReset.used_at.is_null())
        await PasswordReset.insert(PasswordReset(token_hash=token_hash(token), account=account_id, created_by=actor,
                                                 created_at=now, expires_at=now + RESET_VALID))
        await Account.update({Account.password_hash: NO_PASSWORD}).where(Account.id == account_id)
        ended = await revoke_sessions(account_id)
        await audit(actor, "account.password_reset_link_made", row["email"], sessions_ended=ended)
    return token


async def open_reset(token: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The link's row and the account's e-mail, while it is unused, unexpired and the account enabled."""
    now = now or datetime.now(UTC)
    row = await PasswordReset.select(PasswordReset.id, PasswordReset.account, PasswordReset.expires_at,
                                     PasswordReset.used_at, PasswordReset.account.email,
                                     PasswordReset.account.disabled_at).where(
        PasswordReset.token_hash == token_hash(token)).first()
    if row is None or row["used_at"] is not None or row["expires_at"] <= now or row["account.disabled_at"]:
        return None
    return row


async def reset_password(token: str, password: str) -> int:
    """One time only: the guarded update means two tabs cannot both use one link. Every session ends."""
    row = await open_reset(token)
    if row is None:
        raise AccountError(_("This link has expired or has been used."))
    email = row["account.email"]
    if problem := passwords.problem(password, email=email):
        raise AccountError(problem)
    password_hash = await passwords.hash_password(password)
    now = datetime.now(UTC)
    async with db.transaction():
        used = await PasswordReset.update({PasswordReset.used_at: now}).where(
            (PasswordReset.id == row["id"]) & PasswordReset.used_at.is_null() & (PasswordReset.expires_at > now)
        ).returning(PasswordReset.id)
        if not used:
            raise AccountError(_("This link has expired or has been used."))
        await Account.update({Account.password_hash: password_hash}).where(Account.id == row["account"])
        ended = await revoke_sessions(row["account"])
        await audit(row["account"], "account.password_reset", email, sessions_ended=ended)
    return row["account"]


async def reset_second_factor(account_id: int, actor: int | None) -> None:
    """Her phone is lost: the secret and the recovery codes go, every session of hers ends, and she sets up a
    new second factor at her next sign-in (in production she cannot go further without one)."""
    row = await _other_account(account_id, actor)
    async with db.transaction():
        await Account.update({Account.totp_secret: None, Account.recovery_codes: "[]"}).where(
            Account.id == account_id)
        ended = await revoke_sessions(account_id)
        await audit(actor, "account.second_factor_reset", row["email"], sessions_ended=ended)


async def account_id_for(email: str) -> int | None:
    row = await Account.select(Account.id).where(Account.email == normalise_email(email)).first()
    return row["id"] if row else None


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
