"""Installable and offline: the manifest, a service worker that controls the page, practice without a network,
and an outbox that loses nothing across reloads."""

from __future__ import annotations

import re
import struct
import time
import urllib.request

import pytest

from tests.browser.conftest import assert_accessible, poll
from tests.browser.test_patient_flow import SHORT, enrol_in_danish

pytestmark = pytest.mark.browser
# The service worker's allowlist (given to it by server/pwa/assets.py): the only pages it may keep.
PARTICIPANT_PAGES = (r"/(home|library|support|about|settings|wellbeing|course"
                     r"|exercises/[a-z0-9-]+(/(play|done|thanks))?)?")


def png_size(url: str) -> tuple[int, int]:
    with urllib.request.urlopen(url) as response:
        head = response.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", url
    return struct.unpack(">II", head[16:24])


def wait_for_controller(page) -> None:
    poll(page, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")


def wait_until_cached(page, url: str) -> None:
    poll(page, "async (url) => { for (const k of await caches.keys()) { const c = await caches.open(k);"
               " if (await c.match(url)) return true; } return false; }", url)


def outbox_empty(page) -> None:
    poll(page, "async () => (await (await import('/static/js/outbox.js')).pending()) === 0", timeout=30)


def test_the_app_is_installable(page, live_server):
    manifest = page.request.get(f"{live_server.url}/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    for field in ("name", "short_name", "start_url", "scope", "lang", "theme_color", "background_color"):
        assert data[field], field
    assert data["display"] == "standalone"
    sizes = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in data["icons"]}
    assert png_size(live_server.url + sizes[("192x192", "any")]) == (192, 192)
    assert png_size(live_server.url + sizes[("512x512", "any")]) == (512, 512)
    assert png_size(live_server.url + sizes[("512x512", "maskable")]) == (512, 512)

    enrol_in_danish(page, live_server)
    assert page.locator("link[rel=manifest]").count() == 1
    assert page.locator("link[rel=apple-touch-icon]").count() == 1
    assert page.locator("meta[name=apple-mobile-web-app-capable]").count() == 1
    wait_for_controller(page)
    sw = page.request.get(f"{live_server.url}/sw.js")
    assert "no-cache" in sw.headers["cache-control"]

    # start_url opens offline once the app has been used online.
    page.goto(live_server.url + data["start_url"])
    wait_until_cached(page, live_server.url + data["start_url"])
    page.context.set_offline(True)
    page.goto(live_server.url + data["start_url"])
    assert page.locator("h1").first.text_content()
    assert "Ingen forbindelse" not in page.content()
    page.context.set_offline(False)


def test_a_practice_started_offline_finishes_and_its_events_arrive_later(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    page.goto(f"{live_server.url}/exercises/{SHORT}")
    wait_until_cached(page, f"{live_server.url}/exercises/{SHORT}/play")
    before = live_server.query("SELECT count(*) FROM event")[0][0]

    page.context.set_offline(True)
    page.goto(f"{live_server.url}/exercises/{SHORT}/play")
    page.click("[data-action=toggle]")
    page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
    page.click("label[for=rating-5]")
    page.click("[data-rating-form] button[type=submit]")
    page.wait_for_selector("[data-thanks]:not([hidden])")
    page.reload()  # still offline: the player still opens from the phone
    page.wait_for_selector("[data-stage]:not([hidden])")
    status = page.locator("[data-outbox-status]")
    status.wait_for(state="visible")
    assert live_server.query("SELECT count(*) FROM event")[0][0] == before, "nothing can arrive while offline"

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not live_server.query(
            "SELECT 1 FROM event WHERE type = 'rating_given' AND rating = 5"):
        time.sleep(0.2)
    types = {r[0] for r in live_server.query("SELECT type FROM event")}
    assert {"exercise_started", "exercise_completed", "rating_given"} <= types


def test_two_hundred_events_made_offline_across_reloads_arrive_exactly_once(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    outbox_empty(page)
    count = "SELECT count(*) FROM event WHERE participant = ? AND type = 'app_opened'"
    before = live_server.query(count, participant)[0][0]
    page.context.set_offline(True)
    for _ in range(4):
        page.reload()
        page.evaluate("""async () => {
            const outbox = await import('/static/js/outbox.js');
            for (let i = 0; i < 50; i++) await outbox.record('app_opened');
        }""")
    pending = page.evaluate("async () => (await import('/static/js/outbox.js')).pending()")
    assert pending == 200
    assert live_server.query(count, participant)[0][0] == before

    page.context.set_offline(False)
    page.reload()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and page.evaluate(
            "async () => (await import('/static/js/outbox.js')).pending()") > 0:
        time.sleep(0.2)
    rows = live_server.query("SELECT count(*), count(DISTINCT id) FROM event WHERE participant = ? "
                             "AND type = 'app_opened'", participant)[0]
    assert rows[0] == rows[1] == before + 200


def test_a_deploy_during_a_practice_waits_until_the_practice_is_over(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    precaches = "async () => (await caches.keys()).filter(k => k.startsWith('pusterum-precache'))"
    old = poll(page, precaches)
    page.goto(f"{live_server.url}/exercises/body-scan-10/play")
    page.evaluate("window.__samePage = true")
    page.click("[data-action=toggle]")

    live_server.redeploy(lambda pwa: (pwa / "css" / "app.css").write_text(
        (pwa / "css" / "app.css").read_text() + "\n/* deploy */\n"))
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    poll(page, "navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")

    # Mid-practice: nothing interrupts her.
    time.sleep(0.5)
    assert page.is_hidden("[data-update-banner]")
    assert page.evaluate("window.__samePage") is True
    assert page.is_visible("[data-stage]")

    while page.is_visible("[data-stage]"):
        page.click("[data-action=skip]")
    page.wait_for_selector("[data-update-banner]:not([hidden])")
    page.click("[data-update-banner] button")
    poll(page, "window.__samePage === undefined")  # reloaded under the new worker
    new = poll(page, f"async () => {{ const k = await ({precaches})(); return k.includes({old[0]!r}) ? null : k; }}")
    assert len(new) == 1 and new != old, "the new deploy's precache replaced the old one"


def test_events_survive_a_server_that_dies_in_the_middle_of_a_sync(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    outbox_empty(page)
    count = "SELECT count(*), count(DISTINCT id) FROM event WHERE participant = ? AND type = 'exercise_left'"
    # The network is driven through CDP here: Playwright's set_offline would reset the latency below.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")

    def network(offline: bool, latency: int = 0) -> None:
        cdp.send("Network.emulateNetworkConditions", {"offline": offline, "latency": latency,
                                                      "downloadThroughput": -1, "uploadThroughput": -1})

    network(offline=True)
    page.evaluate("""async () => {
        const outbox = await import('/static/js/outbox.js');
        for (let i = 0; i < 1000; i++) await outbox.record('exercise_left', {exercise_version: VERSION, seconds: i});
    }""".replace("VERSION", str(live_server.query(
        "SELECT published_version FROM content_item WHERE slug = 'body-scan-10'")[0][0])))
    # Back online on a slow mobile network: each batch of 200 takes a while, so the server can die between.
    network(offline=False, latency=400)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and live_server.query(count, participant)[0][0] == 0:
        time.sleep(0.02)
    try:
        live_server.stop()  # some batches are in, the rest are not
        stored_at_crash = live_server.query(count, participant)[0][0]
        assert 0 < stored_at_crash < 1000
        time.sleep(1)
    finally:
        live_server.serve()
    # The batches in flight at the crash are sent again, and every event sent counts against her limit of 1,000
    # a minute (LIMIT_EVENTS_PER_MINUTE): the last batches may get 429 and wait for the next minute, which the
    # outbox honours. Lossless either way, so the wait allows for a whole window.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and live_server.query(count, participant)[0][0] < 1000:
        time.sleep(0.3)
    assert live_server.query(count, participant)[0] == (1000, 1000)


def test_audio_seeks_offline_from_the_cache(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    page.goto(f"{live_server.url}/exercises/listen-for-a-moment")
    # The worker fetches the player page and the audio in parallel: wait for both.
    wait_until_cached(page, f"{live_server.url}/audio/calm.wav")
    wait_until_cached(page, f"{live_server.url}/exercises/listen-for-a-moment/play")
    page.context.set_offline(True)
    page.goto(f"{live_server.url}/exercises/listen-for-a-moment/play")
    whole = page.evaluate("fetch('/audio/calm.wav').then(r => r.arrayBuffer()).then(b => b.byteLength)")
    part = page.evaluate("""fetch('/audio/calm.wav', {headers: {Range: 'bytes=1000-1999'}})
        .then(async r => [r.status, r.headers.get('content-range'), (await r.arrayBuffer()).byteLength])""")
    assert part == [206, f"bytes 1000-1999/{whole}", 1000]
    seeked = page.evaluate("""() => new Promise((resolve) => {
        const audio = document.querySelector('audio');
        audio.addEventListener('seeked', () => resolve(audio.currentTime), {once: true});
        audio.addEventListener('error', () => resolve(-1), {once: true});
        audio.load();
        audio.addEventListener('loadedmetadata', () => { audio.currentTime = 1.5; }, {once: true});
    })""")
    assert seeked == pytest.approx(1.5, abs=0.1)


def test_background_sync_lets_the_worker_send_the_queue_itself(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    outbox_empty(page)
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    count = "SELECT count(*) FROM event WHERE participant = ? AND type = 'app_opened'"
    before = live_server.query(count, participant)[0][0]
    page.context.set_offline(True)
    page.evaluate("""async () => {
        const outbox = await import('/static/js/outbox.js');
        for (let i = 0; i < 20; i++) await outbox.record('app_opened');
        await outbox.flush();
    }""")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.sync.getTags())") == ["pusterum-outbox"]
    page.goto("about:blank")  # she has left the app: no page of ours is left to send anything
    page.context.set_offline(False)  # Chromium now fires the sync in the worker by itself

    def arrived(seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if live_server.query(count, participant)[0][0] >= before + 20:
                return True
            time.sleep(0.2)
        return False

    if not arrived(5):
        # Chromium decides when to fire; DevTools' "Sync" button fires it now, in the same worker.
        cdp = page.context.new_cdp_session(page)
        registrations: list[dict] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        page.wait_for_timeout(500)
        registration = next(r for r in registrations if not r["isDeleted"])
        cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": live_server.url, "registrationId":
                                                     registration["registrationId"], "tag": "pusterum-outbox",
                                                     "lastChance": False})
        assert arrived(20)
    assert live_server.query(count, participant)[0][0] == before + 20


def worker_fetches(page, path: str) -> int:
    """How often the service worker fetched ``path`` from the network since its timings were last cleared:
    every fetch() the worker makes leaves a resource-timing entry in the worker's own timeline."""
    worker = poll(page, "navigator.serviceWorker.ready.then(r => !!r.active)") and page.context.service_workers[0]
    return worker.evaluate("(path) => performance.getEntriesByType('resource')"
                           ".filter(e => new URL(e.name).pathname === path).length", path)


def test_a_fresh_page_opens_from_the_phone_and_what_she_changes_is_fetched_at_once(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    home = f"{live_server.url}/home"
    page.goto(home)  # through the worker now: fetched and stamped
    wait_until_cached(page, home)
    assert page.get_attribute("html", "lang") == "da"
    page.goto(f"{live_server.url}/library")
    page.context.service_workers[0].evaluate("performance.clearResourceTimings()")
    served: list[tuple[str, bool]] = []
    page.on("response", lambda r: served.append((r.url, r.from_service_worker)) if r.url == home else None)

    # Within the freshness window, home comes from the phone: the worker does not ask the network.
    page.goto(home)
    assert page.locator("h1").first.text_content()
    assert served == [(home, True)]
    assert worker_fetches(page, "/home") == 0
    assert page.get_attribute("html", "lang") == "da"

    # A reload is her asking for the newest page: the network is asked.
    page.reload()
    assert poll(page, "document.readyState === 'complete'")
    assert worker_fetches(page, "/home") == 1

    # She changes the language (a POST form): every cached page is stale, home is fetched in English.
    page.goto(f"{live_server.url}/settings")
    page.click("form[action='/language'] button[value=en]")
    page.wait_for_url("**/settings")
    assert page.get_attribute("html", "lang") == "en"
    page.goto(home)
    assert page.get_attribute("html", "lang") == "en"
    assert worker_fetches(page, "/home") == 2
    # ... and that fresh copy is the one kept for the next visit and for offline.
    page.goto(f"{live_server.url}/library")
    page.goto(home)
    assert worker_fetches(page, "/home") == 2
    assert page.get_attribute("html", "lang") == "en"
    page.context.set_offline(True)
    page.goto(home)
    assert page.get_attribute("html", "lang") == "en"
    page.context.set_offline(False)

    # Only her own pages are ever kept: nothing else in the pages cache.
    kept = page.evaluate("async () => (await (await caches.open('pusterum-pages')).keys())"
                         ".map(r => new URL(r.url).pathname)")
    assert kept and all(re.fullmatch(PARTICIPANT_PAGES, p) or p.startswith("/__pusterum/") for p in kept), kept


def test_a_page_never_saved_opens_the_offline_page_whose_links_work_offline(page, live_server):
    enrol_in_danish(page, live_server)  # ends on her home page, which the worker keeps
    wait_for_controller(page)
    wait_until_cached(page, f"{live_server.url}/home")
    poll(page, "async () => { for (const k of await caches.keys()) { const c = await caches.open(k);"
               " if ((await c.keys()).some((r) => new URL(r.url).pathname === '/offline')) return true; }"
               " return false; }")
    page.context.set_offline(True)
    page.goto(f"{live_server.url}/about")  # hers, but never opened: not on the phone
    assert page.locator("h1").text_content() == "Ingen forbindelse lige nu"
    assert_accessible(page)
    page.click("main a:text-is('forsiden')")
    page.wait_for_url("**/home")
    assert "Ingen forbindelse" not in page.content() and page.locator("h1").first.text_content()
    page.context.set_offline(False)
