"""The committed migrations build the whole schema on an empty database of each kind."""

from __future__ import annotations

import asyncio

import pytest


@pytest.mark.usefixtures("database")
def test_it_has_applied_every_migration_and_created_every_table():
    from piccolo.apps.migrations.tables import Migration

    from server.db.piccolo_app import TABLES
    from server.db.piccolo_conf import DB

    async def check():
        applied = await Migration.select(Migration.name).where(Migration.app_name == "server")
        tables = [await t.table_exists() for t in TABLES]
        wal = await DB.run_ddl("PRAGMA journal_mode") if DB.engine_type != "postgres" else None
        return applied, tables, wal

    applied, tables, wal = asyncio.run(check())
    assert applied, "no migration recorded as applied"
    assert all(tables)
    if wal is not None:
        assert wal[0]["journal_mode"] == "wal"


@pytest.mark.usefixtures("database")
def test_it_runs_migrations_a_second_time_without_changing_anything():
    from server.cli import migrate

    asyncio.run(migrate())
