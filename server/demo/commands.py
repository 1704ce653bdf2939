"""``pusterum demo`` and ``pusterum demo-data``: a clinic and a hospital unit to try the app with, and a
synthetic year of use at separate demo sites for the dashboards and the bench."""

from __future__ import annotations

import asyncio
from datetime import date

import click

from server.lib.commands import Failure, bind_routes


class Day(click.ParamType):
    """A calendar day written YYYY-MM-DD."""

    name = "day"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a day written YYYY-MM-DD.", param, ctx)


@click.command(short_help="ensure the demo site, course group and invite; print its link")
def demo() -> None:
    """Ensure the demo clinic with a course group that started three weeks ago and its patient invite, and a
    demo hospital unit with its staff code; print both links. Running it again finds the same ones. The demo
    sites' municipality gets example local offers (marked "Eksempel"), which exist only in this database."""
    from server.coordination.services import invite_link, keep_sealed
    from server.demo.offers import ensure_example_offers
    from server.participants.services import ensure_demo, ensure_demo_staff

    async def both() -> tuple[str, str]:
        codes = await ensure_demo(course_slug="mbsr-8-weeks"), await ensure_demo_staff()
        for code in codes:  # kept sealed like a coordinator's codes, so the demo sheets print too
            await keep_sealed(code)
        await ensure_example_offers()
        return codes

    patient, staff = asyncio.run(both())
    bind_routes()  # the links are built from the app's route table, like every other link
    click.echo(f"\n  Demo patient invite (course group started 3 weeks ago):\n  {invite_link('patient', patient)}\n")
    click.echo(f"  Demo staff link (the unit's QR code; no account needed):\n  {invite_link('staff', staff)}\n")


# The defaults live in server/demo/data.py, only named in the help: importing it here would import the
# tables, and so the database settings, before any command runs.
@click.command("demo-data", short_help="make a synthetic year of use at demo sites (dashboards, bench)")
@click.option("--patients", type=int, metavar="N", help="patients (default 3000)")
@click.option("--staff", type=int, metavar="N", help="staff (default 5000)")
@click.option("--days", type=int, metavar="N", help="days in the period (default 365)")
@click.option("--seed", type=int, metavar="N", help="the same seed gives the same data (default 1)")
@click.option("--end", type=Day(), metavar="DAY", help="the last day, YYYY-MM-DD (default: yesterday)")
@click.option("--replace", is_flag=True, help="remove earlier demo data first")
def demo_data(patients: int | None, staff: int | None, days: int | None, seed: int | None, end: date | None,
              replace: bool) -> None:
    """Make a synthetic year of use at `demo-` sites (about 2 million events with the default sizes, with
    seasonal and weekly rhythms and drop-off) for the dashboards and the bench. Holds SQLite's write lock
    while it runs; `pusterum demo`'s own sites are never touched."""
    from server.demo.data import DemoDataExists, NoContent, generate

    given = {name: value for name, value in (("patients", patients), ("staff", staff), ("days", days),
                                             ("seed", seed)) if value is not None}
    if min(given.get("patients", 0), given.get("staff", 0)) < 0 or not 1 <= given.get("days", 1) <= 3660:
        raise Failure("--patients and --staff must be 0 or more, --days between 1 and 3660; nothing was changed.")
    try:
        s = asyncio.run(generate(**given, end=end, replace=replace))
    except (DemoDataExists, NoContent, ValueError) as exc:
        raise Failure(f"{exc}; nothing was changed.") from exc
    replaced = f" (replacing {s.removed_events:,} earlier demo events)" if s.removed_events else ""
    click.echo(f"Demo data made{replaced}: {s.patients:,} patients and {s.staff:,} staff at {s.sites} demo sites, "
               f"{s.events:,} events from {s.first_day} to {s.last_day} (seed {s.seed}), in {s.seconds:.1f} s "
               f"(events {s.event_seconds:.1f} s, rollups {s.rollup_seconds:.1f} s).")
