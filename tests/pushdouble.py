"""A local web push service double: stands in for FCM / Mozilla autopush on 127.0.0.1.

Why a double and not a mock of pywebpush: the reminder sender must be proven to produce requests a real push
service accepts - a VAPID JWT signed by the right key for the right audience, the RFC 8030 headers, and a payload
encrypted (RFC 8291, aes128gcm) to the subscription's keys. So the double acts like a browser when subscribing
(it holds the private half of each subscription) and like a strict push service when receiving: it verifies
everything, decrypts the payload and only then records a :class:`Delivery`. Anything it refuses is kept as a
:class:`Rejection` with a reason, so a failing test says *why* the push would have been dropped.

It runs an ``aiohttp.web`` server in its own thread with its own event loop. That makes it usable from sync tests,
from async tests (it never needs the test's loop), and from other processes (plain HTTP on 127.0.0.1)::

    with PushDouble(vapid_public_key) as push:
        sub = push.new_subscription()           # store it as the browser would
        push.script(sub["endpoint"], (429, {"Retry-After": "2"}), 201)
        push.hang()                             # or: nobody gets an answer until push.release()
        ...                                     # run the sender
        [delivery] = push.wait_for(1)           # or: await push.wait_for_async(1)
        assert delivery.json()["title"] == ...
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = ["Delivery", "PushDouble", "Rejection"]

MAX_BODY = 4096  # RFC 8291 / what FCM and autopush accept for the encrypted body
MAX_EXP_AHEAD = 24 * 60 * 60  # RFC 8292 section 2: exp no more than 24 hours from the time of the request
URGENCIES = frozenset({"very-low", "low", "normal", "high"})  # RFC 8030 section 5.3
TOPIC_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")  # RFC 8030 section 5.4: at most 32 chars of base64url
GONE_FOREVER = frozenset({404, 410})

Answer = tuple[int, dict[str, str]]


def _b64url_decode(text: str) -> bytes:
    """Unpadded base64url, strictly: push keys and JWT parts never contain anything else."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*=*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Delivery:
    """A push the double accepted (answered 201): verified, decrypted, and with the headers the sender chose."""

    endpoint: str
    payload: bytes
    ttl: int
    urgency: str | None
    topic: str | None
    claims: dict[str, Any]
    received_at: float

    def json(self) -> Any:
        """The payload as JSON - what the service worker's ``event.data.json()`` would see."""
        return json.loads(self.payload)


@dataclass(frozen=True)
class Rejection:
    """A request the double refused because it was malformed or unauthorised; a real service would drop it too."""

    endpoint: str
    status: int
    reason: str
    received_at: float


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class _Subscription:
    """The browser's side of a subscription: the private key and auth secret the payload is encrypted to."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    script: deque[Answer] = field(default_factory=deque)
    gone: Answer | None = None


class PushDouble:
    """A strict, inspectable push service on 127.0.0.1 for one application server (one VAPID key)."""

    def __init__(self, vapid_public_key: str) -> None:
        """``vapid_public_key``: the app server's key as browsers get it in ``applicationServerKey`` -
        base64url of the raw uncompressed P-256 point (65 bytes). Pushes signed by any other key are refused."""
        raw = _b64url_decode(vapid_public_key)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("vapid_public_key must be the 65-byte uncompressed P-256 point, base64url")
        self._vapid_raw = raw
        self._vapid_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        self._lock = threading.Condition()
        self._subscriptions: dict[str, _Subscription] = {}
        self._deliveries: list[Delivery] = []
        self._rejections: list[Rejection] = []
        self._attempts = 0
        self._open = threading.Event()  # cleared: the service hangs, answering nobody until released
        self._open.set()
        self._waiting = 0
        self._origin: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> PushDouble:
        """Serve on a free port of 127.0.0.1 from a private thread and event loop; returns self for chaining."""
        if self._thread is not None:
            raise RuntimeError("PushDouble already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # bound here, so the port is known and ours before the thread runs
        self._origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="push-double", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(sock), loop).result(timeout=10)
        return self

    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=1024 * 1024)  # oversize bodies must reach us to be answered 413
        app.router.add_route("*", "/push/{token}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    def stop(self) -> None:
        """Close the server and its loop; recorded deliveries and rejections stay readable."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self.release()  # a hanging request would hold up the server's cleanup
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=10)
            self._runner = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> PushDouble:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>`` - also the exact ``aud`` a VAPID JWT for this service must carry."""
        if self._origin is None:
            raise RuntimeError("PushDouble not started")
        return self._origin

    # -- the browser's side ----------------------------------------------------------------------------------------

    def new_subscription(self) -> dict[str, Any]:
        """Subscribe like a browser: a fresh P-256 key pair and 16-byte auth secret, and an unguessable endpoint.

        Returns the ``PushSubscription.toJSON()`` shape the app stores: ``{"endpoint", "keys": {"p256dh", "auth"}}``.
        """
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth_secret = secrets.token_bytes(16)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._subscriptions[token] = _Subscription(private_key, auth_secret)
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{token}",
            "keys": {"p256dh": _b64url_encode(public), "auth": _b64url_encode(auth_secret)},
        }

    def script(self, endpoint: str, *responses: int | tuple[int, dict[str, str]]) -> None:
        """Queue the next answers for ``endpoint``, e.g. ``script(ep, (429, {"Retry-After": "2"}), 201)``.

        They are given only to requests that pass every check (so a scripted 429 still proves the push was valid)
        and are not recorded as deliveries, except a scripted 201. Once used up the double answers 201 again,
        but a scripted 404 or 410 means "gone forever": from then on that endpoint keeps answering it.
        """
        sub = self._subscription(endpoint)
        with self._lock:
            for response in responses:
                status, headers = (response, {}) if isinstance(response, int) else response
                sub.script.append((status, dict(headers)))

    def _subscription(self, endpoint: str) -> _Subscription:
        prefix = f"{self.origin}/push/"
        token = endpoint[len(prefix) :] if endpoint.startswith(prefix) else None
        with self._lock:
            if token is None or token not in self._subscriptions:
                raise KeyError(f"not a subscription of this push double: {endpoint}")
            return self._subscriptions[token]

    def hang(self) -> None:
        """Stop answering: every request (already read, so it counts as an attempt) waits until :meth:`release`,
        as an overloaded or broken push service does; the sender's own timeout is what ends it."""
        self._open.clear()

    def release(self) -> None:
        """Answer again, the waiting requests first. A request whose sender hung up while it waited is not
        delivered: it is kept as a rejection as soon as the double notices."""
        self._open.set()

    @property
    def waiting(self) -> int:
        """Requests held by :meth:`hang` right now."""
        with self._lock:
            return self._waiting

    # -- what happened ---------------------------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        """Snapshot of the accepted (201) pushes, oldest first."""
        with self._lock:
            return list(self._deliveries)

    @property
    def rejections(self) -> list[Rejection]:
        """Snapshot of the requests refused as malformed or unauthorised, with the reason."""
        with self._lock:
            return list(self._rejections)

    @property
    def attempts(self) -> int:
        """Every request received, including refused ones and scripted failures."""
        with self._lock:
            return self._attempts

    def wait_for(self, n: int, timeout: float = 10) -> list[Delivery]:
        """Block until at least ``n`` deliveries arrived and return them; fails with what was refused instead.

        In an async test whose own loop runs the sender, use :meth:`wait_for_async` so the loop is not blocked.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._deliveries) >= n, timeout):
                raise TimeoutError(
                    f"expected {n} deliveries within {timeout}s, got {len(self._deliveries)} "
                    f"after {self._attempts} attempts; rejections: {self._rejections!r}"
                )
            return list(self._deliveries)

    async def wait_for_async(self, n: int, timeout: float = 10) -> list[Delivery]:  # noqa: ASYNC109
        """:meth:`wait_for` in a worker thread, leaving the calling event loop free to send.

        ``timeout`` is the thread's own deadline; ``asyncio.timeout`` could not interrupt a blocked thread.
        """
        return await asyncio.to_thread(self.wait_for, n, timeout)

    # -- the push service's side -----------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        received_at = time.time()
        body = await request.read()
        endpoint = f"{self.origin}/push/{request.match_info['token']}"
        with self._lock:
            self._attempts += 1
            sub = self._subscriptions.get(request.match_info["token"])
        if not self._open.is_set():
            with self._lock:
                self._waiting += 1
            try:
                # In a thread, so this loop stays free to answer other requests; until released or hung up on.
                while not await asyncio.to_thread(self._open.wait, 0.05):
                    if request.transport is None or request.transport.is_closing():
                        break
            finally:
                with self._lock:
                    self._waiting -= 1
            if request.transport is None or request.transport.is_closing():  # the sender stopped waiting
                with self._lock:
                    self._rejections.append(Rejection(endpoint, 0, "the sender hung up while we hung", received_at))
                return web.Response(status=504)
        try:
            if request.method != "POST":
                raise _Refused(405, f"method {request.method} not allowed")
            if sub is None:
                raise _Refused(404, "unknown subscription")
            claims = self._check_authorization(request.headers.get("Authorization", ""), received_at)
            ttl, urgency, topic = self._check_headers(request, body)
            try:
                payload = http_ece.decrypt(
                    body, private_key=sub.private_key, auth_secret=sub.auth_secret, version="aes128gcm"
                )
            except Exception as exc:  # http_ece raises ECEException, InvalidTag, ValueError, struct.error...
                raise _Refused(400, f"cannot decrypt payload: {type(exc).__name__} {exc}") from exc
        except _Refused as refused:
            with self._lock:
                self._rejections.append(Rejection(endpoint, refused.status, refused.reason, received_at))
            return web.Response(status=refused.status, text=refused.reason)

        with self._lock:
            status, headers = sub.gone or (sub.script.popleft() if sub.script else (201, {}))
            if status in GONE_FOREVER:
                sub.gone = (status, headers)
            if status == 201:
                self._deliveries.append(Delivery(endpoint, payload, ttl, urgency, topic, claims, received_at))
                self._lock.notify_all()
        if status == 201:
            headers = {"Location": f"{self.origin}/message/{uuid.uuid4().hex}", "TTL": str(ttl), **headers}
        return web.Response(status=status, headers=headers)

    def _check_authorization(self, header: str, now: float) -> dict[str, Any]:
        """RFC 8292: ``vapid t=<JWT>, k=<key>``, signed ES256 by the expected key, for this origin, not expired."""
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            raise _Refused(401, f"Authorization scheme is not vapid: {header[:40]!r}")
        parts: dict[str, str] = {}
        for item in params.split(","):
            name, sep, value = item.strip().partition("=")
            if sep:
                parts[name.strip().lower()] = value.strip()
        if "t" not in parts or "k" not in parts:
            raise _Refused(401, "Authorization lacks t= or k=")
        try:
            k = _b64url_decode(parts["k"])
        except (ValueError, binascii.Error) as exc:
            raise _Refused(401, "k is not base64url") from exc
        if k != self._vapid_raw:
            raise _Refused(403, "k is not the VAPID public key this subscription was made with")

        pieces = parts["t"].split(".")
        if len(pieces) != 3:
            raise _Refused(401, "t is not a JWS compact serialisation")
        try:
            jwt_header = json.loads(_b64url_decode(pieces[0]))
            claims = json.loads(_b64url_decode(pieces[1]))
            signature = _b64url_decode(pieces[2])
        except (ValueError, binascii.Error) as exc:
            raise _Refused(401, f"malformed JWT: {exc}") from exc
        if not isinstance(jwt_header, dict) or jwt_header.get("alg") != "ES256":
            raise _Refused(401, f"JWT alg must be ES256, header is {jwt_header!r}")
        if len(signature) != 64:  # JWS ES256 is raw r||s, not DER
            raise _Refused(401, f"ES256 signature must be 64 bytes, got {len(signature)}")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            self._vapid_key.verify(der, f"{pieces[0]}.{pieces[1]}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise _Refused(401, "JWT signature does not verify with the VAPID public key") from exc

        if not isinstance(claims, dict):
            raise _Refused(401, "JWT claims are not an object")
        if claims.get("aud") != self.origin:
            raise _Refused(401, f"aud {claims.get('aud')!r} is not this push service's origin {self.origin!r}")
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            raise _Refused(401, f"exp {exp!r} is not a number")
        if exp <= now:
            raise _Refused(401, f"JWT expired {now - exp:.0f}s ago")
        if exp > now + MAX_EXP_AHEAD:
            raise _Refused(401, f"exp is {exp - now:.0f}s ahead, more than 24 h")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise _Refused(401, f"sub {sub!r} is neither a mailto: nor an https: URL")
        return claims

    @staticmethod
    def _check_headers(request: web.Request, body: bytes) -> tuple[int, str | None, str | None]:
        """RFC 8030 headers and the RFC 8291 body; returns (ttl, urgency, topic)."""
        ttl_text = request.headers.get("TTL")
        if ttl_text is None or not re.fullmatch(r"[0-9]+", ttl_text.strip()):
            raise _Refused(400, f"TTL must be a non-negative integer, got {ttl_text!r}")
        encoding = request.headers.get("Content-Encoding")
        if encoding != "aes128gcm":
            raise _Refused(415, f"Content-Encoding must be aes128gcm, got {encoding!r}")
        urgency = request.headers.get("Urgency")
        if urgency is not None and urgency not in URGENCIES:
            raise _Refused(400, f"Urgency must be one of {sorted(URGENCIES)}, got {urgency!r}")
        topic = request.headers.get("Topic")
        if topic is not None and not TOPIC_RE.fullmatch(topic):
            raise _Refused(400, f"Topic must be 1-32 base64url characters, got {topic!r}")
        if len(body) > MAX_BODY:
            raise _Refused(413, f"body is {len(body)} bytes, more than {MAX_BODY}")
        if not body:
            raise _Refused(400, "empty body: this double expects an encrypted payload")
        return int(ttl_text), urgency, topic
