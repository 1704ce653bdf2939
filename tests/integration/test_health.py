"""Health that tells the truth: /healthz says the process lives, /readyz whether the database takes writes;
a write the database cannot take now is a 503 with Retry-After, and nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from server import db
from server.engagement.store import event_store
from server.engagement.tables import Event
from tests.support import event, exercise_version, post_events


async def _on_writer(sql: str) -> None:
    """Runs ``sql`` on the SQLite event writer's own connection (a PRAGMA is per connection)."""
    store = event_store()
    await asyncio.get_running_loop().run_in_executor(store._executor, lambda: store._connection().execute(sql))


async def _postgres_read_only(on: bool) -> None:
    engine = db.engine()
    conn = await engine.get_new_connection()
    try:  # a session of its own, which may write even when new sessions may not
        await conn.execute("SET default_transaction_read_only = off")
        name = await conn.fetchval("SELECT current_database()")
        await conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if on else "off"}')
    finally:
        await conn.close()
    if engine.pool is not None:  # the setting reaches new sessions only
        await engine.close_connection_pool()
        await engine.start_connection_pool(min_size=2, max_size=20)


@contextlib.asynccontextmanager
async def refusing_writes(kind: str) -> AsyncIterator[None]:
    """The database stops taking writes: a read-only file or server, or (SQLite) a disk with no room left."""
    if not db.is_sqlite():
        await _postgres_read_only(True)
        try:
            yield
        finally:
            await _postgres_read_only(False)
        return
    if kind == "full":
        await _on_writer("VACUUM")  # no free pages inside the file: new rows need the file to grow
        pages = (await db.raw("PRAGMA page_count"))[0]["page_count"]
        await _on_writer(f"PRAGMA max_page_count = {pages}")
    else:
        await _on_writer("PRAGMA query_only = ON")
    try:
        yield
    finally:
        await _on_writer("PRAGMA max_page_count = 1073741823" if kind == "full" else "PRAGMA query_only = OFF")


async def test_the_process_and_the_database_are_ready(app, patient):
    assert (await patient.get("/healthz")).json() == {"status": "ok"}
    ready = await patient.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_a_read_only_database_is_not_ready_while_the_process_is_alive(app, patient):
    async with refusing_writes("read_only"):
        ready = await patient.get("/readyz")
        alive = await patient.get("/healthz")
    assert ready.status_code == 503 and ready.headers["retry-after"] == "30"
    assert alive.status_code == 200
    assert (await patient.get("/readyz")).status_code == 200  # and ready again once it takes writes


@pytest.mark.parametrize("kind", ["full", "read_only"])
async def test_events_that_cannot_be_written_get_503_and_arrive_once_when_resent(app, patient, kind):
    version = exercise_version("breathing-space-3")
    # Enough text to need new pages: a full disk refuses them.
    batch = [event("rating_given", exercise_version=version, rating=4, comment=f"{i} " + "rolig " * 60)
             for i in range(300)]
    async with refusing_writes(kind):
        refused = await post_events(patient, batch)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "30" and "Nothing is lost" in refused.json()["error"]
    assert await Event.count() == 0
    resent = await post_events(patient, batch)  # the outbox kept them and tries again
    assert resent.status_code == 200 and resent.json()["stored"] == 300
    assert await Event.count() == 300


@pytest.mark.parametrize("path", ["/static/css%00app.css", "/static/" + "a" * 5000, "/static/js/" + "b" * 300 + ".js"])
async def test_a_static_name_no_file_can_have_is_not_found(app, outsider, path):
    response = await outsider.get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.text
