"""The pieces ``create_app`` assembles: database lifespan, templates, static files, errors, security."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qsl

from litestar import Litestar, Request, Response, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server import db
from server.accounts import throttle
from server.accounts.guards import Forbidden, NotSignedIn
from server.accounts.words import audit_action, role_name
from server.content.catalog import get_catalog
from server.content.schemas import KINDS, RESOURCE_KINDS, SITE_PHONES, TAGS
from server.content.services import content_revision, load_catalog
from server.db import limits
from server.engagement.store import event_store
from server.lib.api import body_refusal, problem_response
from server.lib.csrf import csrf_middleware
from server.lib.errors import NotFound, Problem, Unavailable, headers_of, status_of
from server.lib.guards import NotEnrolled
from server.lib.i18n import _
from server.lib.paths import redirect_to
from server.lib.ranges import StaticRangeMiddleware
from server.lib.templates import PWA_DIR, build_environment, page, static_digest
from server.lib.web import clear_device_cookie
from server.reminders.sender import reminder_loop
from server.settings import Settings

log = logging.getLogger("pusterum")
CATALOG_POLL_SECONDS = 5.0
# Counts of ended windows are only kept until the next pruning (limits never read them again).
LIMITS_PRUNE_SECONDS = 300.0


@contextlib.asynccontextmanager
async def database_lifespan(app: Litestar) -> AsyncIterator[None]:
    from server.db import engine
    from server.db.connections import prepare

    DB = engine()
    settings: Settings = app.state.settings
    # One pool per process: a second app in the same process (tests) uses the pool that is there.
    own_pool = settings.is_postgres and DB.pool is None
    if own_pool:
        await DB.start_connection_pool(min_size=2, max_size=20)
    await prepare(DB)
    await load_catalog()
    poller = asyncio.create_task(_every(CATALOG_POLL_SECONDS, _reload_changed_catalog, "catalog_poll"))
    stop_reminders = asyncio.Event()
    reminders = asyncio.create_task(reminder_loop(stop_reminders)) if settings.reminder_poll_seconds else None
    refresher = asyncio.create_task(_refresh_rollups(settings.rollup_refresh_seconds)) \
        if settings.rollup_refresh_seconds else None
    pruner = asyncio.create_task(_every(LIMITS_PRUNE_SECONDS, _prune_counts, "limits_prune"))
    try:
        yield
    finally:
        for task in (poller, refresher, pruner):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if reminders is not None:
            stop_reminders.set()
            await reminders
        if own_pool:
            await DB.close_connection_pool()


async def _prune_counts() -> None:
    """Counts that can no longer refuse anything: limits' ended windows, the sign-in throttle's drained ones."""
    await limits.prune()
    await throttle.prune()


async def _reload_changed_catalog() -> None:
    """Another process (or the import command) may publish: noticed within a few seconds."""
    if await content_revision() != get_catalog().revision:
        await load_catalog()


async def _every(seconds: float, work: Callable[[], Awaitable[object]], name: str) -> None:
    """Background upkeep in each process: a passing database hiccup is logged and must not stop it for good."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await work()
        except Exception:
            log.warning("%s_failed", name, exc_info=True)


async def _refresh_rollups(every: float) -> None:
    """Events arrive all day; folding them into the rollups as they come keeps dashboards quick."""
    from server.reports import rollups

    await _every(every, rollups.refresh, "rollup_refresh")


def template_config() -> TemplateConfig:
    env = build_environment()
    env.globals.update(kind_labels=KINDS, tag_labels=TAGS, resource_kinds=RESOURCE_KINDS,
                       site_phone_labels=SITE_PHONES, catalog=get_catalog)
    env.filters.update(role_name=role_name, audit_action=audit_action)  # words for roles and audit entries
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


def csrf(settings: Settings) -> DefineMiddleware:
    """Litestar's CSRF check with the key ring (server.lib.csrf), so a SECRET_KEY change refuses no form.

    Over https the token's cookie is ``__Host-``, like the device and session cookies: the browser keeps it
    only if it is Secure, host-only (no Domain) and for path /, so no other host of the domain can plant a
    token of its choosing (which would let a forged form pass). Forms carry the token; scripts read it from a
    meta tag, never from the cookie, so it stays HttpOnly."""
    config = CSRFConfig(secret=settings.secret_key,
                        cookie_name="__Host-pusterum_csrf" if settings.secure_cookies else "pusterum_csrf",
                        cookie_secure=settings.secure_cookies, cookie_path="/", cookie_domain=None,
                        cookie_httponly=True, cookie_samesite="lax", exclude=["/api/"])
    return csrf_middleware(config, (settings.secret_key, *settings.secret_key_fallbacks))


def compression_config() -> CompressionConfig:
    return CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6,
                             exclude_opt_key="skip_compression")


MAX_STATIC_PATH = 512  # our longest file name is far shorter; a longer one is never a file of ours


class StaticCacheMiddleware:
    """A year-long immutable cache only for a URL whose ``?v=`` is the file's own content hash (static_url).

    Any other ``v`` (a guess at a future hash, a page of an older deploy asking with the hash of its day) gets
    the current file with ``no-cache``: a shared cache may keep it but must ask again each time, so nobody can
    prime a proxy with today's file under tomorrow's URL. Files reached without ``v``, such as modules that
    app.js imports by relative path, revalidate the same way, so a phone never keeps an old module after a
    deploy. A name no file can have (a NUL, longer than any of ours) is not found before the file system is
    asked.
    """

    IMMUTABLE = b"public, max-age=31536000, immutable"
    REVALIDATE = b"no-cache"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if "\x00" in path or len(path) > MAX_STATIC_PATH or any(len(p) > 255 for p in path.split("/")):
            # No file can have this name (the file system would raise, which was a 500): it is not found.
            raise NotFoundException()
        value = self.IMMUTABLE if _versioned(scope) else self.REVALIDATE

        async def send_with_cache_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", value)]
            await send(message)

        await self.app(scope, receive, send_with_cache_header)


def _versioned(scope: Scope) -> bool:
    """Whether the URL's one ``v`` is the content hash of the very file it names."""
    query = scope.get("query_string", b"")
    if b"v=" not in query:
        return False
    versions = [v for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k == "v"]
    file_path = str(scope.get("path_params", {}).get("file_path", "")).lstrip("/")
    return len(versions) == 1 and bool(file_path) and versions[0] == static_digest(file_path)


def static_router():
    # Ranges inside the cache header: a 206 is cached like the whole file.
    return create_static_files_router(path="/static", directories=[PWA_DIR], name="static",
                                      middleware=[StaticCacheMiddleware, StaticRangeMiddleware])


@get("/healthz", name="ops:health", include_in_schema=False, cache_control=CacheControlHeader(no_store=True))
async def health() -> dict[str, str]:
    """The process is alive and serving (no database: a restart would not help a full disk)."""
    return {"status": "ok"}


RETRY_SECONDS = 30  # what a 503 asks a client (the outbox, a load balancer) to wait before trying again


@get("/readyz", name="ops:ready", include_in_schema=False, cache_control=CacheControlHeader(no_store=True))
async def ready() -> Response:
    """The database answers and would take a write now: what a load balancer should route by."""
    try:
        await content_revision()
        await event_store().probe()
    except Exception as exc:
        if not db.unwritable(exc):
            raise
        log.warning("not_ready type=%s", type(exc).__name__)
        return Response({"status": "unavailable", "error": "the database does not take writes now"},
                        status_code=503, headers={"Retry-After": str(RETRY_SECONDS)})
    return Response({"status": "ready"})


# --- errors: a person sees a kind page in her language; the API gets JSON; nobody sees a traceback ---

def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return Response({"error": message}, status_code=status)
    return page(request, "errors/error.html", status_code=status, status=status, message=message)


def not_enrolled_handler(request: Request, _exc: NotEnrolled) -> Response:
    if _wants_json(request):
        return Response({"error": _("We could not recognise this phone. Please open your invite link again.")},
                        status_code=401)
    response = redirect_to(request, "content:start")
    if request.scope["state"].get("device") is not None:
        # The cookie names a participant we no longer have: forget it, or / and /home would
        # send her back and forth for ever.
        response.cookies.append(clear_device_cookie(request.app.state.settings))
    return response  # type: ignore[return-value]


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if _wants_json(request) and (refused := body_refusal(request, exc)):
        return refused
    status = exc.status_code
    if isinstance(exc, NotFoundException) or status == 404:
        message = _("We could not find that page. It may have moved, or the link may be incomplete.")
    elif isinstance(exc, ValidationException) or status == 400:
        message = _("Something in what was sent was not right. Please go back and try again.")
    elif status == 403:
        message = _("This page had been open for a while, so we could not save it safely. "
                    "Please go back, reload the page and try again.")
    elif status == 405:
        message = _("That is not something this page can do.")
    elif status == 413:
        message = _("That was too much to send at once.")
    elif status == 429:
        message = _("Too many tries in a short time. Please wait a moment and try again.")
    elif status >= 500:
        message = _("Something went wrong on our side. Nothing you did caused it. Please try again in a moment.")
    else:
        message = _("Something went wrong. Please try again.")
    response = _error_page(request, status, message)
    if exc.headers:  # what the status needs, such as the Allow header of a 405 (RFC 9110)
        response.headers.update(exc.headers)
    return response


def internal_error_handler(request: Request, exc: Exception) -> Response:
    route = request.scope.get("route_handler")
    if db.unwritable(exc):
        # A full disk, a read-only database, a server going away: nothing was stored (every write is one
        # transaction), so she may simply try again; the outbox keeps the events and does.
        log.warning("unavailable route=%s type=%s reason=%.80s", getattr(route, "name", None) or "unknown",
                    type(exc).__name__, exc)  # the engine's own words ("database is locked"), never data
        return problem_handler(request, Unavailable(
            _("We cannot save anything right now. Nothing is lost: please try again in a little while."),
            "the database cannot take writes now", retry_after=RETRY_SECONDS))
    log.error("unhandled_error route=%s type=%s", getattr(route, "name", None) or "unknown", type(exc).__name__,
              exc_info=exc)
    return _error_page(request, 500, _("Something went wrong on our side. Nothing you did caused it. "
                                       "Please try again in a moment."))


def not_signed_in_handler(request: Request, exc: NotSignedIn) -> Response:
    if _wants_json(request):
        return Response({"error": _("Please sign in again.")}, status_code=401)
    return redirect_to(request, exc.target)  # type: ignore[return-value]


def forbidden_handler(request: Request, _exc: Forbidden) -> Response:
    return _error_page(request, 403, _("Your account does not give access to this page. An administrator can "
                                       "change your roles."))


def problem_handler(request: Request, problem: Problem) -> Response:
    """Any problem a handler did not answer itself: as the API's ApiError, or as a page. "Not found" pages
    all read the same, whatever was not found."""
    if _wants_json(request):
        return problem_response(problem)
    if isinstance(problem, NotFound):
        return http_exception_handler(request, NotFoundException())
    response = _error_page(request, status_of(problem), problem.message)
    response.headers.update(headers_of(problem))
    return response


EXCEPTION_HANDLERS = {
    Problem: problem_handler,
    NotEnrolled: not_enrolled_handler,
    NotSignedIn: not_signed_in_handler,
    Forbidden: forbidden_handler,
    HTTPException: http_exception_handler,
    500: internal_error_handler,
    Exception: internal_error_handler,
}
