"""Test setup: the environment is fixed here, before anything imports ``server``; then the actors.

``PUSTERUM_TEST_DB=postgres`` runs the same tests against a throwaway PostgreSQL cluster on 127.0.0.1;
otherwise a fresh SQLite file is used. With ``CI=true`` a missing PostgreSQL or Chromium fails the run
instead of skipping.

The actors of our stories are fixtures, each a ready client in the running app: ``patient``,
``staff_member``, ``editor``, ``coordinator`` (linked to the test clinic, ``coordinator.site_id``),
``researcher``, ``admin`` and ``outsider`` (someone the app does not know). A test that needs two of a
kind, or one with other details, or is parametrised by who asks, takes ``actors`` and calls
``await actors.editor("bo@example.org")``, ``await actors.coordinator(sites=[east])`` or
``await actors.new(role)``. Everyone speaks English unless made with ``lang="da"``; accounts share
``support.WORKSPACE_PASSWORD``; ``.account_id``, ``.email``, ``.participant_id`` say who they are::

    async def test_it_refuses_the_dashboard_to_an_editor(editor):
        assert (await editor.get("/workspace/reports")).status_code == 403

Why fixtures, when app.lifespan() cannot live in a yield fixture (pytest-asyncio sets one up and tears
it down in two different tasks, and Litestar's lifespan must be left in the task that entered it)?
Because the lifespan need not live in the fixture's task: ``support.running`` holds it open in a task of
its own, in the test's event loop, for the whole test. That keeps the tests as the conventions promise
(``r = await coordinator.get(…)``, no ``async with`` around every test body, one lifespan however many
actors a test meets) instead of an async context manager per actor that each test must enter.
A test that needs the app stopped before it ends (a command that runs its own event loop) uses
``async with app_client(app)`` instead, as do tests about the door itself (joining, signing in).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
IN_CI = os.environ.get("CI", "").lower() == "true"
WANT_POSTGRES = os.environ.get("PUSTERUM_TEST_DB") == "postgres"

_tmp = tempfile.mkdtemp(prefix="pusterum-test-")
os.environ.update({
    "PUSTERUM_ENV": "development",
    "PUSTERUM_VAR_DIR": _tmp,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests-0123456789",
    "PUSTERUM_CONTENT_DIR": str(ROOT / "content"),
    "BASE_URL": "http://testserver",
    "PICCOLO_CONF": "server.db.piccolo_conf",
    "REMINDER_POLL_SECONDS": "0",  # tests that send reminders drive the sender themselves
    "ROLLUP_REFRESH_SECONDS": "0",  # the dashboard refreshes when opened; no background writer in tests
})
os.environ.pop("DATABASE_URL", None)
os.environ.pop("PUSTERUM_TIME_SCALE", None)

_cluster = None
POSTGRES_PROBLEM: str | None = None
if WANT_POSTGRES:
    from tools.pgtmp import PostgresUnavailable, throwaway_cluster

    try:
        _cluster = throwaway_cluster()
        os.environ["DATABASE_URL"] = _cluster.__enter__()
    except PostgresUnavailable as exc:
        _cluster = None
        POSTGRES_PROBLEM = str(exc)
        if IN_CI:
            raise

from server.lib.i18n import current_language  # noqa: E402
from tests.support import Actor, Actors, app_client, reset_database, running, setup_database  # noqa: E402

# Code run outside a request (validating files, the command line) speaks English, as `pusterum` does;
# every request sets the participant's or editor's own language itself.
current_language.set("en")


def pytest_report_header(config):
    return f"database: {'postgresql (throwaway cluster)' if WANT_POSTGRES else 'sqlite'}"


def pytest_collection_modifyitems(config, items):
    if WANT_POSTGRES and POSTGRES_PROBLEM:
        skip = pytest.mark.skip(reason=f"PostgreSQL not available: {POSTGRES_PROBLEM}")
        for item in items:
            item.add_marker(skip)


def pytest_unconfigure(config):
    if _cluster is not None:
        _cluster.__exit__(None, None, None)


@pytest.fixture(scope="session")
def database():
    if WANT_POSTGRES and POSTGRES_PROBLEM:
        pytest.skip(POSTGRES_PROBLEM)
    asyncio.run(setup_database())
    return True


@pytest.fixture
def db(database):
    """A database with the schema and the repository's content, and no participants or events."""
    asyncio.run(reset_database())
    return database


@pytest.fixture(scope="session")
def app(database):
    from server.app import create_app

    return create_app()


@pytest.fixture
def settings_env(monkeypatch):
    """Settings for one test, as the environment would give them: ``settings_env(LIMIT_EVENTS_PER_MINUTE="50")``.
    Read afresh by everything that calls ``get_settings()``; the usual ones are back after the test."""
    from server.settings import get_settings

    def change(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield change
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def limits_clock(monkeypatch):
    """The limits' clock held half a minute into the middle of an hour, so no window ends during a test
    (a batch that crossed a minute's edge would be counted in two windows)."""
    import time
    import types

    from server.db import limits

    held = time.time() // 3600 * 3600 + 1830
    monkeypatch.setattr(limits, "time", types.SimpleNamespace(time=lambda: held))
    return held


@pytest.fixture
async def actors(app, db):
    """The running app (for the whole test) and the people who use it, made as the test asks."""
    async with running(app):
        cast = Actors(app)
        try:
            yield cast
        finally:
            await cast.aclose()


@pytest.fixture
async def patient(actors) -> Actor:
    """A patient who joined the test clinic's course group, three weeks in."""
    return await actors.patient()


@pytest.fixture
async def staff_member(actors) -> Actor:
    """A nurse who scanned the test hospital's unit code."""
    return await actors.staff_member()


@pytest.fixture
async def editor(actors) -> Actor:
    return await actors.editor()


@pytest.fixture
async def coordinator(actors) -> Actor:
    """A coordinator linked to the test clinic (``coordinator.site_id``)."""
    return await actors.coordinator()


@pytest.fixture
async def researcher(actors) -> Actor:
    return await actors.researcher()


@pytest.fixture
async def admin(actors) -> Actor:
    return await actors.admin()


@pytest.fixture
async def outsider(actors) -> Actor:
    """Someone the app does not know: not signed in, no phone that joined."""
    return await actors.outsider()


__all__ = ["app_client"]
