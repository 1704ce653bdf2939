"""Byte ranges (RFC 9110 §14): the one reading of a ``Range`` header, for exercise audio and for static files.

iOS Safari plays media only from a server that answers a range request with 206 Partial Content, and the
static file router answers every request whole. ``StaticRangeMiddleware`` answers a single range of a small
static file (the player's bells are a few KB) from the whole response; anything else passes through as is.
"""

from __future__ import annotations

import re

from litestar.types import ASGIApp, Message, Receive, Scope, Send

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MAX_RANGED_BYTES = 1_000_000  # larger static files are answered whole (we serve none that large as media)


class Unsatisfiable(Exception):
    """The range lies outside the file: 416."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte, both included, of the one range asked for; None when no single byte range is asked
    (the whole file is the answer). Raises Unsatisfiable for a range outside the file."""
    match = _RANGE.match((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "":  # bytes=-N: the last N bytes
        start, end = max(0, size - int(last or 0)), size - 1
    else:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    if start >= size or start > end:
        raise Unsatisfiable
    return start, end


class StaticRangeMiddleware:
    """A single range of a small static file as 206 (or 416); whole files, other statuses and large files pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"range"), None)
        if scope["type"] != "http" or scope.get("method") != "GET" or header is None:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        passing = False
        chunks: list[bytes] = []

        async def ranged(message: Message) -> None:
            nonlocal start, passing
            if message["type"] == "http.response.start":
                length = next((int(v) for k, v in message.get("headers", []) if k.lower() == b"content-length"), None)
                # A range counts bytes of the file itself, so a compressed answer (the compression middleware runs
                # inside this one) goes out whole. Browsers ask for media with "Accept-Encoding: identity".
                encoded = any(k.lower() == b"content-encoding" for k, _ in message.get("headers", []))
                passing = message["status"] != 200 or length is None or length > MAX_RANGED_BYTES or encoded
                if passing:
                    await send(message)
                else:
                    start = message
                return
            if passing or message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                await _answer(send, start, b"".join(chunks), header)

        await self.app(scope, receive, ranged)


async def _answer(send: Send, start: Message, body: bytes, header: str) -> None:
    kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"accept-ranges")]
    size = len(body)
    try:
        span = byte_range(header, size)
    except Unsatisfiable:
        status, part, extra = 416, b"", [(b"content-range", f"bytes */{size}".encode())]
    else:
        if span is None:
            status, part, extra = 200, body, []
        else:
            status, part = 206, body[span[0]: span[1] + 1]
            extra = [(b"content-range", f"bytes {span[0]}-{span[1]}/{size}".encode())]
    headers = [*kept, *extra, (b"accept-ranges", b"bytes"), (b"content-length", str(len(part)).encode())]
    await send({**start, "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": part, "more_body": False})
