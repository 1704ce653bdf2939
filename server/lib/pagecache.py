"""Rendered pages of published content, kept in memory and pre-compressed.

Published content is immutable, so a page that shows only content (no per-person token or answer) is
the same for everyone who shares its key: the catalog revision, the language, the audience and the
filters. Rendering and compressing it once turns the library into a dictionary lookup.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from litestar.types import Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class CachedPage:
    html: bytes
    gzipped: bytes


class RawResponse:
    """An ASGI response from prebuilt parts: Litestar passes handlers annotated ``-> ASGIApp`` through.

    The start message is built fresh per request because middlewares add headers to it in place.
    """

    __slots__ = ("body", "headers")

    def __init__(self, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.body = body
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body})


class PageCache:
    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()

    def get(self, key: Hashable, render: Callable[[], str]) -> CachedPage:
        page = self._pages.get(key)
        if page is None:
            html = render().encode()
            page = CachedPage(html, gzip.compress(html, compresslevel=9, mtime=0))
            self._pages[key] = page
            if len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)
        return page

    def clear(self) -> None:
        self._pages.clear()


def cached_response(scope: Scope, page: CachedPage, vary: str) -> RawResponse:
    gzipped = any(name == b"accept-encoding" and b"gzip" in value for name, value in scope["headers"])
    body = page.gzipped if gzipped else page.html
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"vary", f"Accept-Encoding, {vary}".encode()), (b"cache-control", b"private, no-cache")]
    if gzipped:
        headers.append((b"content-encoding", b"gzip"))
    return RawResponse(body, headers)
