"""Cookies in production (https): the CSRF token's cookie is ``__Host-`` like the device and session cookies,
and the forms still work with it.

ASVS 4.0.3 checked here: 3.4.1 (Secure), 3.4.2 (HttpOnly), 3.4.3 (SameSite), 3.4.4 (the ``__Host-`` prefix),
3.4.5 (path ``/``, no Domain), 4.2.2 (a form posted without the token's cookie is refused). The browser tests
run in development (plain http, plain names); this one builds the app with production settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from tests.support import csrf_token, make_invite

BASE = "https://pusterum.hospital.dk"
PRODUCTION = {"PUSTERUM_ENV": "production", "BASE_URL": BASE, "PUSH_CONTACT": "mailto:drift@hospital.dk"}


@contextlib.asynccontextmanager
async def production_phone(app, settings_env) -> AsyncIterator[httpx.AsyncClient]:
    """A phone talking https to an app built with production settings (a second app in this process; the
    settings come back when the test ends, and the route table is the usual app's again)."""
    from server.app import create_app
    from server.lib import paths

    settings_env(**PRODUCTION)
    production = create_app()
    try:
        async with production.lifespan(), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=production), base_url=BASE, follow_redirects=False) as client:
            yield client
    finally:
        paths.bind(app)


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


async def test_the_csrf_cookie_is_host_prefixed_in_production_and_the_form_works(app, db, settings_env):
    """ASVS 3.4.1-3.4.5: Secure, HttpOnly, SameSite, __Host-, Path=/ and no Domain; the join form posts."""
    code = await make_invite()
    async with production_phone(app, settings_env) as client:
        consent = await client.get(f"/j/{code}/consent", params={"lang": "en"})
        assert consent.status_code == 200
        cookies = _set_cookies(consent)
        assert "pusterum_csrf" not in cookies
        csrf = cookies["__Host-pusterum_csrf"].lower()
        assert "; secure" in csrf and "; httponly" in csrf and "samesite=lax" in csrf and "path=/" in csrf
        assert "domain=" not in csrf
        joined = await client.post(f"/j/{code}", data={"_csrf_token": csrf_token(consent.text), "lang": "en",
                                                       "consent": "yes"})
        assert joined.status_code == 303, joined.text
        assert "__Host-pusterum" in _set_cookies(joined)  # the device cookie: she has joined


async def test_a_production_form_without_the_csrf_cookie_is_refused(app, db, settings_env):
    """ASVS 4.2.2: the token alone (a forged form elsewhere, without our cookie) is not enough."""
    code = await make_invite()
    async with production_phone(app, settings_env) as client:
        consent = await client.get(f"/j/{code}/consent", params={"lang": "en"})
        client.cookies.clear()
        forged = await client.post(f"/j/{code}", data={"_csrf_token": csrf_token(consent.text), "lang": "en",
                                                       "consent": "yes"})
    assert forged.status_code == 403
