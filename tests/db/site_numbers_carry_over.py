"""Run by ``test_migrations.py`` in a process of its own, on a database of its own: builds the schema as it
stood before sites kept their ward's and clinic's phone numbers, writes a site the old way, applies the
remaining migrations, gives the site its numbers and prints what is stored as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

BEFORE = "2026-12-07T18:58:49:944809"  # the last migration before sites had phone numbers


async def main() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.db import is_sqlite, raw
    from server.engagement.store import received_at_str

    await run_forwards("server", migration_id=BEFORE)
    now = datetime(2026, 8, 1, tzinfo=UTC)
    moment = received_at_str(now) if is_sqlite() else now
    await raw("INSERT INTO site (slug, name, kind, municipality_code, checkin_every_days, created_at) "
              "VALUES ('old-clinic', 'Old clinic', 'clinic', '0751', 14, {})", moment)

    await run_forwards("server")

    from server.participants.tables import Site

    before = await Site.select(Site.slug, Site.municipality_code, Site.ward_phone, Site.clinic_phone).first()
    await Site.update({Site.ward_phone: "+45 38 63 50 00 1234", Site.clinic_phone: "38 63 50 10"}).where(
        Site.slug == "old-clinic")
    after = await Site.select(Site.ward_phone, Site.clinic_phone).first()
    print(json.dumps({"before": before, "after": after}))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
