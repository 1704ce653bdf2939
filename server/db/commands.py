"""``pusterum db``: bringing the database schema up to date with the committed migrations."""

from __future__ import annotations

import asyncio

import click

from server.lib.commands import Group


async def migrate() -> None:
    """Applies every committed migration (and on SQLite switches on WAL first); the tests set up their
    databases with it too, so they run on the schema production runs on."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.db import engine
    from server.db.connections import prepare

    await prepare(engine())
    result = await run_forwards(app_name="server")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


@click.group(cls=Group, short_help="database")
def db() -> None:
    """The database's schema."""


@db.command("migrate", short_help="apply every migration")
def migrate_command() -> None:
    """Apply the committed migrations (SQLite: also switch on WAL). Running it again changes nothing."""
    asyncio.run(migrate())
    click.echo("Database is up to date.")
