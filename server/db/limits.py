"""Counting against limits in the database, so every process and every instance shares one count.

A count lives in ``rate_count``, one row per (kind, key, fixed window): ``slot`` names all three. Taking
``k`` from several limits at once is one statement on either engine, an upsert that adds ``k`` and returns
the new totals (``INSERT … ON CONFLICT (slot) DO UPDATE SET n = n + excluded.n RETURNING``; SQLite ≥ 3.35).
It runs inside the caller's write transaction, before what it guards is written: when a total is over
its limit the caller rolls back, so a refusal neither counts nor stores anything. Concurrency comes from
the transaction: SQLite's write lock (``BEGIN IMMEDIATE``) serialises the upserts; on PostgreSQL the
upsert locks the slot's row until the transaction ends, so the next one reads the committed total.

The count runs on whatever connection the caller writes with: Piccolo's transaction (``take``), the event
writer's own SQLite connection (``take_sqlite``) or an asyncpg connection (``take_pg``). Windows are fixed
(aligned to the epoch), so a window's end is also when to try again. Rows of past windows are deleted by
``prune``, which each process runs now and then.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns import BigInt, Integer, Varchar
from piccolo.table import Table


class RateCount(Table, tablename="rate_count"):
    slot = Varchar(length=100, unique=True)  # "<kind>:<key>:<window start, epoch seconds>"
    n = Integer(default=0)
    until = BigInt(index=True)  # the window's end (epoch seconds): Retry-After, and when the row may go


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``most`` per ``seconds`` for one ``key`` (a participant, a code, a hashed address)."""

    kind: str
    key: str
    most: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Over:
    """The limit a request would go over, and how long until its window ends."""

    kind: str
    retry_after: int


def _slots(limits: Sequence[Limit], now: float) -> list[tuple[str, int]]:
    slots = []
    for limit in limits:
        start = int(now) // limit.seconds * limit.seconds
        slots.append((f"{limit.kind}:{limit.key}:{start}", start + limit.seconds))
    return slots


def _upsert(rows: int, mark: Callable[[int], str]) -> str:
    values = ", ".join(f"({mark(3 * i + 1)}, {mark(3 * i + 2)}, {mark(3 * i + 3)})" for i in range(rows))
    return (f"INSERT INTO rate_count (slot, n, until) VALUES {values} "  # noqa: S608 (placeholders only)
            "ON CONFLICT (slot) DO UPDATE SET n = rate_count.n + excluded.n RETURNING slot, n")


def _params(slots: list[tuple[str, int]], k: int) -> list[Any]:
    return [value for slot, until in slots for value in (slot, k, until)]


def _first_over(limits: Sequence[Limit], slots: list[tuple[str, int]], totals: dict[str, int], k: int,
                now: float) -> Over | None:
    for limit, (slot, until) in zip(limits, slots, strict=True):
        # A request larger than the limit itself can never pass: say so as the longest wait there is.
        if totals.get(slot, k) > limit.most:
            return Over(limit.kind, max(1, int(until - now + 0.999)))
    return None


async def take(limits: Sequence[Limit], k: int = 1, now: float | None = None) -> Over | None:
    """Counts ``k`` against each limit inside the current ``db.transaction()``; the caller rolls back
    (raises) when this returns an ``Over``."""
    from server import db

    now = time.time() if now is None else now
    slots = _slots(limits, now)
    rows = await db.raw(_upsert(len(slots), lambda _i: "{}"), *_params(slots, k))
    return _first_over(limits, slots, {r["slot"]: r["n"] for r in rows}, k, now)


def take_sqlite(conn: sqlite3.Connection, limits: Sequence[Limit], k: int, now: float | None = None) -> Over | None:
    """The same on a raw SQLite connection that holds the write lock (the event writer's)."""
    now = time.time() if now is None else now
    slots = _slots(limits, now)
    rows = conn.execute(_upsert(len(slots), lambda _i: "?"), _params(slots, k)).fetchall()
    return _first_over(limits, slots, dict(rows), k, now)


async def take_pg(conn: Any, limits: Sequence[Limit], k: int, now: float | None = None) -> Over | None:
    """The same on an asyncpg connection, inside its transaction."""
    now = time.time() if now is None else now
    slots = _slots(limits, now)
    rows = await conn.fetch(_upsert(len(slots), lambda i: f"${i}"), *_params(slots, k))
    return _first_over(limits, slots, {r["slot"]: r["n"] for r in rows}, k, now)


async def prune(now: float | None = None) -> int:
    """Deletes the counts of windows that have ended; returns how many."""
    now = time.time() if now is None else now
    gone = await RateCount.delete().where(RateCount.until <= int(now)).returning(RateCount.id)
    return len(gone)
