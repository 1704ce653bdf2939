"""The service worker script: checked on every navigation, so an unchanged one costs a 304, not a download."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace

from server.content import catalog as content_catalog
from tests.support import app_client, enrol


async def test_an_unchanged_worker_is_answered_with_304(app, db):
    async with app_client(app) as client:
        first = await client.get("/sw.js")
        assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
        etag = first.headers["etag"]
        assert etag.startswith('"') and len(first.content) > 1000
        again = await client.get("/sw.js", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        other = await client.get("/sw.js", headers={"If-None-Match": '"an-older-deploy"'})
        assert other.status_code == 200 and other.content == first.content


async def test_it_is_given_the_app_paths_it_needs_by_route_name(app, db):
    async with app_client(app) as client:
        source = (await client.get("/sw.js")).text
    config, _ = json.JSONDecoder().raw_decode(source, source.index("const CONFIG = ") + len("const CONFIG = "))
    paths = config["paths"]
    assert paths["events"] == app.route_reverse("engagement:events")
    assert paths["reminderAction"] == app.route_reverse("reminders:action")
    assert paths["start"] == app.route_reverse("content:start")
    assert paths["library"] == app.route_reverse("content:library")
    assert paths["revision"] == app.route_reverse("content:revision")
    assert {p["url"] for p in config["precache"]} >= {app.route_reverse("pwa:manifest")}
    # Her own pages may be kept for offline use; nothing else is.
    kept = ["/", "/home", "/library", "/support", "/about", "/settings", "/pause", "/pauses/mine", "/pauses/unit",
            "/pauses/a-pause", "/exercises/a-practice", "/exercises/a-practice/play", "/exercises/a-practice/done",
            "/exercises/a-practice/thanks", "/wellbeing", "/course", "/support/staff"]
    never = ["/workspace", "/workspace/content", "/settings/withdraw", "/settings/my-data.json", "/reminders",
             "/wellbeing/checkin", "/pause/go", "/exercises/a-practice/rating", "/j/a-code", "/homes"]
    assert [p for p in kept if not re.fullmatch(paths["pages"], p)] == []
    assert [p for p in never if re.fullmatch(paths["pages"], p)] == []
    assert re.fullmatch(paths["audio"], "/audio/calm.wav") and not re.fullmatch(paths["audio"], "/audio/")


async def test_the_installed_app_starts_at_her_home_named_by_its_route(app, db):
    async with app_client(app) as client:
        response = await client.get(app.route_reverse("pwa:manifest"))
    manifest = response.json()
    assert response.headers["content-type"].startswith("application/manifest+json")
    assert manifest["start_url"] == app.route_reverse("journeys:home")
    assert manifest["display"] == "standalone" and manifest["lang"] == "da" and manifest["icons"]


async def test_the_offline_page_is_precached_from_its_route_with_links_by_name(app, db):
    offline = app.route_reverse("pwa:offline")
    async with app_client(app) as client:  # nobody's phone: the worker fetches it as it installs
        source = (await client.get("/sw.js")).text
        page = await client.get(offline)
    config, _ = json.JSONDecoder().raw_decode(source, source.index("const CONFIG = ") + len("const CONFIG = "))
    assert config["offline"] == offline
    revision = hashlib.blake2b(page.content, digest_size=8).hexdigest()
    assert {"url": offline, "revision": revision} in config["precache"]  # a new page is a new worker
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in page.headers  # the same bytes for everyone
    assert f'href="{app.route_reverse("journeys:home")}"' in page.text
    assert f'href="{app.route_reverse("content:library")}"' in page.text
    assert "Ingen forbindelse lige nu" in page.text and "No connection right now" in page.text


async def test_a_filtered_list_never_kept_offline_gets_a_page_saying_filters_need_the_network(app, db):
    offline = app.route_reverse("pwa:offline")
    async with app_client(app) as client:
        source = (await client.get("/sw.js")).text
        page = await client.get(offline, params={"filters": "1"})
        plain = await client.get(offline)
    config, _ = json.JSONDecoder().raw_decode(source, source.index("const CONFIG = ") + len("const CONFIG = "))
    assert config["offlineFilters"] == f"{offline}?filters=1"
    revision = hashlib.blake2b(page.content, digest_size=8).hexdigest()
    assert {"url": config["offlineFilters"], "revision": revision} in config["precache"]
    assert "Filtrene kræver net" in page.text and "Filters need the network" in page.text
    assert f'href="{app.route_reverse("content:library")}"' in page.text
    assert "Filtrene kræver net" not in plain.text


async def test_it_tells_the_worker_the_published_content_revision_in_a_few_bytes(app, db):
    current = content_catalog.get_catalog()
    async with app_client(app) as client:
        await enrol(client)
        first = await client.get(app.route_reverse("content:revision"))
        content_catalog.set_catalog(replace(current, revision=current.revision + 7))  # an editor published
        try:
            after = await client.get(app.route_reverse("content:revision"))
        finally:
            content_catalog.set_catalog(current)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    assert first.json() == {"revision": current.revision} and len(first.content) < 40
    assert after.json() == {"revision": current.revision + 7}
