"""The soak's two looks inside the database, run as ``python -m bench.soak_db …`` with a server's environment
(so the same code reads SQLite and PostgreSQL, through the app's own tables and settings):

- ``setup`` (one ``email password`` line per role on standard input: researcher, coordinator, signer) makes the
  workspace accounts with the account services, as the tests do, links the coordinator to the demo clinic,
  and prints the clinic's id as JSON;
- ``count IDS_FILE`` prints as JSON what the soak checks afterwards: which acknowledged event ids (one per
  line in the file) are missing or stored more than once, how many ``app_opened`` rows no answer
  acknowledged, the staff pauses stored, and the participants by kind;
- ``rows`` prints how many events the database holds (the bench's ingest check on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROLES = ("researcher", "coordinator", "signer")  # the order of the lines `setup` reads


async def setup(credentials: list[tuple[str, str]]) -> dict[str, Any]:
    from server.accounts.services import create_account, set_sites
    from server.participants.services import DEMO_SITE_SLUG
    from server.participants.tables import Site

    (researcher, coordinator, signer) = credentials
    await create_account(*researcher, ("researcher",))
    coordinator_id = await create_account(*coordinator, ("coordinator",))
    # Signing in is the same argon2 check whatever the role; a researcher is the least to hand a stranger.
    await create_account(*signer, ("researcher",))
    site = await Site.select(Site.id).where(Site.slug == DEMO_SITE_SLUG).first()
    if site is None:
        raise SystemExit("the demo clinic is missing: run `pusterum demo` first")
    await set_sites(coordinator_id, [site["id"]], actor=coordinator_id)
    return {"site_id": site["id"]}


async def count(acknowledged: set[str]) -> dict[str, Any]:
    from server.engagement.tables import Event
    from server.participants.tables import Participant

    rows = [str(r["id"]) for r in await Event.select(Event.id).where(Event.type == "app_opened")]
    stored = set(rows)
    kinds = await Participant.raw("SELECT kind, count(*) AS n FROM participant GROUP BY kind")
    return {
        "acknowledged": len(acknowledged),
        "rows": len(rows),
        "missing": len(acknowledged - stored),
        "missing_examples": sorted(acknowledged - stored)[:5],
        "stored_twice": len(rows) - len(stored),  # the id is the primary key: anything but 0 is a finding
        "not_acknowledged": len(stored - acknowledged),
        "pauses": await Event.count().where(Event.type == "pause_completed"),
        "participants": {r["kind"]: r["n"] for r in kinds},
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["setup"]:
        lines = [sys.stdin.readline().rstrip("\n").split(" ", 1) for _ in ROLES]
        result = asyncio.run(setup([(email, password) for email, password in lines]))
    elif argv[:1] == ["rows"]:
        from server.engagement.tables import Event

        result = asyncio.run(Event.count().run())
    elif argv[:1] == ["count"] and len(argv) == 2:
        ids = Path(argv[1]).read_text().split()
        result = asyncio.run(count(set(ids)))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
