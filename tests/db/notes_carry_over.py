"""Run by ``test_migrations.py`` in a process of its own, on a database of its own: builds the schema as it
stood before invite codes were kept sealed and annual notes were keyed by site ids, writes notes keyed the
old way (site slugs) and an invite code, applies the remaining migrations and prints the rows as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

BEFORE = "2026-12-07T14:41:09:318128"  # the last migration with notes keyed by slugs
# scope as stored -> what the test expects it to become (filled in with the sites' ids)
OLD_SCOPES = ["all", "east", "east,west", "12", "east,gone-site"]


async def main() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.db import is_sqlite, raw
    from server.engagement.store import received_at_str
    from server.participants.tables import Site

    await run_forwards("server", migration_id=BEFORE)
    now = datetime(2026, 8, 1, tzinfo=UTC)
    moment = received_at_str(now) if is_sqlite() else now
    ids = {}
    # A site whose slug is digits ("12"), made after others so its id is not 12: the key "12" is a slug.
    for slug in ("filler-1", "east", "west", "12"):
        # Raw: the table class has columns added since (its phone numbers) that this schema does not have yet.
        await raw("INSERT INTO site (slug, name, kind, checkin_every_days, created_at) "
                  "VALUES ({}, {}, 'clinic', 14, {})", slug, slug.title(), moment)
        ids[slug] = (await Site.select(Site.id).where(Site.slug == slug).first())["id"]
    for n, scope in enumerate(OLD_SCOPES):
        await raw("INSERT INTO annual_note (year, scope, section, body, updated_at) VALUES ({}, {}, {}, {}, {})",
                  2026, scope, "summary", f"note {n}", moment)
    await raw("INSERT INTO invite_code (code_hash, kind, site, label, uses, created_at) "
              "VALUES ({}, 'patient', {}, 'Old poster', 0, {})", "0" * 64, ids["east"], moment)

    await run_forwards("server")

    from server.participants.tables import InviteCode
    from server.reports.tables import AnnualNote

    notes = await AnnualNote.select(AnnualNote.scope, AnnualNote.body).order_by(AnnualNote.body)
    invites = await InviteCode.select(InviteCode.label, InviteCode.code_sealed)
    long_key = ",".join(str(n) for n in range(100_000, 100_200))  # 1,399 characters
    await AnnualNote.insert(AnnualNote(year=2026, scope=long_key, section="summary", body="many", updated_at=now))
    stored = await AnnualNote.select(AnnualNote.scope).where(AnnualNote.body == "many").first()
    print(json.dumps({"ids": ids, "notes": notes, "invites": invites, "long_key_kept": stored["scope"] == long_key}))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
