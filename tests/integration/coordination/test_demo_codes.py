"""`pusterum demo`'s codes are kept like a coordinator's: sealed beside their hash, so the demo site's sheets
can be printed (before, the demo site's page said its code could not be shown)."""

from __future__ import annotations

import asyncio

from server.coordination import services
from server.participants.tables import InviteCode


async def test_the_demo_codes_are_kept_sealed_and_open_to_their_own_hash(db):
    from server.cli import main

    assert await asyncio.to_thread(main, ["demo"]) == 0
    assert await asyncio.to_thread(main, ["demo"]) == 0  # again: the same codes, sealed once
    rows = await InviteCode.select(InviteCode.kind, InviteCode.code_hash, InviteCode.code_sealed)
    assert sorted(r["kind"] for r in rows) == ["patient", "staff"]
    for row in rows:
        assert row["code_sealed"], row["kind"]
        assert services.unseal(row["code_sealed"], row["code_hash"]) is not None
