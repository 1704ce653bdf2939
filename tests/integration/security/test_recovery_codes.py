"""A recovery code works once, even when two requests bring it at the same moment (ASVS 2.6.1).

The list of unused codes used to be read, then written back without the one used: two requests with the same
code both read it as unused, and both got in. Now the write is guarded by the list as it was read.
"""

from __future__ import annotations

import asyncio

import pyotp

from server.accounts import services
from server.accounts.tables import Account, AuditEntry
from tests.support import WORKSPACE_PASSWORD


async def _account_with_codes() -> tuple[int, list[str]]:
    account_id = await services.create_account("nurse@example.org", WORKSPACE_PASSWORD, ("editor",))
    secret = pyotp.random_base32()
    codes = await services.confirm_totp(account_id, secret, pyotp.TOTP(secret).now())
    assert codes
    return account_id, codes


async def test_one_recovery_code_sent_twice_at_once_lets_in_only_one(db):
    """ASVS 2.6.1: of two simultaneous uses of one recovery code, one succeeds; the code is gone after it."""
    account_id, codes = await _account_with_codes()
    outcomes = await asyncio.gather(*(services.check_second_factor(account_id, codes[0]) for _ in range(2)))
    assert sorted(outcomes) == [False, True]
    assert not await services.check_second_factor(account_id, codes[0])
    assert await AuditEntry.count().where(AuditEntry.action == "account.recovery_code_used") == 1
    left = (await Account.select(Account.recovery_codes).where(Account.id == account_id)
            .output(load_json=True).first())["recovery_codes"]
    assert len(left) == len(codes) - 1


async def test_two_different_codes_at_once_are_both_used(db):
    """ASVS 2.6.1: the guard refuses only a code already used, not another code sent at the same moment."""
    account_id, codes = await _account_with_codes()
    outcomes = await asyncio.gather(*(services.check_second_factor(account_id, code) for code in codes[:3]))
    assert outcomes == [True, True, True]
    left = (await Account.select(Account.recovery_codes).where(Account.id == account_id)
            .output(load_json=True).first())["recovery_codes"]
    assert len(left) == len(codes) - 3
