"""Where reminders may be sent: only to real push services, never to an address a participant makes up.

A push endpoint is chosen by the browser, but it reaches us in a request anyone can write; the sender then
POSTs to it with our signed VAPID token. So an endpoint is used only when it is ``https://`` (port 443) at a
host of a known push service — Google FCM, Mozilla, Apple, Microsoft, and what ``PUSH_SERVICE_HOSTS`` adds —
never an IP literal, user info or another port. Outside production the local push double of the tests
(``http://127.0.0.1:<port>``) is accepted too.

The rule is checked where a subscription is stored (``services.unusable``), again before every send, and by
the sender's HTTP session on every request it makes (a redirect included); that session's resolver also
refuses a push host whose name resolves to a private, loopback or otherwise non-public address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_middlewares import ClientHandlerType
from aiohttp.client_reqrep import ClientRequest, ClientResponse

from server.settings import get_settings

# The push services browsers use (exact hosts, and suffixes: a leading dot means "any host under").
KNOWN_PUSH_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Samsung Internet, Opera (Firebase Cloud Messaging)
    "updates.push.services.mozilla.com", ".push.services.mozilla.com",  # Firefox (autopush)
    ".push.apple.com",  # Safari, and every browser on iOS (web.push.apple.com)
    ".notify.windows.com",  # Edge on Windows (WNS)
)
MAX_LENGTH = 1024
_HTTPS = re.compile(r"^https://(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::443)?/[!-~]*$")
_LOCAL = re.compile(r"^http://(?:127\.0\.0\.1|localhost):[0-9]{1,5}/[!-~]*$")
NOT_HTTPS = "endpoint is not an https address of at most 1024 characters"
NOT_A_PUSH_SERVICE = "endpoint is not at a known push service"


def push_hosts() -> tuple[str, ...]:
    return KNOWN_PUSH_HOSTS + get_settings().push_service_hosts


def known_host(host: str, hosts: tuple[str, ...]) -> bool:
    """An exact host, or one under a suffix (``.push.apple.com`` takes ``web.push.apple.com``)."""
    return any(host.endswith(h) if h.startswith(".") else host == h for h in hosts)


def endpoint_problem(endpoint: str) -> str | None:
    """Why no reminder may go to ``endpoint`` (for developers; it starts with ``endpoint``), or None."""
    local = not get_settings().production and endpoint.startswith(("http://127.0.0.1:", "http://localhost:"))
    if len(endpoint) > MAX_LENGTH or not (local or endpoint.lower().startswith("https://")):
        return NOT_HTTPS
    if local:  # the tests' push double on this machine
        return None if _LOCAL.match(endpoint) else NOT_A_PUSH_SERVICE
    match = _HTTPS.match(endpoint.lower())
    if match is None or _ip_literal(match["host"]) or not known_host(match["host"], push_hosts()):
        return NOT_A_PUSH_SERVICE
    return None


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class NotAPushService(aiohttp.ClientError):
    """The sender was about to ask something that is not a push service (a redirect, a private address)."""


async def only_push_services(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
    """Every request of the sender's session, a redirect's included, goes to a push service or nowhere."""
    if endpoint_problem(str(request.url)) is not None:
        raise NotAPushService(f"not a push service: {request.url.host}")
    return await handler(request)


class PublicAddressesOnly(AbstractResolver):
    """Resolves as usual, then keeps only public addresses: a push host that resolves to a private network
    is not reached (in development, loopback is kept for the push double at ``localhost``)."""

    def __init__(self, *, loopback: bool) -> None:
        self._inner = aiohttp.DefaultResolver()
        self._loopback = loopback

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = [r for r in await self._inner.resolve(host, port, family) if self._allowed(r["host"])]
        if not found:
            raise OSError(f"{host} has no public address")
        return found

    def _allowed(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return ip.is_global or (self._loopback and ip.is_loopback)

    async def close(self) -> None:
        await self._inner.close()


def push_session(**options: Any) -> aiohttp.ClientSession:
    """The HTTP session every sender uses: it reaches push services and nothing else."""
    connector = aiohttp.TCPConnector(resolver=PublicAddressesOnly(loopback=not get_settings().production),
                                     **options)
    return aiohttp.ClientSession(connector=connector, middlewares=(only_push_services,))
