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
