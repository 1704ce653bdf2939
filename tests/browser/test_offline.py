"""Installable and offline: the manifest, a service worker that controls the page, practice without a network,
and an outbox that loses nothing across reloads."""

from __future__ import annotations

import struct
import time
import urllib.request

import pytest

from tests.browser.test_patient_flow import SHORT, enrol_in_danish

pytestmark = pytest.mark.browser


def png_size(url: str) -> tuple[int, int]:
    with urllib.request.urlopen(url) as response:
        head = response.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", url
    return struct.unpack(">II", head[16:24])


def wait_for_controller(page) -> None:
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15000)


def wait_until_cached(page, url: str) -> None:
    page.wait_for_function(
        "async (url) => { for (const k of await caches.keys()) { const c = await caches.open(k);"
        " if (await c.match(url)) return true; } return false; }", arg=url, timeout=15000, polling=200)


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
            "SELECT 1 FROM event WHERE type = 'rating_given' AND value = 5"):
        time.sleep(0.2)
    types = {r[0] for r in live_server.query("SELECT type FROM event")}
    assert {"exercise_started", "exercise_completed", "rating_given"} <= types


def test_two_hundred_events_made_offline_across_reloads_arrive_exactly_once(page, live_server):
    enrol_in_danish(page, live_server)
    wait_for_controller(page)
    participant = live_server.query("SELECT id FROM participant ORDER BY created_at DESC LIMIT 1")[0][0]
    page.wait_for_function("async () => (await import('/static/js/outbox.js')).pending() === 0")
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
