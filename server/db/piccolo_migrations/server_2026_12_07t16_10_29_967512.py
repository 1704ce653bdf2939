"""Invite codes kept sealed, annual notes keyed by the ids of their sites.

* ``invite_code.code_sealed``: the code, encrypted, so that a coordinator can print its sheet again; codes
  made before this have none (their sheet says so and offers a new code).
* ``annual_note.scope`` was the sites' slugs, sorted and comma-separated, in a VARCHAR(200) that a long
  choice of sites overflowed; it becomes the sites' ids, sorted and comma-separated, in TEXT. ``all`` (the
  notes about every site) stays as it is: the admins'. A key naming a site that no longer exists cannot be
  re-keyed; it is kept as ``slugs:<the old key>``, which no page asks for (nothing is deleted).

Piccolo runs a migration's raw steps before its own operations, and SQLite cannot alter a column, so the
operations below only describe the new shape (Piccolo builds the next migration from them) while
``_CarryOver.run`` does the work in one transaction (on SQLite a VARCHAR is already TEXT: only the keys
change).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-07T16:10:29:967512"
VERSION = "1.38.0"
DESCRIPTION = "invite codes kept sealed; annual notes keyed by the ids of their sites"

EVERY_SITE = "all"
UNMATCHED = "slugs:"


async def _sql(engine, sql: str, *args):
    return await engine.run_querystring(QueryString(sql, *args))


def rekeyed(scope: str, ids: dict[str, int]) -> str:
    """The new key of an old one: "all" stays; slugs become ids, sorted as numbers."""
    if scope == EVERY_SITE or scope.startswith(UNMATCHED):
        return scope
    slugs = [slug for slug in scope.split(",") if slug]
    if not slugs or any(slug not in ids for slug in slugs):
        return UNMATCHED + scope
    return ",".join(str(site) for site in sorted({ids[slug] for slug in slugs}))


class _CarryOver(MigrationManager):
    """Records the operations (for Piccolo's picture of the schema) but runs the carry-over instead."""

    async def run(self, backwards: bool = False) -> None:
        if backwards:
            raise NotImplementedError("sealed codes and re-keyed notes are not carried back (restore a backup)")
        engine = engine_finder()
        print(f"  - {self.migration_id} [forwards]... ", end="")
        async with engine.transaction():
            await _sql(engine, 'ALTER TABLE "invite_code" ADD COLUMN "code_sealed" TEXT DEFAULT null')
            if engine.engine_type != "sqlite":
                await _sql(engine, 'ALTER TABLE "annual_note" ALTER COLUMN "scope" TYPE TEXT')
            ids = {row["slug"]: row["id"] for row in await _sql(engine, "SELECT id, slug FROM site")}
            # Row by row, by id: a slug may itself be digits, so a new key may equal another row's old one.
            for row in await _sql(engine, "SELECT id, scope FROM annual_note"):
                new = rekeyed(row["scope"], ids)
                if new != row["scope"]:
                    await _sql(engine, "UPDATE annual_note SET scope = {} WHERE id = {}", new, row["id"])


async def forwards():
    manager = _CarryOver(migration_id=ID, app_name="server", description=DESCRIPTION)

    manager.add_column(
        table_class_name="InviteCode",
        tablename="invite_code",
        column_name="code_sealed",
        db_column_name="code_sealed",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="AnnualNote",
        tablename="annual_note",
        column_name="scope",
        db_column_name="scope",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
