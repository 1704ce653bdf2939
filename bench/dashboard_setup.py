"""For the dashboard bench, run with the app's environment after ``pusterum demo-data``:
``python -m bench.dashboard_setup EMAIL`` (the password on standard input) makes a researcher account with
the account services, as the tests do, and prints as JSON what the demo data offers the filters: its
sites, units and course groups, and the municipalities most people live in.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def setup(email: str, password: str) -> dict:
    from server.accounts.services import create_account
    from server.demo.data import demo_sites
    from server.participants.tables import CourseGroup, Participant, Site, Unit

    await create_account(email, password, ("researcher",))
    site_ids = [s["id"] for s in await demo_sites()] or [0]
    sites = await Site.select(Site.slug, Site.kind).where(Site.id.is_in(site_ids)).order_by(Site.slug)
    units = await Unit.select(Unit.slug, Unit.site.slug).where(Unit.site.is_in(site_ids)).order_by(Unit.slug)
    groups = await CourseGroup.select(CourseGroup.slug, CourseGroup.starts_on).where(
        CourseGroup.site.is_in(site_ids)).order_by(CourseGroup.starts_on)
    homes = await Participant.raw(
        "SELECT municipality_code AS code, count(*) AS n FROM participant WHERE municipality_code IS NOT NULL "
        "GROUP BY municipality_code ORDER BY count(*) DESC, municipality_code LIMIT 6")
    return {
        "hospitals": [s["slug"] for s in sites if s["kind"] == "hospital"],
        "clinics": [s["slug"] for s in sites if s["kind"] == "clinic"],
        "units": [{"slug": u["slug"], "site": u["site.slug"]} for u in units],
        "groups": [{"slug": g["slug"], "starts_on": g["starts_on"].isoformat()} for g in groups],
        "municipalities": [h["code"] for h in homes],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(setup(sys.argv[1], sys.stdin.readline().rstrip("\n")))))
