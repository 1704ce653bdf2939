"""The library: every practice for her audience, filtered by chips, with what she has done marked and what
she used last on top.

It lives with the pages that span domains because it reads published content (the catalog) and her own
events (engagement). Its route keeps the name ``content:library`` that every template links by.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.types import ASGIApp

from server.content.catalog import get_catalog
from server.content.schemas import DURATIONS, KINDS, TAGS
from server.engagement.history import practised
from server.lib.guards import DEVICE, ThisDevice, requires_device
from server.lib.i18n import gettext
from server.lib.pagecache import PageCache, cached_response
from server.lib.paths import route_path
from server.lib.templates import render_page
from server.lib.text import sort_key

_pages = PageCache()
FILTERS = ("kind", "duration", "tag")


def chip_links(base: str, chosen: dict[str, str]) -> Callable[[str, str], str]:
    """The link of one chip: the other chosen filters kept, this one chosen, or dropped when it already is
    (so a second tap on a chip undoes it). Plain links: they work without JavaScript and each filtered list
    is a page of its own that the phone can keep."""
    def link(name: str, value: str) -> str:
        query = {**chosen, name: "" if chosen[name] == value else value}
        encoded = urlencode([(k, query[k]) for k in FILTERS if query[k]])
        return f"{base}?{encoded}" if encoded else base
    return link


class LibraryController(Controller):
    dependencies = {"device": DEVICE}

    @get("/library", name="content:library", opt={"skip_compression": True}, exclude_from_csrf=True,
         guards=[requires_device])
    async def library(self, request: Request, device: ThisDevice, kind: FromQuery[str] = "",
                      duration: FromQuery[str] = "", tag: FromQuery[str] = "") -> ASGIApp:
        catalog = get_catalog()
        # Unknown filter values are ignored rather than refused: they come from old links and bookmarks.
        chosen = {"kind": kind if kind in KINDS else "",
                  "duration": duration if duration in {d[0] for d in DURATIONS} else "",
                  "tag": tag if tag in TAGS else ""}
        # Her marks are part of the key: the page stays one dictionary lookup once rendered, at the price of
        # one grouped read of her own events per visit.
        mine = await practised(device.participant_id, catalog)
        key = (catalog.revision, device.language, device.kind, *chosen.values(), mine)

        def render() -> str:
            exercises = catalog.library(device.kind, device.language, kind=chosen["kind"] or None,
                                        duration=chosen["duration"] or None, tag=chosen["tag"] or None)
            kinds = sorted({e.kind for e in catalog.for_audience(device.kind)}, key=list(KINDS).index)
            # In her language's alphabetical order (Danish: æ, ø, å after z), not by the keys' English names.
            tags = sorted(catalog.tags_in_use(device.kind), key=lambda t: sort_key(gettext(TAGS[t])))
            recent = [catalog.exercises[s] for s in mine.recent if device.kind in catalog.exercises[s].audience]
            return render_page(request, "content/library.html", exercises=exercises, kinds=kinds,
                               durations=DURATIONS, tags=tags, chosen=chosen, done=mine.done, recent=recent,
                               chip=chip_links(route_path(request.app, "content:library"), chosen))

        return cached_response(request.scope, _pages.get(key, render), vary="Cookie")
