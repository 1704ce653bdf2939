"""What the service worker precaches (the offline page among it), the app paths it needs, and the version that
changes whenever any of it does.

Computed once per process from the files' contents and the app's routes: a deploy that changes any asset
(or moves a route) changes the version, so the browser sees a new service worker and installs it quietly in
the background.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from typing import NamedTuple

from litestar import Litestar

from server.lib.paths import route_path
from server.lib.templates import PWA_DIR, render_for_everyone, static_url

# The app shell: everything a saved page needs to render and run offline (and the offline page, below).
SHELL = (
    "css/app.css", "js/app.js", "js/outbox.js", "js/outbox-core.js", "js/recovery.js",
    "js/player.js", "js/pwa.js", "js/forget.js", "js/reminders.js", "js/sw-push.js",
    "js/vendor/htmx.min.js", "icons/icon.svg", "icons/icon-192.png", "manifest.webmanifest",
    # The player's guidance by sound (≈ 29 KB of sound, made by tools/make_sounds.py): bells offline too.
    "js/guidance.js", "js/learning.js", "sounds/bell.mp3", "sounds/bell-end.mp3", "sounds/carrier.mp3",
)
WORKBOX = ("workbox-sw", "workbox-core", "workbox-routing", "workbox-strategies", "workbox-precaching",
           "workbox-range-requests", "workbox-cacheable-response", "workbox-expiration")

# Her own pages, the only ones the worker keeps for offline use: staff workspaces and other people's data
# are never cached. By route name; a slug stands for any exercise or pause.
OFFLINE_PAGES = (
    "content:start", "journeys:home", "content:library", "content:support", "content:about",
    "participants:settings", "staff:home", "staff:mine", "staff:unit", "staff:pause", "staff:support",
    "content:exercise", "content:play", "content:done", "content:thanks",
    "wellbeing:history", "journeys:course",
    # The staff e-learning course: the list, a course, its lessons and the certificate, kept once opened.
    "learning:courses", "learning:course", "learning:lesson", "learning:certificate",
)
_ANY = "ANY"  # stands for a path parameter while a route's path becomes a pattern (paths are lower case)
_SLUG = "[a-z0-9-]+"


class ServiceWorker(NamedTuple):
    version: str
    source: bytes


def _digest(path: str) -> str:
    return _digest_of((PWA_DIR / path).read_bytes())


def _digest_of(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=8).hexdigest()


@cache
def offline_page(app: Litestar, filters: bool = False) -> bytes:
    """The page shown for a page never saved, while offline; once per app, so its precache revision is a
    digest of the very bytes served. ``filters``: its version for a filtered library list the phone has not
    kept, which says that filters need the network."""
    return render_for_everyone(app, "pwa/offline.html", filters=filters).encode()


FILTERS_QUERY = "?filters=1"  # the offline page's address for its filters version


def _module_path(name: str) -> str:
    return f"js/vendor/workbox/{name}.js" if name == "workbox-sw" else f"js/vendor/workbox/{name}.prod.js"


def _pattern(app: Litestar, route: str, segment: str, **parameters: str) -> str:
    """A route's path as a regular expression (for the worker, in JavaScript), each parameter any ``segment``."""
    return re.escape(route_path(app, route, **parameters)).replace(_ANY, segment)


def worker_paths(app: Litestar) -> dict[str, str]:
    """The app's paths the worker and its imported scripts need, from the routes' names."""
    pages = "|".join(_pattern(app, name, _SLUG, slug=_ANY) for name in OFFLINE_PAGES)
    return {
        "pages": f"^(?:{pages})$",
        "audio": f"^{_pattern(app, 'content:audio', '[^/]+', name=_ANY)}$",
        "events": app.route_reverse("engagement:events"),
        "reminderAction": app.route_reverse("reminders:action"),
        "renew": app.route_reverse("reminders:renew"),
        "pushKey": app.route_reverse("reminders:key"),
        "start": app.route_reverse("content:start"),
        "library": app.route_reverse("content:library"),
        "revision": app.route_reverse("content:revision"),
    }


@cache
def service_worker(app: Litestar) -> ServiceWorker:
    """sw.js with its configuration filled in; once per app (one in production), since routes do not move."""
    manifest, offline = app.route_reverse("pwa:manifest"), app.route_reverse("pwa:offline")
    precache = [{"url": manifest if p == "manifest.webmanifest" else f"/static/{p}", "revision": _digest(p)}
                for p in SHELL]
    precache.append({"url": offline, "revision": _digest_of(offline_page(app))})
    precache.append({"url": offline + FILTERS_QUERY, "revision": _digest_of(offline_page(app, filters=True))})
    # Under the same ?v= as every page's links, so that they are served immutable (server.plugins).
    modules = {name: static_url(_module_path(name)) for name in WORKBOX}
    for name in ("outbox-core", "sw-push"):
        modules[name] = static_url(f"js/{name}.js")
    paths = worker_paths(app)
    template = (PWA_DIR / "sw.js").read_text()
    version = hashlib.blake2b(json.dumps([precache, modules, paths, template]).encode(), digest_size=6).hexdigest()
    config = {"version": version, "precache": precache, "modules": modules, "offline": offline,
              "offlineFilters": offline + FILTERS_QUERY, "paths": paths}
    start, end = template.index("/*CONFIG*/"), template.index("/*END*/") + len("/*END*/")
    return ServiceWorker(version, (template[:start] + json.dumps(config) + template[end:]).encode())
