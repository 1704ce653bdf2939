"""Who is at the workspace: a live session with its second factor, and the role a page needs."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import Cookie

from server.accounts import services
from server.settings import Settings, get_settings


class NotSignedIn(Exception):
    """No live session (or its second factor is still missing): the login page, then back here."""

    def __init__(self, target: str = "/workspace/login") -> None:
        super().__init__(target)
        self.target = target


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


def second_factor_required(account: services.AccountView) -> bool:
    """Always once she has one; for everybody in production mode."""
    return account.has_totp or get_settings().production


async def current_session(request: Request, *, partial: bool = False) -> services.SessionView:
    """``partial``: also a session that has passed the password but not yet the second factor."""
    token = request.cookies.get(cookie_name(get_settings()))
    session = await services.load_session(token) if token else None
    if session is None:
        raise NotSignedIn
    if not partial and not session.second_factor and second_factor_required(session.account):
        raise NotSignedIn("/workspace/login/code" if session.account.has_totp else "/workspace/account/code")
    return session


async def require(request: Request, role: str | None = None) -> services.SessionView:
    session = await current_session(request)
    if role is not None and not session.account.can(role):
        raise Forbidden
    return session
