"""Shared test helpers: database setup, a client for the app, and the actors of our stories."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx


async def setup_database() -> None:
    from server.cli import import_content, migrate

    await migrate()
    status, outcome = await import_content()
    assert status == 0, outcome


async def reset_database() -> None:
    """Everything but the published content goes, child tables first (every table the app has, so a new
    one is emptied too without being listed here)."""
    from piccolo.table import sort_table_classes

    from server.content.services import load_catalog
    from server.content.tables import ContentItem, ContentVersion
    from server.db.piccolo_app import TABLES

    for table in reversed(sort_table_classes([t for t in TABLES if t not in (ContentItem, ContentVersion)])):
        await table.delete(force=True)
    await load_catalog()


@contextlib.asynccontextmanager
async def app_client(app) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with its lifespan, in this test's event loop (no second thread)."""
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     follow_redirects=False) as client:
            yield client


def phone(app, **headers: str) -> httpx.AsyncClient:
    """Another browser or phone, in the lifespan of the ``app_client`` already open."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             follow_redirects=False, headers=headers)


WORKSPACE_PASSWORD = "a lighthouse keeper's long notebook"


async def sign_in(client: httpx.AsyncClient, email: str, roles: tuple[str, ...]) -> int:
    """A workspace account with these roles, signed in on this client (in English); returns its id."""
    from server.accounts import services as accounts

    account_id = await accounts.create_account(email, WORKSPACE_PASSWORD, roles)
    form = await client.get("/workspace/login")
    response = await client.post("/workspace/login", data={"_csrf_token": csrf_token(form.text), "email": email,
                                                           "password": WORKSPACE_PASSWORD})
    assert response.status_code == 303
    client.headers["accept-language"] = "en"
    return account_id


def csrf_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


async def make_invite(*, group_started_weeks_ago: int | None = 3, expires_in: timedelta | None = None,
                      max_uses: int | None = None, revoked: bool = False, kind: str = "patient",
                      site_slug: str = "test-site") -> str:
    from server.participants import services
    from server.participants.tables import InviteCode

    site_id = await services.ensure_site(site_slug, "Test clinic", "0101")
    group_id = None
    if group_started_weeks_ago is not None:
        group_id = await services.ensure_group(site_id, f"{site_slug}-group", "Test group", "mbsr-8-weeks",
                                               date.today() - timedelta(weeks=group_started_weeks_ago))
    expires_at = datetime.now(UTC) + expires_in if expires_in is not None else None
    code = await services.create_invite(kind=kind, site_id=site_id, course_group_id=group_id,
                                        expires_at=expires_at, max_uses=max_uses)
    if revoked:
        await InviteCode.update({InviteCode.revoked_at: datetime.now(UTC)}).where(
            InviteCode.code_hash == services.hash_code(code))
    return code


async def enrol(client: httpx.AsyncClient, code: str | None = None, lang: str = "da",
                municipality: str | None = "0101") -> uuid.UUID:
    """Walks the join flow as a patient would and returns her participant id."""
    from server.participants.tables import Participant

    code = code or await make_invite()
    page = await client.get(f"/j/{code}/consent", params={"lang": lang})
    assert page.status_code == 200, page.text
    before = {r["id"] for r in await Participant.select(Participant.id)}
    response = await client.post(f"/j/{code}", data={"_csrf_token": csrf_token(page.text), "lang": lang,
                                                     "consent": "yes"})
    assert response.status_code == 303, response.text
    (participant_id,) = {r["id"] for r in await Participant.select(Participant.id)} - before
    if municipality is not None:
        page = await client.get("/welcome/municipality")
        response = await client.post("/welcome/municipality", data={
            "_csrf_token": csrf_token(page.text), "municipality": municipality})
        assert response.status_code == 303
    return participant_id


def exercise_version(slug: str) -> int:
    from server.content.catalog import get_catalog

    return get_catalog().exercises[slug]["version_id"]


def event(type_: str, **fields) -> dict:
    body = {"id": str(uuid.uuid4()), "type": type_, "occurred_at": datetime.now(UTC).isoformat(), **fields}
    return body


API_HEADERS = {"X-Pusterum": "1", "Content-Type": "application/json"}


async def post_events(client: httpx.AsyncClient, events: list[dict], sent_at: str | None = None) -> httpx.Response:
    body: dict = {"events": events}
    if sent_at is not None:
        body["sent_at"] = sent_at
    return await client.post("/api/events", json=body, headers=API_HEADERS)


async def make_staff_code(unit_slug: str = "test-unit") -> str:
    from server.participants import services

    site_id = await services.ensure_site("test-hospital", "Test hospital", "0101")
    unit_id = await services.ensure_unit(site_id, unit_slug, f"Unit {unit_slug}")
    return await services.create_invite(kind="staff", site_id=site_id, unit_id=unit_id)


async def enrol_staff(client: httpx.AsyncClient, code: str | None = None, lang: str = "da") -> uuid.UUID:
    """Walks the staff door (/u/<unit code>) as a nurse would after scanning the QR code."""
    from server.participants.tables import Participant

    code = code or await make_staff_code()
    page = await client.get(f"/u/{code}/consent", params={"lang": lang})
    assert page.status_code == 200, page.text
    before = {r["id"] for r in await Participant.select(Participant.id)}
    response = await client.post(f"/u/{code}", data={"_csrf_token": csrf_token(page.text), "lang": lang,
                                                     "consent": "yes"})
    assert response.status_code == 303 and response.headers["location"] == "/pause", response.text
    (participant_id,) = {r["id"] for r in await Participant.select(Participant.id)} - before
    return participant_id
