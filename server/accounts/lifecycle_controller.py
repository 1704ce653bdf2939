"""An account's life after it is made: her own account page (change her password; replace or, in development,
remove her second factor, each after her password and a current code again) and the page an admin's
password-reset link opens. Every form works without JavaScript (POST, then redirect, then GET); every page is
no-store. The admin's side (making a reset link, resetting a lost second factor) is in ``controllers``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from server.accounts import services, throttle
from server.accounts.guards import SESSION, SignedIn, requires_role
from server.accounts.schemas import NewPasswordForm, PasswordChangeForm, ReauthenticateForm
from server.lib.i18n import N_, _, wait_words
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.settings import get_settings

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
WAIT = N_("Too many attempts. Please wait %(wait)s and try again.")
NOT_CONFIRMED = N_("That password and code did not match. Please try again with the newest code.")


def _account_page(request: Request, session: services.SessionView, *, status_code: int = 200,
                  error: str | None = None, failed: str | None = None) -> Template:
    """``failed``: which form the error belongs to (password, replace, remove)."""
    return page(request, "workspace/account.html", status_code=status_code, account=session.account,
                error=error, failed=failed, can_remove=not get_settings().production)


class OwnAccountController(Controller):
    """Her own account; she must be fully signed in (her second factor given, where she has one)."""

    path = "/workspace/account"
    cache_control = CacheControlHeader(no_store=True)
    guards = [requires_role()]
    dependencies = {"session": SESSION}

    @get("/", name="workspace:account")
    async def account(self, request: Request, session: SignedIn) -> Template:
        return _account_page(request, session)

    @post("/password", name="workspace:password_change", status_code=303)
    async def change_password(self, request: Request, session: SignedIn,
                              data: Annotated[PasswordChangeForm, Form]) -> Template | Redirect:
        keys = throttle.reauthenticate_keys(session.account.id)
        if wait := await throttle.take(keys):  # before argon2 runs: simultaneous guesses are counted too
            return _account_page(request, session, status_code=429, failed="password",
                                 error=_(WAIT, wait=wait_words(wait)))
        try:
            await services.change_password(session.account.id, session.id, data.current_password,
                                           data.new_password)
        except services.WrongPassword as problem:
            return _account_page(request, session, status_code=400, failed="password", error=str(problem))
        except services.AccountError as problem:
            await throttle.passed(keys)  # her password was right; the new one is what was wrong
            return _account_page(request, session, status_code=400, failed="password", error=str(problem))
        await throttle.passed(keys)
        return redirect_to(request, "workspace:account", query="?done=password")

    async def _reauthenticate(self, request: Request, session: services.SessionView, data: ReauthenticateForm,
                              failed: str) -> Template | None:
        """None when her password and code are right; else the page that says why not."""
        keys = throttle.reauthenticate_keys(session.account.id)
        if wait := await throttle.take(keys):
            return _account_page(request, session, status_code=429, failed=failed, error=_(WAIT, wait=wait_words(wait)))
        if not await services.reauthenticate(session, data.password, data.code):
            return _account_page(request, session, status_code=400, failed=failed, error=_(NOT_CONFIRMED))
        await throttle.passed(keys)
        return None

    @post("/code/replace", name="workspace:totp_replace", status_code=303)
    async def replace_second_factor(self, request: Request, session: SignedIn,
                                    data: Annotated[ReauthenticateForm, Form]) -> Template | Redirect:
        """ASVS 3.7.1: a session alone (a browser left open) cannot put another phone on her account."""
        if refused := await self._reauthenticate(request, session, data, "replace"):
            return refused
        return redirect_to(request, "workspace:totp_setup")

    @post("/code/remove", name="workspace:totp_remove", status_code=303)
    async def remove_second_factor(self, request: Request, session: SignedIn,
                                   data: Annotated[ReauthenticateForm, Form]) -> Template | Redirect:
        if get_settings().production:  # every account needs one there
            raise NotFoundException
        if not session.account.has_totp:
            return redirect_to(request, "workspace:account")
        if refused := await self._reauthenticate(request, session, data, "remove"):
            return refused
        await services.remove_second_factor(session)
        return redirect_to(request, "workspace:account", query="?done=removed")


class PasswordResetController(Controller):
    """The page an admin's one-time link opens: open to anyone holding the link, like an invitation."""

    path = "/workspace/reset"
    cache_control = CacheControlHeader(no_store=True)

    @get("/{token:str}", name="workspace:reset")
    async def reset_form(self, request: Request, token: FromPath[str]) -> Template:
        reset = await services.open_reset(token)
        return page(request, "workspace/reset.html", status_code=200 if reset else 410,
                    email=reset["account.email"] if reset else None, token=token, error=None)

    @post("/{token:str}", name="workspace:reset_post", status_code=303)
    async def reset(self, request: Request, token: FromPath[str],
                    data: Annotated[NewPasswordForm, Form]) -> Template | Redirect:
        try:
            await services.reset_password(token, data.password)
        except services.AccountError as problem:
            reset = await services.open_reset(token)
            return page(request, "workspace/reset.html", status_code=400 if reset else 410,
                        email=reset["account.email"] if reset else None, token=token, error=str(problem))
        return redirect_to(request, "workspace:login", query="?reset=1")
