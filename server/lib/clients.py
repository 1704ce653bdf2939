"""Who is asking, as an address: the one place that decides whether a forwarded header is believed.

Throttles and limits key on the client's address. Behind a reverse proxy the socket's peer is the proxy,
so every visitor would share one address (one visitor's misses would throttle everyone); but a header
such as ``X-Forwarded-For`` is written by whoever sends the request, so believing it from anyone would let
a visitor pick a fresh address for every try. Hence: the header is read only when the peer is one of
``TRUSTED_PROXIES``, and then from the right, where the trusted proxies appended what they saw, skipping
those proxies themselves; the first address that is not one of them is the client.

Only ``X-Forwarded-For`` is read, never ``Forwarded``: a proxy that writes one of them passes the other
through from the client untouched, so believing both would let the client forge the one not written.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from server.settings import get_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
_MOST_HOPS = 20  # proxies in front of us are few; a longer header is someone's padding, not a path
_MOST_CHARS = 4096


def parse_address(text: str) -> Address | None:
    """An address from one header entry (``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:80``), else None."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text, closed, _port = text[1:].partition("]")
        if not closed:
            return None
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen through a dual-stack socket is the same client as plain IPv4.
    return (address.ipv4_mapped or address) if isinstance(address, ipaddress.IPv6Address) else address


def _trusted(address: Address | None, proxies: Iterable[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def address_from(peer: str | None, forwarded_for: Iterable[str], proxies: tuple[Network, ...]) -> str:
    """The client's address, given the socket's peer, the X-Forwarded-For values in the order received,
    and the trusted proxies. Never raises: a header that cannot be read leaves the last address we can
    vouch for (a trusted proxy's), so a malformed value cannot pick an address either."""
    if not peer:
        return UNKNOWN
    current = parse_address(peer)
    if not proxies or not _trusted(current, proxies):
        return str(current) if current else peer
    joined = ",".join(forwarded_for)[-_MOST_CHARS:]
    for entry in reversed(joined.split(",")[-_MOST_HOPS:]):
        hop = parse_address(entry)
        if hop is None:
            break
        current = hop
        if not _trusted(hop, proxies):
            break
    return str(current)


def client_address(connection: Any) -> str:
    """The client's address for a request (a Litestar ``Request``/``ASGIConnection`` or an ASGI scope)."""
    scope = connection if isinstance(connection, dict) else connection.scope
    client = scope.get("client")
    values = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"]
    return address_from(client[0] if client else None, values, get_settings().trusted_proxies)
