"""The database: one engine per process, transactions that take SQLite's write lock first, raw
connections with their PRAGMAs, the reports' read pool, and the committed migrations.

Every connection comes from here: Piccolo's engine, or ``connections.sqlite_connection`` for the two
long-lived raw ones (the event log's writer thread, the demo-data loader) and the read pool; no PRAGMA
is set anywhere else. Domains write ``async with db.transaction():`` and get the right kind of
transaction on either engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from piccolo.engine.base import Engine

ROW_ID_MAX = 2**31 - 1  # ids are INTEGER columns (PostgreSQL refuses a larger number with an error)


def row_id(value: int | None) -> bool:
    """Whether a number can be the id of a row; a handler treats any other as no row (404) without asking the
    database, which would answer a number too large for the column with an error, not with nothing."""
    return value is not None and 0 < value <= ROW_ID_MAX


def engine() -> Engine:
    """The process's engine (imported lazily: settings must be final before the first table is used)."""
    from server.db.piccolo_conf import DB

    return DB


def transaction() -> Any:
    """A transaction for reading then writing: on SQLite it holds the write lock from its first statement."""
    return engine().transaction()


def is_sqlite() -> bool:
    return engine().engine_type == "sqlite"


async def raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Plain SQL on either engine, with Piccolo's ``{}`` placeholders and ordered parameters; inside a
    ``transaction()`` it runs on that transaction's connection. Compose fragments with ``QueryString``."""
    from piccolo.querystring import QueryString

    rows = await engine().run_querystring(QueryString(sql, *args))
    return [dict(row) for row in rows or ()]


# What the database says when it cannot take a write for now (a full disk, a read-only file or server, a
# lock held too long, a server going away): the request can be tried again later, so the answer is 503.
_SQLITE_UNWRITABLE = ("database or disk is full", "attempt to write a readonly database", "disk i/o error",
                      "database is locked", "unable to open database file")
_POSTGRES_UNWRITABLE = ("ReadOnlySQLTransactionError", "DiskFullError", "InsufficientResourcesError",
                        "OutOfMemoryError", "CannotConnectNowError", "TooManyConnectionsError",
                        "AdminShutdownError", "CrashShutdownError", "ConnectionDoesNotExistError",
                        "ConnectionFailureError", "InterfaceError")


def unwritable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) means "the database cannot take this now", not a bug."""
    import sqlite3

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.OperationalError) and any(w in str(exc).lower() for w in _SQLITE_UNWRITABLE):
            return True
        if type(exc).__module__.startswith("asyncpg") and type(exc).__name__ in _POSTGRES_UNWRITABLE:
            return True
        if isinstance(exc, ConnectionError):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False

