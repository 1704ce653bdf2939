"""Writing event batches: the one hot write path, in plain parameterised SQL for each engine.

Piccolo builds a query object per row, which cost ~5 ms for a batch of 50 (measured); here a batch is
one transaction with one multi-row statement. SQLite gets one long-lived connection on its own thread,
which also serialises this process's writers without an asyncio lock; PostgreSQL uses the pool and
``unnest`` arrays. Both give the same answer: how many rows were new, or which ids clash.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from server import db
from server.db import limits
from server.db.connections import begin_immediate, sqlite_connection

COLUMNS = ("id", "participant", "type", "content_version", "occurred_at", "received_at", "step", "seconds",
           "rating", "comment", "clock_suspect", "fingerprint", "stress_before", "stress_after", "score",
           "answers", "day")
# The staff e-learning's check answers (issue 17): written by this writer only; the demo's bulk loader
# writes COLUMNS, so these stay empty there.
LEARNING_COLUMNS = ("check_question", "check_option", "correct")
_WRITTEN = COLUMNS + LEARNING_COLUMNS
# Built once from the constant column list above; values always travel as parameters. SQLITE_INSERT is
# also the demo-data loader's statement (which knows every id is new), _SQLITE_INSERT this writer's.
SQLITE_INSERT = f"INSERT INTO event ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
_SQLITE_INSERT = (f"INSERT INTO event ({', '.join(_WRITTEN)}) VALUES ({', '.join('?' * len(_WRITTEN))})"  # noqa: S608
                  " ON CONFLICT(id) DO NOTHING")
_SQLITE_HELD = "SELECT id, participant, fingerprint FROM event WHERE id IN (SELECT value FROM json_each(?))"
_PG_INSERT = (
    f"INSERT INTO event ({', '.join(_WRITTEN)}) SELECT * FROM unnest("  # noqa: S608
    "$1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::int[], "
    "$8::int[], $9::int[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[], $15::int[], "
    "$16::jsonb[], $17::date[], $18::text[], $19::text[], $20::bool[]) "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)
_PG_HELD = "SELECT id, participant, fingerprint FROM event WHERE id = ANY($1::uuid[])"


class Row(msgspec.Struct, frozen=True, gc=False):
    """One event as stored; what each type carries is written down in ``schemas.REQUIRED``.

    A Struct rather than a dataclass: a batch makes up to 500 of these on the hot path, and a Struct is
    built several times faster than a frozen dataclass (measured: 0.4 µs against 2.3 µs).
    """

    id: uuid.UUID
    type: str
    content_version: int | None
    occurred_at: datetime
    day: date  # occurred_at's Copenhagen date
    fingerprint: str
    step: int | None = None
    seconds: int | None = None
    rating: int | None = None
    comment: str | None = None
    stress_before: int | None = None
    stress_after: int | None = None
    score: int | None = None  # the server's score of ``answers``
    answers: tuple[int, ...] | None = None
    clock_suspect: str | None = None
    check_question: str | None = None  # check_answered: the question's id within the lesson
    check_option: str | None = None  # check_answered: the option she chose
    correct: bool | None = None  # check_answered: judged by the server against the lesson version she read
    # ``received_at_str(occurred_at)`` when the ingest made it already (the SQLite writer's text).
    occurred_text: str | None = None

    @property
    def answers_json(self) -> str | None:
        return None if self.answers is None else json.dumps(list(self.answers))


@dataclass(slots=True)
class Outcome:
    status: str  # ok | unknown_participant | withdrawn | conflict | limited
    stored: int = 0
    clashes: list[uuid.UUID] = field(default_factory=list)
    over: limits.Over | None = None  # limited: which limit, and for how long


class SQLiteEventStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pusterum-events")
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite_connection(self.path, "writer")
        return conn

    def _write(self, participant_id: uuid.UUID, rows: Sequence[Row], received_at: datetime,
               counted: Sequence[limits.Limit]) -> Outcome:
        conn = self._connection()
        pid = str(participant_id)
        begin_immediate(conn)
        try:
            who = conn.execute("SELECT withdrawn_at FROM participant WHERE id = ?", (pid,)).fetchone()
            if who is None or who[0] is not None:
                conn.execute("ROLLBACK")
                return Outcome("unknown_participant" if who is None else "withdrawn")
            if counted and (over := limits.take_sqlite(conn, counted, len(rows))):
                conn.execute("ROLLBACK")  # the count too: a refused batch uses nothing up
                return Outcome("limited", over=over)
            before = conn.total_changes
            received = received_at_str(received_at)  # once: every row of a batch shares it
            ids = msgspec.to_builtins([r.id for r in rows])  # UUIDs as text, in C: str() is Python code
            conn.executemany(
                _SQLITE_INSERT,
                [(i, pid, r.type, r.content_version, r.occurred_text or received_at_str(r.occurred_at), received,
                  r.step, r.seconds, r.rating, r.comment, r.clock_suspect, r.fingerprint, r.stress_before,
                  r.stress_after, r.score, r.answers_json, r.day.isoformat(), r.check_question,
                  r.check_option, r.correct)
                 for i, r in zip(ids, rows, strict=True)])
            stored = conn.total_changes - before
            clashes: list[uuid.UUID] = []
            if stored < len(rows):
                prints = {str(r.id): r.fingerprint for r in rows}
                held = conn.execute(_SQLITE_HELD, (json.dumps(list(prints)),)).fetchall()
                clashes = [uuid.UUID(i) for i, p, f in held if p != pid or f != prints[i]]
            if clashes:
                conn.execute("ROLLBACK")
                return Outcome("conflict", clashes=clashes)
            conn.execute("COMMIT")
            return Outcome("ok", stored=stored)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def write(self, participant_id: uuid.UUID, rows: Sequence[Row], received_at: datetime,
                    counted: Sequence[limits.Limit] = ()) -> Outcome:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._write, participant_id, rows, received_at, counted)

    def _probe(self) -> None:
        conn = self._connection()
        begin_immediate(conn)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version)}")  # the header page is written again
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    async def probe(self) -> None:
        """Raises unless this writer can write now: a read-only file or a full disk refuses even this."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._probe)


def received_at_str(value: datetime) -> str:
    """The representation Piccolo's SQLite adapter uses (``piccolo.engine.sqlite.convert_datetime_in``:
    UTC, ``str()``), so both paths store identical text; written out here because it runs for every row."""
    return str(value.astimezone(UTC) if value.tzinfo is not None else value)


class PostgresEventStore:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    async def write(self, participant_id: uuid.UUID, rows: Sequence[Row], received_at: datetime,
                    counted: Sequence[limits.Limit] = ()) -> Outcome:
        pool = self.engine.pool
        if pool is not None:
            async with pool.acquire() as conn:
                return await self._write(conn, participant_id, rows, received_at, counted)
        conn = await self.engine.get_new_connection()
        try:
            return await self._write(conn, participant_id, rows, received_at, counted)
        finally:
            await conn.close()

    async def probe(self) -> None:
        """Raises unless a transaction here may write (a standby or ``default_transaction_read_only`` may not)."""
        rows = await db.raw("SHOW transaction_read_only")
        if not rows or rows[0].get("transaction_read_only") != "off":
            raise ReadOnly("PostgreSQL answers read-only")

    @staticmethod
    async def _write(conn: Any, participant_id: uuid.UUID, rows: Sequence[Row], received_at: datetime,
                     counted: Sequence[limits.Limit]) -> Outcome:
        async with conn.transaction():
            # FOR SHARE: a withdrawal running at the same moment waits for this batch, or this batch sees it.
            who = await conn.fetchrow("SELECT withdrawn_at FROM participant WHERE id = $1 FOR SHARE", participant_id)
            if who is None or who["withdrawn_at"] is not None:
                return Outcome("unknown_participant" if who is None else "withdrawn")
            if counted and (over := await limits.take_pg(conn, counted, len(rows))):
                raise _Limited(over)  # leaving the block with an exception rolls the count back
            inserted = await conn.fetch(
                _PG_INSERT,
                [r.id for r in rows], [participant_id] * len(rows), [r.type for r in rows],
                [r.content_version for r in rows], [r.occurred_at for r in rows], [received_at] * len(rows),
                [r.step for r in rows], [r.seconds for r in rows], [r.rating for r in rows],
                [r.comment for r in rows], [r.clock_suspect for r in rows], [r.fingerprint for r in rows],
                [r.stress_before for r in rows], [r.stress_after for r in rows], [r.score for r in rows],
                [r.answers_json for r in rows], [r.day for r in rows], [r.check_question for r in rows],
                [r.check_option for r in rows], [r.correct for r in rows])
            if len(inserted) == len(rows):
                return Outcome("ok", stored=len(rows))
            prints = {r.id: r.fingerprint for r in rows}
            held = await conn.fetch(_PG_HELD, list(prints))
            clashes = [h["id"] for h in held
                       if h["participant"] != participant_id or h["fingerprint"] != prints[h["id"]]]
            if clashes:
                # Leaving the block with an exception is what rolls an asyncpg transaction back.
                raise _Clash(clashes)
            return Outcome("ok", stored=len(inserted))


class ReadOnly(ConnectionError):
    """The database answers, but would refuse a write (``server.db.unwritable`` counts it as unwritable)."""


class _Clash(Exception):
    def __init__(self, clashes: list[uuid.UUID]) -> None:
        self.clashes = clashes


class _Limited(Exception):
    def __init__(self, over: limits.Over) -> None:
        self.over = over


_store: SQLiteEventStore | PostgresEventStore | None = None


def event_store() -> SQLiteEventStore | PostgresEventStore:
    global _store
    if _store is None:
        engine = db.engine()
        if engine.engine_type == "sqlite":
            _store = SQLiteEventStore(engine.connection_kwargs["database"])
        else:
            _store = PostgresEventStore(engine)
    return _store


async def write_batch(participant_id: uuid.UUID, rows: Sequence[Row], received_at: datetime,
                      counted: Sequence[limits.Limit] = ()) -> Outcome:
    """Stores a batch in one transaction; ``counted`` are the limits its events count against, taken in
    the same transaction first, so a batch over one of them stores nothing and counts nothing."""
    try:
        return await event_store().write(participant_id, rows, received_at, counted)
    except _Clash as clash:
        return Outcome("conflict", clashes=clash.clashes)
    except _Limited as limited:
        return Outcome("limited", over=limited.over)
