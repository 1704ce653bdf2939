"""Per-request context: who the device belongs to, which language to speak, and the headers every answer carries.

This is one small ASGI middleware rather than several because each piece is a few microseconds of work
on every request, and the library page must stay close to a bare hello-world in throughput.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from litestar.datastructures import Cookie
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.lib.i18n import current_language
from server.lib.logs import request_id
from server.lib.signing import sign, verify
from server.settings import LANGUAGES, Settings

LANG_COOKIE = "pusterum_lang"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
DEVICE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days


@dataclass(frozen=True, slots=True)
class Device:
    participant_id: uuid.UUID
    language: str
    kind: str  # patient | staff: which part of the library she sees, without asking the database
    # Signed under a former SECRET_KEY (a fallback): the answer carries the same cookie signed under the
    # current key, so the fallback can be retired once phones have been back.
    stale: bool = False


def device_cookie_name(settings: Settings) -> str:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and path=/.
    return "__Host-pusterum" if settings.secure_cookies else "pusterum"


def device_cookie(settings: Settings, participant_id: uuid.UUID, language: str, kind: str) -> Cookie:
    value = sign("device", f"{participant_id.hex}:{language}:{kind}")
    return Cookie(key=device_cookie_name(settings), value=value,
                  max_age=DEVICE_MAX_AGE, path="/", httponly=True, secure=settings.secure_cookies,
                  samesite="lax")


def clear_device_cookie(settings: Settings) -> Cookie:
    return Cookie(key=device_cookie_name(settings), value="", max_age=0, path="/", httponly=True,
                  secure=settings.secure_cookies, samesite="lax")


def language_cookie(settings: Settings, language: str) -> Cookie:
    return Cookie(key=LANG_COOKIE, value=language, max_age=DEVICE_MAX_AGE, path="/", httponly=True,
                  secure=settings.secure_cookies, samesite="lax")


_verified: dict[str, Device | None] = {}
_verified_under: tuple[str, tuple[str, ...]] = ("", ())
_VERIFIED_MAX = 10_000


def read_device(cookies: dict[str, str], settings: Settings) -> Device | None:
    global _verified_under
    token = cookies.get(device_cookie_name(settings))
    if not token:
        return None
    # A token's bytes and the keys fully decide what it says, so a verified one need not be verified again
    # while the keys stay the same (they change only with the settings: a new process, or a test).
    ring = (settings.secret_key, settings.secret_key_fallbacks)
    if ring != _verified_under:
        _verified.clear()
        _verified_under = ring
    if token in _verified:
        return _verified[token]
    device = _verify_device(token, settings)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = device
    return device


def _verify_device(token: str, settings: Settings) -> Device | None:
    verified = verify("device", token)
    if verified is None:
        return None
    hex_id, language, kind = [*verified.value.split(":"), "", ""][:3]
    try:
        participant_id = uuid.UUID(hex=hex_id)
    except ValueError:
        return None
    return Device(participant_id, language if language in LANGUAGES else settings.default_language,
                  kind if kind in ("patient", "staff", "partner") else "patient", verified.stale)


def use_language(request, language: str) -> None:
    """Switch this request to the language she just chose, for the page that answers it."""
    request.state.language = language
    current_language.set(language)


def _accept_language(header: str) -> str | None:
    for part in header.split(","):
        tag = part.split(";", 1)[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
        if tag in ("nb", "nn", "no", "sv"):  # Scandinavian neighbours read Danish more easily than English
            return "da"
    return None


def _cookies(header: str) -> dict[str, str]:
    """A plain split of the Cookie header: SimpleCookie costs ~20 µs a request, and our cookie values
    are URL-safe tokens that need no unquoting."""
    jar: dict[str, str] = {}
    for part in header.split(";"):
        key, sep, val = part.strip().partition("=")
        if sep and key not in jar:
            jar[key] = val.strip('"')
    return jar


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        # Invite codes travel in URLs: never let them leak to another site through the Referer header.
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                                b"interest-cohort=()"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]
    if settings.secure_cookies:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


def frameable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The same headers for a page that may be shown in a frame of our own (the editor's phone preview):
    the route says so by setting X-Frame-Options: SAMEORIGIN itself."""
    return [(k, v.replace(b"frame-ancestors 'none'", b"frame-ancestors 'self'")) for k, v in headers
            if k != b"x-frame-options"]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.headers = security_headers(settings)
        self.frameable_headers = frameable(self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie_header = accept_language = incoming = ""
        for name, value in scope["headers"]:  # one pass over the headers for all three
            if name == b"cookie":
                # HTTP/2 may split cookies over several headers (RFC 9113, 8.2.3): join them.
                cookie_header = f"{cookie_header}; {value.decode('latin-1')}" if cookie_header else value.decode(
                    "latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
            elif name == b"x-request-id":
                incoming = value.decode("latin-1")
        cookies = _cookies(cookie_header)
        device = read_device(cookies, self.settings)
        language = (
            (device.language if device else None)
            or (cookies.get(LANG_COOKIE) if cookies.get(LANG_COOKIE) in LANGUAGES else None)
            or _accept_language(accept_language)
            or self.settings.default_language
        )
        scope.setdefault("state", {})
        scope["state"]["device"] = device
        scope["state"]["language"] = language
        # A reverse proxy's id is kept when it looks like one, so logs line up across both.
        rid = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(8)
        token = current_language.set(language)
        rid_token = request_id.set(rid)
        rid_header = (b"x-request-id", rid.encode())
        extra = [rid_header]
        if device is not None and device.stale:
            extra.append(self._renewed(device))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = message.get("headers", [])
                framed = any(k == b"x-frame-options" for k, _v in own)
                more = extra if len(extra) == 1 or not self._keeps_old_cookie(own) else extra[:1]
                message["headers"] = [*own, *(self.frameable_headers if framed else self.headers), *more]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_language.reset(token)
            request_id.reset(rid_token)

    def _renewed(self, device: Device) -> tuple[bytes, bytes]:
        """The device cookie she has, signed again under the current key."""
        cookie = device_cookie(self.settings, device.participant_id, device.language, device.kind)
        return b"set-cookie", cookie.to_header(header="").encode("latin-1")

    def _keeps_old_cookie(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """Not renewed on an answer that sets (or clears) the device cookie itself (a new language, a
        withdrawal), nor on one a cache may keep (static files, audio, the service worker): a shared cache
        must never hand her cookie to someone else. Pages that set no Cache-Control, or forbid storing, renew it."""
        prefix = device_cookie_name(self.settings).encode() + b"="
        for name, value in headers:
            key = name.lower()
            if key == b"set-cookie" and value.startswith(prefix):
                return True
            if key == b"cache-control" and b"no-store" not in value and b"private" not in value:
                return True
        return False
