"""Accounts of the people who run Pusterum (editors, coordinators, researchers, admins): never patients.

Secrets are stored so that a leaked database does not hand out access: passwords as argon2id hashes,
session, invitation and password-reset tokens as SHA-256 of the token, recovery codes hashed, the TOTP
secret encrypted with a key derived from SECRET_KEY.
"""

from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from server.participants.tables import Site

ROLES = ("editor", "coordinator", "researcher", "admin")


class Account(Table, tablename="account"):
    email = Varchar(length=254, unique=True)  # lower-cased; the login name
    display_name = Varchar(length=80, default="")
    roles = Varchar(length=80, default="")  # comma-separated, from ROLES
    password_hash = Varchar(length=255)
    totp_secret = Text(null=True, default=None)  # encrypted; None until she sets up the second factor
    totp_last_step = Integer(default=0)  # a code is accepted once: replaying it in the same 30 s fails
    recovery_codes = JSON(default="[]")  # SHA-256 of the unused ones
    created_at = Timestamptz()
    disabled_at = Timestamptz(null=True, default=None)
    last_login_at = Timestamptz(null=True, default=None)


class AccountSession(Table, tablename="account_session"):
    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(references=Account, index=True)
    second_factor = Boolean(default=False)  # passed TOTP (or a recovery code) in this session
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    # When she last gave her password and a current code again in this session: replacing the second
    # factor is allowed for a few minutes after (ASVS 3.7.1).
    reauthenticated_at = Timestamptz(null=True, default=None)


class AccountInvite(Table, tablename="account_invite"):
    token_hash = Varchar(length=64, unique=True)
    email = Varchar(length=254)
    roles = Varchar(length=80)
    created_by = ForeignKey(references=Account, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class PasswordReset(Table, tablename="password_reset"):
    """A one-time link an admin made for someone to choose a new password (single use, expiring)."""

    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(references=Account, index=True, on_delete=OnDelete.cascade)
    created_by = ForeignKey(references=Account, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)  # also set when a newer link replaces it


class LoginThrottle(Table, tablename="login_throttle"):
    """One count of tries at a door where a secret is guessed (``server.accounts.throttle``)."""

    key = Varchar(length=80, unique=True)  # "<kind>:<keyed hash>", e.g. "account:…", "client:…", "typed-code:…"
    empty_at = BigInt(default=0)  # epoch milliseconds when the count will have drained to nothing


class AuditEntry(Table, tablename="audit_entry"):
    at = Timestamptz(index=True)
    actor = ForeignKey(references=Account, null=True, default=None)  # None: the command line
    action = Varchar(length=60)  # e.g. account.invited, session.revoked, content.published, export.created
    target = Varchar(length=200, default="")
    detail = JSON(default="{}")


class AccountSite(Table, tablename="account_site"):
    """The sites a coordinator answers for: her dashboards and annual report show these and no others."""

    account = ForeignKey(references=Account, index=True, on_delete=OnDelete.cascade)
    site = ForeignKey(references=Site, on_delete=OnDelete.cascade)
