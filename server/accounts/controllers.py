"""The workspace's door: login with password and second factor, logout, setting up her second factor, and the
admin's pages for accounts (invitations, password-reset links, resetting a lost second factor) and the audit
log. Her own account page and the reset link's page are in ``lifecycle_controller``. Every page here is
no-store and never cached by the service worker (its allowlist holds only participant pages)."""

from __future__ import annotations

import time
from typing import Annotated

import segno
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from server import db
from server.accounts import secrets as mfa
from server.accounts import services, throttle
from server.accounts.guards import (
    SESSION,
    SignedIn,
    clear_session_cookie,
    known_browser_cookie,
    known_browser_cookie_name,
    next_step,
    partial_session_guard,
    requires_role,
    second_factor_required,
    session_cookie,
    signed_in,
)
from server.accounts.schemas import CodeForm, InviteForm, LoginForm, PasswordForm, SitesForm
from server.accounts.tables import ROLES, Account, AuditEntry
from server.lib.clients import client_address
from server.lib.i18n import N_, _, wait_words
from server.lib.paths import path_for, redirect_to
from server.lib.signing import sign, unsign
from server.lib.templates import page
from server.participants.tables import Site
from server.settings import get_settings

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
FAILED = N_("That e-mail and password do not match an account. Please try again.")
WRONG_CODE = N_("That code did not work. Codes change every 30 seconds; try the newest one.")
SETUP_MAX_AGE = 3600  # seconds a scanned-but-unconfirmed secret stays usable


def _too_many(response: Template, wait: int) -> Template:
    response.headers["Retry-After"] = str(wait)
    return response


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff", omitsize=True)


def _a_row(account_id: int) -> None:
    """An id no account can have is no account (PostgreSQL would answer it with an error, not nothing)."""
    if not db.row_id(account_id):
        raise NotFoundException


class WorkspaceAuthController(Controller):
    """The door itself: most pages here are open (sign-in, invitations) or need only the password step."""

    path = "/workspace"
    cache_control = CacheControlHeader(no_store=True)
    dependencies = {"session": SESSION}

    @get("/login", name="workspace:login")
    async def login_form(self, request: Request) -> Template:
        return page(request, "workspace/login.html", error=None)

    @post("/login", name="workspace:login_post", status_code=303)
    async def login(self, request: Request, data: Annotated[LoginForm, Form]) -> Template | Redirect:
        known = request.cookies.get(known_browser_cookie_name(get_settings()))
        keys = throttle.sign_in_keys(data.email, client_address(request), known)
        if wait := await throttle.take(keys):  # before argon2 runs: simultaneous guesses are counted too
            return _too_many(page(request, "workspace/login.html", status_code=429, error=_(
                "Too many attempts. Please wait %(wait)s and try again.", wait=wait_words(wait))), wait)
        account = await services.check_password(data.email, data.password)
        if account is None:
            return page(request, "workspace/login.html", status_code=400, error=_(FAILED))
        await throttle.passed(keys)
        full = not second_factor_required(account)
        token = await services.create_session(account.id, second_factor=full)
        await services.audit(account.id, "session.login", account.email, second_factor_pending=not full)
        response = redirect_to(request, next_step(account))
        response.cookies.append(session_cookie(token))
        response.cookies.append(known_browser_cookie(throttle.known_browser_token(data.email)))
        return response

    @get("/login/code", name="workspace:code", guards=[partial_session_guard])
    async def code_form(self, request: Request) -> Template:
        return page(request, "workspace/code.html", error=None)

    @post("/login/code", name="workspace:code_post", status_code=303, guards=[partial_session_guard])
    async def code(self, request: Request, session: SignedIn,
                   data: Annotated[CodeForm, Form]) -> Template | Redirect:
        keys = throttle.second_factor_keys(session.account.id)
        if wait := await throttle.take(keys):
            return _too_many(page(request, "workspace/code.html", status_code=429, error=_(
                "Too many attempts. Please wait %(wait)s and try again.", wait=wait_words(wait))), wait)
        if not await services.check_second_factor(session.account.id, data.code):
            # Someone who has her password is guessing at her second factor, or she mistyped: worth a line for
            # the admins (never the code). Failed passwords are not written: that would tell, by the time it
            # takes, which addresses have an account.
            await services.audit(session.account.id, "session.second_factor_failed", session.account.email)
            return page(request, "workspace/code.html", status_code=400, error=_(WRONG_CODE))
        await throttle.passed(keys)
        token = await services.pass_second_factor(session.id, session.account.id)
        # A recovery code let her in although her authenticator could not be checked (the key it was kept
        # under is gone): she sets up a new one now.
        fresh = await services.get_account(session.account.id)
        response = redirect_to(request, "workspace:home" if fresh and fresh.has_totp else "workspace:totp_setup")
        response.cookies.append(session_cookie(token))
        return response

    @post("/logout", name="workspace:logout", status_code=303)
    async def logout(self, request: Request) -> Redirect:
        # Logging out of a session that has already ended is still a logout (a partial session counts too).
        if session := await signed_in(request):
            await services.revoke_session(session.id)
            await services.audit(session.account.id, "session.logout", session.account.email)
        response = redirect_to(request, "workspace:login")
        response.cookies.append(clear_session_cookie())
        return response

    @get("/", name="workspace:home", guards=[requires_role()])
    async def home(self, request: Request, session: SignedIn) -> Template:
        return page(request, "workspace/home.html", account=session.account)

    # --- her own second factor ---

    @staticmethod
    def _not_yet(request: Request, session: services.SessionView) -> Redirect | None:
        """Replacing a second factor she has needs it given in this session, and then her password and a
        current code again a few minutes ago (ASVS 3.7.1); setting up her first one needs neither."""
        if not session.account.has_totp:
            return None
        if not session.second_factor:
            return redirect_to(request, "workspace:code")
        if not session.recently_reauthenticated():
            return redirect_to(request, "workspace:account", query="?confirm=1")
        return None

    @get("/account/code", name="workspace:totp_setup", guards=[partial_session_guard])
    async def totp_setup(self, request: Request, session: SignedIn) -> Template | Redirect:
        if elsewhere := self._not_yet(request, session):
            return elsewhere
        return self._setup_page(request, session.account, mfa.new_totp_secret())

    def _setup_page(self, request: Request, account, secret: str, *, error: str | None = None,
                    status_code: int = 200) -> Template:
        pending = sign("totp-setup", f"{account.id}:{int(time.time())}:{secret}")
        return page(request, "workspace/totp_setup.html", status_code=status_code, account=account, secret=secret,
                    qr_svg=_qr_svg(mfa.provisioning_uri(secret, account.email)), pending=pending, error=error,
                    recovery_codes=None)

    @post("/account/code", name="workspace:totp_confirm", status_code=200, guards=[partial_session_guard])
    async def totp_confirm(self, request: Request, session: SignedIn,
                           data: Annotated[CodeForm, Form]) -> Template | Redirect:
        if elsewhere := self._not_yet(request, session):
            return elsewhere
        account_id, made, secret = [*(unsign("totp-setup", data.pending) or "").split(":"), "", "", ""][:3]
        fresh = made.isdigit() and time.time() - int(made) < SETUP_MAX_AGE
        if account_id != str(session.account.id) or not secret or not fresh:
            return self._setup_page(request, session.account, mfa.new_totp_secret(), status_code=400,
                                    error=_("This page was open too long. Please scan the new code."))
        replaced = session.account.has_totp
        codes = await services.confirm_totp(session.account.id, secret, data.code, replaced=replaced)
        if codes is None:
            return self._setup_page(request, session.account, secret, status_code=400, error=_(WRONG_CODE))
        if replaced:  # a session opened with the old phone elsewhere ends with it
            await services.revoke_sessions(session.account.id, keep=session.id)
        token = await services.pass_second_factor(session.id, session.account.id)
        response = page(request, "workspace/totp_setup.html", account=session.account, recovery_codes=codes,
                        secret=None, qr_svg=None, pending=None, error=None)
        response.cookies.append(session_cookie(token))
        return response

    # --- invitations: a one-time link to set a password ---

    @get("/invite/{token:str}", name="workspace:invite")
    async def invite_form(self, request: Request, token: FromPath[str]) -> Template:
        invite = await services.open_invite(token)
        return page(request, "workspace/invite.html", status_code=200 if invite else 410, invite=invite,
                    token=token, error=None)

    @post("/invite/{token:str}", name="workspace:invite_accept", status_code=303)
    async def invite_accept(self, request: Request, token: FromPath[str],
                            data: Annotated[PasswordForm, Form]) -> Template | Redirect:
        try:
            await services.accept_invite(token, data.password, data.display_name)
        except services.AccountError as problem:
            invite = await services.open_invite(token)
            return page(request, "workspace/invite.html", status_code=400 if invite else 410, invite=invite,
                        token=token, error=str(problem))
        return redirect_to(request, "workspace:login", query="?welcome=1")


async def _accounts_page(request: Request, account: services.AccountView, *, link: str | None = None,
                         error: str | None = None, reset_link: str | None = None,
                         reset_for: str | None = None) -> Template:
    """``link``: a new invitation's; ``reset_link``: a new password-reset link, for ``reset_for``."""
    return page(request, "workspace/accounts.html", status_code=400 if error else 200, account=account,
                accounts=await services.list_accounts(), roles=ROLES, link=link, error=error,
                reset_link=reset_link, reset_for=reset_for,
                sites=await Site.select(Site.id, Site.name).order_by(Site.name),
                site_links=await services.all_site_links())


class AdminController(Controller):
    path = "/workspace/admin"
    cache_control = CacheControlHeader(no_store=True)
    guards = [requires_role("admin")]
    dependencies = {"session": SESSION}

    @get("/accounts", name="admin:accounts")
    async def accounts(self, request: Request, session: SignedIn) -> Template:
        return await _accounts_page(request, session.account)

    @post("/accounts/invite", name="admin:invite", status_code=200)
    async def invite(self, request: Request, session: SignedIn, data: Annotated[InviteForm, Form]) -> Template:
        roles = tuple(data.role) if isinstance(data.role, list) else (data.role,) if data.role else ()
        link, error = None, None
        try:
            token = await services.invite(data.email, roles, session.account.id)
            link = get_settings().base_url + path_for("workspace:invite", token=token)
        except services.AccountError as problem:
            error = str(problem)
        return await _accounts_page(request, session.account, link=link, error=error)

    @post("/accounts/{account_id:int}/{action:str}", name="admin:account_action", status_code=303)
    async def account_action(self, request: Request, session: SignedIn, account_id: FromPath[int],
                             action: FromPath[str]) -> Redirect:
        _a_row(account_id)
        if action in ("disable", "enable") and account_id != session.account.id:
            await services.set_disabled(account_id, action == "disable", session.account.id)
        elif action == "revoke":
            count = await services.revoke_sessions(account_id)
            await services.audit(session.account.id, "session.revoked_by_admin", str(account_id), sessions=count)
        return redirect_to(request, "admin:accounts")

    @post("/accounts/{account_id:int}/password-reset", name="admin:password_reset", status_code=200)
    async def password_reset(self, request: Request, session: SignedIn, account_id: FromPath[int]) -> Template:
        """A one-time link for someone to choose a new password, shown once for the admin to pass on; her
        old password and every session of hers end at once."""
        _a_row(account_id)
        try:
            token = await services.make_reset_link(account_id, session.account.id)
        except services.AccountError as problem:
            return await _accounts_page(request, session.account, error=str(problem))
        email = (await services.get_account(account_id)).email  # type: ignore[union-attr]
        return await _accounts_page(request, session.account, reset_for=email,
                                    reset_link=get_settings().base_url + path_for("workspace:reset", token=token))

    @post("/accounts/{account_id:int}/second-factor-reset", name="admin:second_factor_reset", status_code=303)
    async def second_factor_reset(self, request: Request, session: SignedIn,
                                  account_id: FromPath[int]) -> Template | Redirect:
        """Her phone is lost: she sets up a new second factor at her next sign-in."""
        _a_row(account_id)
        try:
            await services.reset_second_factor(account_id, session.account.id)
        except services.AccountError as problem:
            return await _accounts_page(request, session.account, error=str(problem))
        return redirect_to(request, "admin:accounts", query="?saved=1")

    @post("/account-sites/{account_id:int}", name="admin:account_sites", status_code=303)
    async def account_sites(self, request: Request, session: SignedIn, account_id: FromPath[int],
                            data: Annotated[SitesForm, Form]) -> Redirect:
        """The sites a coordinator answers for: her dashboards and annual report show these only."""
        _a_row(account_id)
        if not await Account.exists().where(Account.id == account_id):
            raise NotFoundException
        chosen = data.site if isinstance(data.site, list) else [data.site]
        known = {r["id"] for r in await Site.select(Site.id)}
        await services.set_sites(account_id, [s for s in chosen if s in known], session.account.id)
        return redirect_to(request, "admin:accounts", query="?saved=1")

    @get("/audit", name="admin:audit")
    async def audit(self, request: Request, session: SignedIn) -> Template:
        entries = await AuditEntry.select(AuditEntry.at, AuditEntry.action, AuditEntry.target, AuditEntry.detail,
                                          AuditEntry.actor.email).order_by(AuditEntry.at, ascending=False).limit(300)
        return page(request, "workspace/audit.html", account=session.account, entries=entries)
