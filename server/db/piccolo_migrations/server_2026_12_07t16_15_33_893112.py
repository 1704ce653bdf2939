"""The sign-in throttle counts as leaky buckets (``server.accounts.throttle``): one ``empty_at`` (epoch
milliseconds) replaces ``failures``, ``window_start`` and ``blocked_until``. The old counts mean nothing in
the new model: every row starts drained (0), and the next pruning deletes them. Dropping plain columns
and adding an integer with a default works on both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T16:15:33:893112"
VERSION = "1.38.0"
DESCRIPTION = "Sign-in throttle as leaky buckets: empty_at replaces failures, window_start, blocked_until"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="server", description=DESCRIPTION
    )

    for column in ("failures", "window_start", "blocked_until"):
        manager.drop_column(
            table_class_name="LoginThrottle",
            tablename="login_throttle",
            column_name=column,
            db_column_name=column,
            schema=None,
        )

    manager.add_column(
        table_class_name="LoginThrottle",
        tablename="login_throttle",
        column_name="empty_at",
        db_column_name="empty_at",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
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
