"""What the service worker precaches, and the version that changes whenever any of it does.

Computed once per process from the files' contents: a deploy that changes any asset changes the
version, so the browser sees a new service worker and installs it quietly in the background.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from server.lib.templates import PWA_DIR

# The app shell: everything a saved page needs to render and run offline.
SHELL = (
    "offline.html", "css/app.css", "js/app.js", "js/outbox.js", "js/outbox-core.js", "js/recovery.js",
    "js/player.js", "js/pwa.js", "js/forget.js", "js/reminders.js", "js/sw-push.js",
    "js/vendor/htmx.min.js", "icons/icon.svg", "icons/icon-192.png", "manifest.webmanifest",
)
WORKBOX = ("workbox-sw", "workbox-core", "workbox-routing", "workbox-strategies", "workbox-precaching",
           "workbox-range-requests", "workbox-cacheable-response", "workbox-expiration")


def _digest(path: str) -> str:
    return hashlib.blake2b((PWA_DIR / path).read_bytes(), digest_size=8).hexdigest()


def _module_path(name: str) -> str:
    return f"js/vendor/workbox/{name}.js" if name == "workbox-sw" else f"js/vendor/workbox/{name}.prod.js"


@cache
def service_worker_source() -> bytes:
    precache = [{"url": "/manifest.webmanifest" if p == "manifest.webmanifest" else f"/static/{p}",
                 "revision": _digest(p)} for p in SHELL]
    modules = {name: f"/static/{_module_path(name)}?v={_digest(_module_path(name))}" for name in WORKBOX}
    for name in ("outbox-core", "sw-push"):
        modules[name] = f"/static/js/{name}.js?v={_digest(f'js/{name}.js')}"
    template = (PWA_DIR / "sw.js").read_text()
    version = hashlib.blake2b(json.dumps([precache, modules, template]).encode(), digest_size=6).hexdigest()
    config = {"version": version, "precache": precache, "modules": modules, "offline": "/static/offline.html"}
    start, end = template.index("/*CONFIG*/"), template.index("/*END*/") + len("/*END*/")
    return (template[:start] + json.dumps(config) + template[end:]).encode()


def shell_version() -> str:
    source = service_worker_source().decode()
    return json.loads(source[source.index("{"):source.index("};") + 1])["version"]
