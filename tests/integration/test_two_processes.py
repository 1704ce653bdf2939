"""A busy clinic on the embedded database, as deployed: two worker processes on one SQLite file, new
patients joining while phones send their events and a researcher opens the dashboard (which folds new
events into the rollups: a write). Nobody gets an error, and every acknowledged event is stored once.

The full version, with more of everything for a minute and PostgreSQL behind nginx too, is ``make soak``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from bench.servers import App
from tests.conftest import WANT_POSTGRES

pytestmark = pytest.mark.skipif(WANT_POSTGRES, reason="about SQLite shared by processes")
JOINING, PHONES, BATCHES, LOOKS = 12, 6, 4, 4
EMAIL, PASSWORD = "researcher@example.org", f"two processes {secrets.token_hex(8)}"
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def served() -> Iterator[App]:
    app = App(workers=2)
    try:
        app.prepare()
        made = app.cli("users", "create", "--email", EMAIL, "--role", "researcher", "--password-stdin",
                       stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
        app.start()
        yield app
    finally:
        app.stop()
        app.remove_var_dir()


async def _join(client: httpx.AsyncClient, code: str) -> int:
    page = await client.get(f"/j/{code}/consent", params={"lang": "da"})
    token = TOKEN.search(page.text)
    assert token, page.text[:300]
    done = await client.post(f"/j/{code}", data={"_csrf_token": token.group(1), "lang": "da", "consent": "yes"})
    return done.status_code


def _batch() -> dict:
    now = datetime.now(UTC).isoformat()
    return {"events": [{"id": str(uuid.uuid4()), "type": "app_opened", "occurred_at": now} for _ in range(50)]}


async def _phone(url: str, code: str) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        assert await _join(client, code) == 303
        return [(await client.post("/api/events", json=_batch(),
                                   headers={"X-Pusterum": "1"})).status_code for _ in range(BATCHES)]


async def _newcomer(url: str, code: str) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return await _join(client, code)


async def _researcher(url: str) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        form = await client.get("/workspace/login")
        token = TOKEN.search(form.text)
        assert token
        signed = await client.post("/workspace/login", data={"_csrf_token": token.group(1), "email": EMAIL,
                                                             "password": PASSWORD})
        assert signed.status_code == 303, signed.text[:300]
        return [(await client.get("/workspace/reports")).status_code for _ in range(LOOKS)]


def _count(app: App, sql: str) -> int:
    with sqlite3.connect(app.var_dir / "pusterum.sqlite3") as conn:
        return conn.execute(sql).fetchone()[0]


async def test_two_processes_share_one_sqlite_file_without_an_error(served):
    url, code = served.url, served.invite_code
    before = _count(served, "SELECT count(*) FROM participant")
    phones = [asyncio.create_task(_phone(url, code)) for _ in range(PHONES)]
    looks = asyncio.create_task(_researcher(url))
    joined = await asyncio.gather(*(_newcomer(url, code) for _ in range(JOINING)))
    synced = await asyncio.gather(*phones)
    assert joined == [303] * JOINING
    assert synced == [[200] * BATCHES] * PHONES
    assert await looks == [200] * LOOKS
    assert _count(served, "SELECT count(*) FROM participant") == before + JOINING + PHONES
    assert _count(served, "SELECT count(*) FROM event WHERE type = 'app_opened'") == PHONES * BATCHES * 50
    assert "Traceback" not in served.log_tail(200_000)
