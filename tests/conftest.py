"""Test setup: the environment is fixed here, before anything imports ``server``.

``PUSTERUM_TEST_DB=postgres`` runs the same tests against a throwaway PostgreSQL cluster on 127.0.0.1;
otherwise a fresh SQLite file is used. With ``CI=true`` a missing PostgreSQL or Chromium fails the run
instead of skipping.
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
from tests.support import app_client, reset_database, setup_database  # noqa: E402

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


__all__ = ["app_client"]
