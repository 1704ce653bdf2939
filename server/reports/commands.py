"""``pusterum reports``: the report rollups brought up to date by hand."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click

from server.lib.commands import Group


@click.group(cls=Group, short_help="the follow-up's reports")
def reports() -> None:
    """The follow-up's reports."""


@reports.command(short_help="fold new events into the report rollups (the app does it too)")
@click.option("--full", is_flag=True, help="rebuild every rollup from the event log")
def refresh(full: bool) -> None:
    """Fold new events into the report rollups. The app does it every minute and when a dashboard opens;
    the rollups are a cache of the event log, so rebuild them (--full) after a restore or an import by hand."""
    from server.reports import rollups

    started = datetime.now(UTC)
    rebuilt = asyncio.run(rollups.refresh(full=full))
    seconds = (datetime.now(UTC) - started).total_seconds()
    what = "everyone" if rebuilt < 0 else f"{rebuilt:,} participants"
    click.echo(f"Report rollups brought up to date ({what} rebuilt) in {seconds:.1f} s.")
