"""A store for keys that must outlive SECRET_KEY (``stored_key``), and in it the research pseudonyms' key.

That key is the one pseudonyms were made with until now (derived from the SECRET_KEY this migration runs
under), so every pseudonym stays what it was, in files already exported and in those to come, also after
SECRET_KEY changes. (On a database that has none yet when it is first needed,
server.reports.exports.pseudonym_key stores it the same way.)
"""

import hashlib
import hmac
from datetime import UTC, datetime

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-07T16:27:46:858357"
VERSION = "1.38.0"
DESCRIPTION = "A stored key for research pseudonyms, carried over from SECRET_KEY"
PSEUDONYM_PURPOSE = "research-pseudonym"  # as server.reports.exports has it (written out: a migration stays put)


class StoredKey(Table, tablename="stored_key", schema=None):
    name = Varchar(length=40, unique=True)
    value = Varchar(length=64)
    created_at = Timestamptz()


class _StoreKey(MigrationManager):
    """The table as Piccolo describes it, then the pseudonyms' key carried over."""

    async def run(self, backwards: bool = False) -> None:
        await super().run(backwards=backwards)
        if backwards or self.preview:
            return
        from server.settings import get_settings

        key = hmac.new(get_settings().secret_key.encode(), PSEUDONYM_PURPOSE.encode(), hashlib.sha256).hexdigest()
        await StoredKey.insert(StoredKey(name=PSEUDONYM_PURPOSE, value=key, created_at=datetime.now(UTC))).on_conflict(
            action="DO NOTHING")


async def forwards():
    manager = _StoreKey(migration_id=ID, app_name="server", description=DESCRIPTION)

    manager.add_table(
        class_name="StoredKey", tablename="stored_key", schema=None, columns=None
    )

    manager.add_column(
        table_class_name="StoredKey",
        tablename="stored_key",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="StoredKey",
        tablename="stored_key",
        column_name="value",
        db_column_name="value",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
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

    manager.add_column(
        table_class_name="StoredKey",
        tablename="stored_key",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
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

    return manager
