"""Read-only queries that run often (the reports): on SQLite, a few long-lived connections of their own.

Piccolo opens a new SQLite connection (and thread) for every query, so each dashboard query started with
an empty page cache. The reports read the same rollups over and over, so they keep up to ``WORKERS``
connections, each on its own thread with a large cache and memory-mapped reads; every query is its own
read transaction and sees what was committed before it began. PostgreSQL uses Piccolo's pool.
Queries are written with Piccolo's ``{}`` placeholders either way.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from server.db import engine, raw
from server.db.connections import sqlite_connection

WORKERS = 3  # the dashboard runs five or six queries at once; two CPUs here


class _SQLiteReaders:
    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pusterum-reads")
        self._local = threading.local()

    def _run(self, query: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite_connection(self.path, "reader")
        cursor = conn.execute(query.replace("{}", "?"), args)
        return [dict(row) for row in cursor.fetchall()]

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, query, args)


_readers: _SQLiteReaders | None = None


async def fetch(query: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as dictionaries. On SQLite, dates come back as ISO text and ids as text."""
    global _readers
    db = engine()
    if db.engine_type != "sqlite":
        return await raw(query, *args)
    path = db.connection_kwargs["database"]
    if _readers is None or _readers.path != path:
        _readers = _SQLiteReaders(path)
    return await _readers.fetch(query, *args)
