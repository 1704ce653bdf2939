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

from litestar import Request, Response


@dataclass(frozen=True, slots=True)
class CachedPage:
    html: bytes
    gzipped: bytes


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


def cached_response(request: Request, page: CachedPage, vary: str) -> Response:
    headers = {"vary": f"Accept-Encoding, {vary}", "cache-control": "private, no-cache"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(content=page.gzipped, media_type="text/html; charset=utf-8", headers=headers)
    return Response(content=page.html, media_type="text/html; charset=utf-8", headers=headers)
