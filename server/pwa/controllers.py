"""The installable app: the service worker (at the root, so its scope is the whole site), the manifest, and the
page the worker shows for a page it never saved while offline."""

from __future__ import annotations

import json
from functools import cache

from litestar import Litestar, Request, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromQuery
from litestar.response import Response

from server.lib.paths import route_path
from server.lib.templates import PWA_DIR
from server.pwa.assets import offline_page
from server.pwa.assets import service_worker as worker


@get("/sw.js", name="pwa:service_worker", include_in_schema=False, exclude_from_csrf=True,
     cache_control=CacheControlHeader(no_cache=True))
async def service_worker(request: Request) -> Response:
    """no-cache: the browser checks for a new worker on every navigation, so deploys reach phones quickly;
    the ETag makes that check a 304 of a few bytes when nothing changed (repeat visits on a poor network)."""
    script = worker(request.app)
    etag = f'"{script.version}"'
    headers = {"service-worker-allowed": "/", "etag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=script.source, media_type="text/javascript; charset=utf-8", headers=headers)


@get("/manifest.webmanifest", name="pwa:manifest", include_in_schema=False, exclude_from_csrf=True,
     cache_control=CacheControlHeader(no_cache=True))
async def manifest(request: Request) -> Response:
    """The file in pwa/, with the app's start page named by its route (her home; the start page sends
    staff on to their pauses)."""
    return Response(content=_manifest(request.app), media_type="application/manifest+json")


@get("/offline", name="pwa:offline", include_in_schema=False, exclude_from_csrf=True,
     cache_control=CacheControlHeader(no_cache=True))
async def offline(request: Request, filters: FromQuery[str] = "") -> Response:
    """Fetched by the worker when it installs and kept in its precache; the same bytes for everyone (no
    cookie, no language), so the worker's revision of it is theirs. ``?filters=1``: the version shown for a
    filtered library list the phone has not kept."""
    return Response(content=offline_page(request.app, filters=filters == "1"), media_type="text/html; charset=utf-8")


@cache
def _manifest(app: Litestar) -> bytes:
    data = json.loads((PWA_DIR / "manifest.webmanifest").read_text())
    data["start_url"] = route_path(app, "journeys:home")
    return json.dumps(data, ensure_ascii=False, indent=2).encode()
