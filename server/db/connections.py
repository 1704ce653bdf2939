"""Every way into the database starts here: the Piccolo engine, raw SQLite connections and their PRAGMAs.

Two rules live here so that no call site has to remember them:

* **A SQLite transaction takes the write lock first** (``BEGIN IMMEDIATE``). A deferred transaction that
  has read cannot upgrade its lock once another connection has committed: SQLite answers "database is
  locked" at once and the busy timeout does not help. Taking the lock at ``BEGIN`` makes a writer wait its
  turn (up to ``BUSY_SECONDS``) instead. Reads outside a transaction are not affected, and the reports
  read through connections of their own (``server.db.readers``).
* **PRAGMAs are set in one place** (``sqlite_connection``) for each kind of raw connection: the event
  writer's, the report readers' and the bulk loader's.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Literal

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import Atomic as SQLiteAtomic
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from server.settings import Settings

BUSY_SECONDS = 30  # how long a writer waits for another writer before giving up
READ_CACHE_KIB = 64 * 1024
READ_MMAP_BYTES = 256 * 1024 * 1024
BULK_CACHE_KIB = 256 * 1024  # 256 MB for the demo-data loader: more was measured no faster
# Pages the WAL may hold before a commit on this connection copies them back (SQLite's default is 1000).
# A batch of random event ids dirties ~50 index pages; checkpointing ten times less often copies each
# page back once for many commits: 20-30 % less time per 50-event batch at 100k rows (measured).
WRITER_AUTOCHECKPOINT_PAGES = 10_000


class ImmediateSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, whose transactions begin IMMEDIATE unless a caller asks otherwise."""

    def transaction(self, transaction_type: TransactionType = TransactionType.immediate,
                    allow_nested: bool = True) -> SQLiteTransaction:
        return super().transaction(transaction_type=transaction_type, allow_nested=allow_nested)

    def atomic(self, transaction_type: TransactionType = TransactionType.immediate) -> SQLiteAtomic:
        return super().atomic(transaction_type=transaction_type)


def make_engine(settings: Settings) -> Engine:
    if settings.is_postgres:
        return PostgresEngine(config={"dsn": settings.database_url})
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    # timeout is sqlite3's busy timeout: a writer waits for the lock instead of failing at once.
    return ImmediateSQLiteEngine(path=str(settings.sqlite_path), timeout=BUSY_SECONDS)


Purpose = Literal["writer", "reader", "bulk"]


def sqlite_connection(path: str | Path, purpose: Purpose) -> sqlite3.Connection:
    """A long-lived connection outside Piccolo, in autocommit mode (transactions are begun explicitly).

    * ``writer``: the event log's own writer thread; it waits for the lock itself (``begin_immediate``),
      since SQLite's busy handler sleeps in steps of up to 100 ms (a p99 of 600 ms with two processes).
    * ``reader``: the reports' read pool; never writes, large cache, memory-mapped reads.
    * ``bulk``: the demo-data loader, which checks its own foreign keys and holds the lock for a while.
    """
    timeout = {"writer": 0, "reader": BUSY_SECONDS, "bulk": 2 * BUSY_SECONDS}[purpose]
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    if purpose == "reader":
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")
        conn.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")
        conn.row_factory = sqlite3.Row
        return conn
    # WAL (set by ``prepare``) makes NORMAL durable against application crashes; it skips an fsync per commit.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}")
    if purpose == "bulk":
        conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        # Every row's participant and content version were made or read just before: no check per row.
        conn.execute("PRAGMA foreign_keys = OFF")
    else:
        conn.execute("PRAGMA foreign_keys = ON")
    return conn


def begin_immediate(conn: sqlite3.Connection, patience: float = BUSY_SECONDS) -> None:
    """Take SQLite's write lock on a raw connection, retrying every half millisecond while another holds it."""
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.0005)


async def prepare(engine: Engine) -> None:
    """Once per start: WAL lets readers go on while one writer writes (it is stored in the file)."""
    if engine.engine_type == "sqlite":
        await engine.run_ddl("PRAGMA journal_mode=WAL")
