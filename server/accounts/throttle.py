"""Counting tries at the doors where a secret is guessed (the password, the second factor, a typed invite
code), so that guessing stays slow, simultaneous guesses are no faster than one after another, and one
person's failures never keep another person out.

**How a count works.** Each count is a leaky bucket (GCRA) in one row of ``login_throttle``: ``empty_at``
is the moment the bucket will have drained. A try adds ``every`` seconds to it and is allowed while the
bucket then holds at most ``at_once`` tries: ``at_once`` tries back to back, then one each ``every``
seconds, for as long as the guessing goes on, so at most ``at_once + 3600 / every`` in any hour. Nothing
grows without bound and nothing needs resetting: a quiet count drains by itself.

**Counted before the secret is judged.** argon2 runs for a while on threads; reading a count, checking
the password and then writing the failure left that whole while open, and 100 simultaneous guesses were
all checked. Here a try is *taken* first: one upsert per count (``INSERT … ON CONFLICT (key) DO UPDATE …
WHERE there is room … RETURNING``, on SQLite ≥ 3.35 and PostgreSQL alike) adds the try only while the
bucket has room and returns no row when it has none. The counts of one try are taken in one transaction
(SQLite's write lock; on PostgreSQL the upsert holds the row until commit), all or none, so a refused try
counts nowhere, and any number of processes and instances share the counts. A try that turns out right
is given back, so a person's successful sign-ins leave nothing in the counts; earlier failures stay.

**Sign-in** (a password), the counts taken for one try:

* this account from this address: 5 at once, then one every 3 minutes (≤ 25 in any hour);
* every account from this address: 20 at once, then one a minute (≤ 80 in any hour; one address trying
  many accounts);
* this account from every address, for browsers without a cookie from an earlier sign-in to it: 40 at once,
  then one a minute (≤ 100 in any hour, ASVS 2.2.1's ceiling; ~1,440 a day). One address (≤ 25 an hour)
  cannot fill it: it takes eight addresses at once, or four guessing steadily for an hour, before someone
  signing in from a *new* browser is kept waiting, and only while that goes on;
* instead of the three above, a browser that has signed in to this account before (a signed cookie,
  ``known_browser_token``: a keyed hash naming the account and a random value): counted on its own, 5 at
  once, then one every 3 minutes, forgotten when she gets in. Nobody else's failures ever hold it up.

So an attacker at one address cannot keep anyone at another address out; one who shares her address (the
same NAT) or has many addresses can slow only her new browsers, never one she has signed in with before;
a forged ``X-Forwarded-For`` cannot change which address is counted (``server.lib.clients``).

**Second factor** (a TOTP or recovery code), per account: only someone who knows the password gets
there. 5 at once, then one every 15 minutes (≤ 9 in any hour, 4 an hour after that: with three codes
valid at a time, about one chance in ten in a year of ceaseless guessing); forgotten when she gets in.

**Her password again** (with a code) from her own session, before she changes her password or second
factor: per account, 5 at once, then one every 3 minutes; forgotten when it is right.

**Typed invite codes** at ``/join``, per address (nobody has an account there): 5 at once, then one
every 3 minutes (≤ 25 in any hour); a right code gives its try back, the misses stay.

Keys are ``<kind>:<keyed hash>``: never an e-mail address or an IP address in the table.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from server import db
from server.accounts.services import normalise_email
from server.accounts.tables import LoginThrottle
from server.lib.signing import keyed_digest, sign, unsign


@dataclass(frozen=True, slots=True)
class Budget:
    """``at_once`` tries back to back, then one each ``every`` seconds."""

    kind: str
    at_once: int
    every: int
    forgotten_on_success: bool = False  # a count only she adds to (her browser, her second factor)

    @property
    def most_in_an_hour(self) -> int:
        return self.at_once + 3600 // self.every


SIGN_IN_HERE = Budget("sign-in", at_once=5, every=180)  # one account from one address
ADDRESS = Budget("client", at_once=20, every=60)  # every account from one address
ACCOUNT = Budget("account", at_once=40, every=60)  # one account from every browser it does not know
KNOWN_BROWSER = Budget("known-browser", at_once=5, every=180, forgotten_on_success=True)
SECOND_FACTOR = Budget("second-factor", at_once=5, every=900, forgotten_on_success=True)
TYPED_CODE = Budget("typed-code", at_once=5, every=180)  # typed invite codes from one address
# Her password (and code) again, from her own signed-in session, before a change to her account.
REAUTHENTICATE = Budget("reauthenticate", at_once=5, every=180, forgotten_on_success=True)


@dataclass(frozen=True, slots=True)
class Key:
    budget: Budget
    value: str  # a keyed hash or an id, never the raw e-mail address or IP address

    @property
    def name(self) -> str:
        return f"{self.budget.kind}:{self.value}"


def digest(value: str) -> str:
    return keyed_digest("throttle", value, 32)


# --- which counts a try is taken from ---

def _browser_nonce(token: str | None, email: str) -> str | None:
    """The cookie's own random part when it was made at a sign-in to this very account, else None."""
    value = unsign("known-browser", token) if token else None
    who, _, nonce = (value or "").partition(":")
    if not nonce or who != keyed_digest("known-browser", normalise_email(email), 22):
        return None
    return nonce


def known_browser_token(email: str) -> str:
    """A fresh cookie value for a browser that has just signed in to this account."""
    return sign("known-browser", f"{keyed_digest('known-browser', normalise_email(email), 22)}:"
                                 f"{secrets.token_urlsafe(16)}")


def sign_in_keys(email: str, client: str, browser_token: str | None = None) -> list[Key]:
    """The counts a password try is taken from (whether or not the account exists)."""
    if nonce := _browser_nonce(browser_token, email):
        return [Key(KNOWN_BROWSER, digest(nonce))]
    account = digest(normalise_email(email))
    return [Key(SIGN_IN_HERE, digest(f"{account} {client}")), Key(ADDRESS, digest(client)),
            Key(ACCOUNT, account)]


def second_factor_keys(account_id: int) -> list[Key]:
    return [Key(SECOND_FACTOR, str(account_id))]


def reauthenticate_keys(account_id: int) -> list[Key]:
    """Guesses at her password from a session left open are slowed like guesses at the sign-in."""
    return [Key(REAUTHENTICATE, str(account_id))]


def typed_code_keys(client: str) -> list[Key]:
    return [Key(TYPED_CODE, digest(client))]


# --- taking and giving back ---

# One count's try: added only while the bucket has room (else no row comes back). Milliseconds throughout.
_TAKE = ('INSERT INTO login_throttle ("key", empty_at) VALUES ({}, {}) '
         'ON CONFLICT ("key") DO UPDATE SET empty_at = CASE WHEN login_throttle.empty_at > {} '
         'THEN login_throttle.empty_at + {} ELSE excluded.empty_at END '
         'WHERE login_throttle.empty_at <= {} RETURNING empty_at')


class _Full(Exception):
    def __init__(self, wait_ms: int) -> None:
        self.wait_ms = wait_ms


def _now_ms(now: float | None) -> int:
    return int((time.time() if now is None else now) * 1000)


async def take(keys: Sequence[Key], now: float | None = None) -> int:
    """Takes one try from every count, all or none: 0 when taken, else the seconds until there is room
    (and nothing was counted)."""
    at = _now_ms(now)
    try:
        async with db.transaction():
            for key in keys:
                every = key.budget.every * 1000
                room_until = at + (key.budget.at_once - 1) * every  # the bucket may end no later than this
                if not await db.raw(_TAKE, key.name, at + every, at, every, room_until):
                    row = await LoginThrottle.select(LoginThrottle.empty_at).where(
                        LoginThrottle.key == key.name).first()
                    raise _Full((row["empty_at"] if row else room_until) - room_until)
    except _Full as full:
        return max(1, -(-full.wait_ms // 1000))
    return 0


async def passed(keys: Sequence[Key]) -> None:
    """The try was right: it is given back, and a count only she adds to is forgotten."""
    for key in keys:
        if key.budget.forgotten_on_success:
            await LoginThrottle.delete().where(LoginThrottle.key == key.name)
        else:
            await LoginThrottle.update({LoginThrottle.empty_at: LoginThrottle.empty_at - key.budget.every * 1000}
                                       ).where(LoginThrottle.key == key.name)


async def prune(now: float | None = None) -> int:
    """Deletes counts that have drained (a missing row is an empty bucket); returns how many."""
    gone = await LoginThrottle.delete().where(LoginThrottle.empty_at <= _now_ms(now)).returning(LoginThrottle.id)
    return len(gone)
