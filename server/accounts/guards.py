"""Who is at the workspace, decided at the door: a live session with its second factor, and the role
a page needs.

Controllers declare ``guards=[requires_role("editor")]`` (``requires_role()``: any account) and
receive the session as the ``session`` dependency (``SESSION``). A guard runs before Litestar parses the
body, so a stranger is refused before any field is judged. The session is looked up once per request
and kept on the connection's state for the handler.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from server.accounts import services
from server.settings import Settings, get_settings


class NotSignedIn(Exception):
    """No live session (or its second factor is still missing): the login page, then back here."""

    def __init__(self, target: str = "workspace:login") -> None:
        super().__init__(target)
        self.target = target  # the route name of the step still missing


class Forbidden(Exception):
    """Signed in, but this page needs a role she does not have."""


def cookie_name(settings: Settings) -> str:
    # __Host-: Secure, host-only, path=/; browsers refuse it over http, so development uses a plain name.
    return "__Host-pusterum_ws" if settings.secure_cookies else "pusterum_ws"


def session_cookie(token: str) -> Cookie:
    settings = get_settings()
    # No max-age: it ends with the browser; the server ends it sooner (15 min idle, 8 h in all).
    return Cookie(key=cookie_name(settings), value=token, path="/", httponly=True, secure=settings.secure_cookies,
                  samesite="strict")


def clear_session_cookie() -> Cookie:
    settings = get_settings()
    return Cookie(key=cookie_name(settings), value="", max_age=0, path="/", httponly=True,
                  secure=settings.secure_cookies, samesite="strict")


KNOWN_BROWSER_DAYS = 180  # renewed at each sign-in; browsers keep a cookie 400 days at most anyway


def known_browser_cookie_name(settings: Settings) -> str:
    return "__Host-pusterum_ws_known" if settings.secure_cookies else "pusterum_ws_known"


def known_browser_cookie(token: str) -> Cookie:
    """Set at each sign-in: this browser has signed in to this account before, so the sign-in throttle
    counts its tries on their own (``server.accounts.throttle``). Not a session: it opens nothing."""
    settings = get_settings()
    return Cookie(key=known_browser_cookie_name(settings), value=token, max_age=KNOWN_BROWSER_DAYS * 86400,
                  path="/", httponly=True, secure=settings.secure_cookies, samesite="strict")


def second_factor_required(account: services.AccountView) -> bool:
    """Always once she has one; for everybody in production mode."""
    return account.has_totp or get_settings().production


def next_step(account: services.AccountView) -> str:
    """Where she goes after the password: home, her code, or setting up a second factor (a route name)."""
    if not second_factor_required(account):
        return "workspace:home"
    return "workspace:code" if account.has_totp else "workspace:totp_setup"


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> services.SessionView | None:
    """The session behind the cookie, looked up once per request (a partial one too)."""
    state = connection.scope["state"]
    if "workspace_session" not in state:
        token = connection.cookies.get(cookie_name(get_settings()))
        state["workspace_session"] = await services.load_session(token) if token else None
    return state["workspace_session"]


async def current_session(connection: ASGIConnection[Any, Any, Any, Any], *,
                          partial: bool = False) -> services.SessionView:
    """``partial``: also a session that has passed the password but not yet the second factor."""
    session = await signed_in(connection)
    if session is None:
        raise NotSignedIn
    if not partial and not session.second_factor and second_factor_required(session.account):
        raise NotSignedIn(next_step(session.account))
    return session


def requires_role(*roles: str) -> Guard:
    """A guard: a fully signed-in account with one of ``roles`` (admins pass too); no roles: any account."""
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        session = await current_session(connection)
        if roles and not any(session.account.can(role) for role in roles):
            raise Forbidden
    return guard


async def partial_session_guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """For the second-factor step itself: the password has been given, the code may still be missing."""
    await current_session(connection, partial=True)


async def _provide_session(request: Request) -> services.SessionView:
    session = await signed_in(request)
    if session is None:  # only reached behind a guard: kept as a last line, not as the check
        raise NotSignedIn
    return session


SESSION = Provide(_provide_session)  # dependencies = {"session": SESSION}, behind one of the guards above
SignedIn = NamedDependency[services.SessionView]  # a handler's ``session: SignedIn``
