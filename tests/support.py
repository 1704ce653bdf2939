"""Shared test helpers: database setup, a client for the app, and the actors of our stories."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Sequence
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


class Actor(httpx.AsyncClient):
    """One person's browser or phone in the running app, and what a test may need to know about her."""

    role = "outsider"
    email: str | None = None
    account_id: int | None = None
    site_ids: tuple[int, ...] = ()  # a coordinator's linked sites
    participant_id: uuid.UUID | None = None

    @property
    def site_id(self) -> int:
        """Her site (a coordinator linked to exactly one)."""
        (site_id,) = self.site_ids
        return site_id


def phone(app, **headers: str) -> Actor:
    """Another browser or phone, nobody's yet, in the lifespan of the app already running."""
    return Actor(transport=httpx.ASGITransport(app=app), base_url="http://testserver", follow_redirects=False,
                 headers=headers)


@contextlib.asynccontextmanager
async def running(app) -> AsyncIterator[None]:
    """The app's lifespan, held open in a task of its own so that it is entered and left in one task.

    pytest-asyncio runs a yield fixture's setup and its teardown in two different tasks, and
    ``app.lifespan()`` (anyio's task group in Litestar's event emitter) must be left in the task that
    entered it. The task runs in the test's own event loop, so clients made meanwhile call the app there.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    holder = asyncio.create_task(hold())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({holder, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if holder.done():  # the app did not start: say why rather than wait for ever
        waiting.cancel()
        holder.result()
    try:
        yield
    finally:
        stop.set()
        await holder


WORKSPACE_PASSWORD = "a lighthouse keeper's long notebook"


class Actors:
    """The people of our stories, each made on demand as a ready client in the running app.

    Every one speaks English unless told otherwise; each call makes a new person (a new account with its
    own e-mail address, or a new participant), and every client is closed when the test ends.
    """

    def __init__(self, app) -> None:
        self.app = app
        self._made: list[Actor] = []
        self._accounts = itertools.count(1)

    def _client(self, role: str, lang: str) -> Actor:
        client = phone(self.app, **{"accept-language": lang})
        client.role = role
        self._made.append(client)
        return client

    async def new(self, role: str, *args, **details) -> Actor:
        """The actor named by ``role`` (``"researcher"``, ``"staff_member"``…): for tests parametrised by who asks."""
        return await getattr(self, role)(*args, **details)

    async def outsider(self, *, lang: str = "en") -> Actor:
        """Someone the app does not know: no account, no phone that joined; a stranger who found the address."""
        return self._client("outsider", lang)

    async def patient(self, code: str | None = None, *, lang: str = "en", municipality: str | None = "0101") -> Actor:
        """A patient who joined with ``code`` (by default a new invite to the test clinic's course group)."""
        client = self._client("patient", lang)
        client.participant_id = await enrol(client, code, lang=lang, municipality=municipality)
        return client

    async def staff_member(self, code: str | None = None, *, lang: str = "en") -> Actor:
        """A nurse who scanned her unit's code (by default the test hospital's test unit)."""
        client = self._client("staff_member", lang)
        client.participant_id = await enrol_staff(client, code, lang=lang)
        return client

    async def partner(self, *, lang: str = "en", site_slug: str | None = None) -> Actor:
        """A patient's partner who joined through her link (her site's partners switched on for it). The
        patient who sent it is ``.invited_by``, a client of her own."""
        await allow_partners(site_slug or TEST_SITE)
        she = await self.patient(await make_invite(site_slug=site_slug or TEST_SITE))
        client = self._client("partner", lang)
        client.participant_id = await enrol_partner(client, link_code((await partner_link(she)).text), lang=lang)
        client.invited_by = she
        return client

    async def account(self, *roles: str, email: str | None = None, lang: str = "en") -> Actor:
        """Someone signed in to the workspace with an account that has these roles."""
        from server.accounts import services as accounts

        client = self._client("+".join(roles), lang)
        client.email = email or f"{'-'.join(roles)}-{next(self._accounts)}@example.org"
        client.account_id = await accounts.create_account(client.email, WORKSPACE_PASSWORD, roles)
        form = await client.get("/workspace/login")
        response = await client.post("/workspace/login", data={
            "_csrf_token": csrf_token(form.text), "email": client.email, "password": WORKSPACE_PASSWORD})
        assert response.status_code == 303 and response.headers["location"] == "/workspace", response.text
        return client

    async def editor(self, email: str | None = None, *, lang: str = "en") -> Actor:
        return await self.account("editor", email=email, lang=lang)

    async def researcher(self, email: str | None = None, *, lang: str = "en") -> Actor:
        return await self.account("researcher", email=email, lang=lang)

    async def admin(self, email: str | None = None, *, lang: str = "en") -> Actor:
        return await self.account("admin", email=email, lang=lang)

    async def coordinator(self, email: str | None = None, *, sites: Sequence[int] | None = None,
                          lang: str = "en") -> Actor:
        """A coordinator linked, as an admin would link her, to ``sites``: by default to the test clinic
        (the site ``make_invite()`` and ``patient()`` use); ``sites=[]`` for one with none yet."""
        from server.accounts import services as accounts
        from server.participants import services as participants

        client = await self.account("coordinator", email=email, lang=lang)
        if sites is None:
            sites = [await participants.ensure_site(TEST_SITE, "Test clinic", "0101")]
        if sites:
            await accounts.set_sites(client.account_id, list(sites), None)
        client.site_ids = tuple(sorted(set(sites)))
        return client

    async def aclose(self) -> None:
        for client in self._made:
            await client.aclose()


def csrf_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


TEST_SITE = "test-site"  # the clinic of our stories: where a new patient joins and a coordinator answers


async def sign_in(client: httpx.AsyncClient, email: str, password: str = WORKSPACE_PASSWORD) -> httpx.Response:
    """The workspace's sign-in form, as she fills it in (the answer, not followed)."""
    form = await client.get("/workspace/login")
    return await client.post("/workspace/login", data={"_csrf_token": csrf_token(form.text), "email": email,
                                                       "password": password})


async def set_up_totp(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    """Sets up a second factor from her account page: the secret her app holds and the recovery codes shown."""
    import pyotp

    page = await client.get("/workspace/account/code")
    secret = page.text.split("data-totp-secret>")[1].split("<")[0]
    pending = page.text.split('name="pending" value="')[1].split('"')[0]
    done = await client.post("/workspace/account/code", data={"_csrf_token": csrf_token(page.text),
                                                              "pending": pending, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.text
    return secret, [c.split("</code>")[0] for c in done.text.split("<code>")[1:]]


async def make_invite(*, group_started_weeks_ago: int | None = 3, expires_in: timedelta | None = None,
                      max_uses: int | None = None, revoked: bool = False, kind: str = "patient",
                      site_slug: str = TEST_SITE) -> str:
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

    return get_catalog().exercises[slug].version_id


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


# --- partners (issue 18): her link from Settings, the partner's own door ---

PARTNER_FIXTURE = "test-partner-landing"  # tests/fixtures/partner: a practice for the partner audience only


async def publish_partner_fixture() -> None:
    """Publishes the partner practice of ``tests/fixtures/partner`` (once; the catalog then has it)."""
    from pathlib import Path

    from server.content.loader import load_content_dir
    from server.content.services import import_documents, load_catalog

    loaded = load_content_dir(Path(__file__).parent / "fixtures" / "partner")
    assert not loaded.problems, loaded.problems
    await import_documents(loaded.documents, author="tests")
    await load_catalog()


async def allow_partners(site_slug: str = TEST_SITE, enabled: bool = True) -> int:
    """Switches partners on (or off) for a site, as its coordinator would; returns the site's id."""
    from server.participants import partners, services

    site_id = await services.ensure_site(site_slug, "Test clinic", "0101")
    await partners.set_partners_enabled(site_id, enabled)
    return site_id


async def partner_link(patient: httpx.AsyncClient) -> httpx.Response:
    """She asks for a link for her partner from her Settings (the answer: the page with the link, or why not)."""
    page = await patient.get("/settings")
    return await patient.post("/settings/partner", data={"_csrf_token": csrf_token(page.text)})


def link_code(page: str) -> str:
    """The code from the link on the page she is shown once."""
    found = re.search(r'value="http://testserver/p/([A-Za-z0-9_-]+)"', page)
    assert found, page
    return found.group(1)


async def enrol_partner(client: httpx.AsyncClient, code: str, lang: str = "en") -> uuid.UUID:
    """Walks the partner's door (/p/<code>) as the partner would and returns their participant id."""
    from server.participants.tables import Participant

    page = await client.get(f"/p/{code}/consent", params={"lang": lang})
    assert page.status_code == 200, page.text
    before = {r["id"] for r in await Participant.select(Participant.id)}
    response = await client.post(f"/p/{code}", data={"_csrf_token": csrf_token(page.text), "lang": lang,
                                                     "consent": "yes"})
    assert response.status_code == 303, response.text
    (participant_id,) = {r["id"] for r in await Participant.select(Participant.id)} - before
    return participant_id
