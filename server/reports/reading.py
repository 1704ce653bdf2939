"""Running the reports' read queries: on SQLite, on a few long-lived connections of their own.

Piccolo opens a new SQLite connection (and thread) for every query, so each dashboard query started with
an empty page cache. The reports read the same rollups over and over, so they keep up to ``WORKERS``
connections, each on its own thread with a large cache and memory-mapped reads; every query is its own
read transaction and sees what was committed before it began. PostgreSQL keeps using Piccolo's pool.
Queries are written with Piccolo's ``{}`` placeholders either way.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from server.engagement.tables import Event

WORKERS = 3  # the dashboard runs five or six queries at once; two CPUs here
CACHE_KIB = 64 * 1024
MMAP_BYTES = 256 * 1024 * 1024


class _SQLiteReaders:
    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pusterum-reports")
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")  # these connections never write
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def _run(self, query: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        cursor = self._connection().execute(query.replace("{}", "?"), args)
        return [dict(row) for row in cursor.fetchall()]

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, query, args)


_readers: _SQLiteReaders | None = None


async def fetch(query: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as dictionaries. On SQLite, dates come back as ISO text and ids as text."""
    global _readers
    engine = Event._meta.db
    if engine.engine_type != "sqlite":
        return await Event.raw(query, *args)
    path = engine.connection_kwargs["database"]
    if _readers is None or _readers.path != path:
        _readers = _SQLiteReaders(path)
    return await _readers.fetch(query, *args)
