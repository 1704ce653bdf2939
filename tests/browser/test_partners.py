"""Partners on phones (issue 18 items 3 and 5), at 390 px: no invite while her site has partners off; the
coordinator switches it on; she invites; her partner joins on a phone of their own, agrees to their own
consent text, does a practice, finds nothing of hers, and stops. Also at 320 px, for the screens that are new.

``PUSTERUM_SHOTS=<folder>`` keeps screenshots of the invite panel, the link, the partner's consent and home.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, assert_accessible, assert_fits
from tests.browser.test_patient_flow import enrol_in_danish
from tests.browser.test_reports import DEMO_CLINIC
from tests.browser.test_reports import person as person  # the reports' fixture: a signed-in account

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).parents[1] / "fixtures" / "partner" / "exercises" / "test-partner-landing.md"
PRACTICE = FIXTURE.stem
NARROW = {"width": 320, "height": 640}
SHOTS = os.environ.get("PUSTERUM_SHOTS")


def shoot(page, name: str) -> None:
    """At 390 px and at 320 px (where it must fit too); kept only when PUSTERUM_SHOTS names a folder."""
    for size in (PHONE, NARROW):
        page.set_viewport_size(size)
        assert_fits(page, size["width"])
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{size['width']}.png", full_page=True)
    page.set_viewport_size(PHONE)


def publish_partner_practice(live_server) -> None:
    shutil.copy(FIXTURE, live_server.content_dir / "exercises" / FIXTURE.name)
    live_server.cli("content", "import")


def wait_until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_she_invites_her_partner_who_practises_sees_nothing_of_hers_and_stops(page, browser, live_server, person):
    publish_partner_practice(live_server)
    enrol_in_danish(page, live_server)
    her_id = live_server.query(
        "SELECT id FROM participant WHERE kind = 'patient' ORDER BY created_at DESC LIMIT 1")[0][0]
    page.goto(f"{live_server.url}/settings")
    assert "Invitér din partner" not in page.inner_text("main"), "her site has partners off"

    try:
        # The coordinator of her clinic switches partners on, on the site's page.
        coordinator = person("coordinator")
        live_server.query("INSERT INTO account_site (account, site) SELECT a.id, s.id FROM account a, site s "
                          "WHERE a.email = ? AND s.slug = ?", coordinator.email, DEMO_CLINIC)
        (site_id,) = live_server.query("SELECT id FROM site WHERE slug = ?", DEMO_CLINIC)[0]
        coordinator.goto(f"{live_server.url}/workspace/coordinate/sites/{site_id}")
        assert coordinator.get_attribute("[data-partners]", "data-partners") == "off"
        coordinator.click("#partners button[type=submit]")
        coordinator.wait_for_url("**#partners")
        assert coordinator.get_attribute("[data-partners]", "data-partners") == "on"

        # She invites from Settings (reloaded: a copy on her phone is kept for ten minutes, a reload asks the
        # network); the link is shown once.
        page.goto(f"{live_server.url}/settings")
        page.reload()
        panel = page.locator("#partner")
        assert "Invitér din partner" in panel.inner_text()
        assert_accessible(page)
        panel.scroll_into_view_if_needed()
        shoot(page, "invite-panel")
        panel.locator("button.primary").click()
        page.wait_for_selector("#partner-link")
        assert_accessible(page)
        shoot(page, "invite-link")
        link = page.input_value("#partner-link")
        assert "/p/" in link and her_id.replace("-", "") not in link.replace("-", "")

        # The partner, on a phone of their own.
        phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="da-DK",
                                    device_scale_factor=2)
        partner = phone.new_page()
        partner.goto(link)
        partner.click("a[hreflang=da]")
        partner.wait_for_url("**/consent?lang=da")
        assert "Vi registrerer ikke, hvem der sendte dig linket" in partner.inner_text("main")
        assert_accessible(partner)
        shoot(partner, "partner-consent")
        partner.check("#consent")
        partner.click(".consent-form button[type=submit]")
        partner.wait_for_url("**/home")
        assert "Øvelser til dig som partner" in partner.inner_text("main")
        assert partner.locator(".week").count() == 0 and partner.locator(".checkin-offer").count() == 0
        assert_accessible(partner)
        shoot(partner, "partner-home")
        (partner_id,) = live_server.query("SELECT id FROM participant WHERE kind = 'partner'")[0]
        assert live_server.query("SELECT COUNT(*) FROM partner_invite") == [(0,)], "nothing ties them together"

        # A practice of the partner's own (the catalog takes a few seconds to learn of the new content).
        assert wait_until(lambda: partner.goto(f"{live_server.url}/library") and PRACTICE in partner.content())
        assert "breathing-space-3" not in partner.content(), "the library offers partner practices only"
        partner.goto(f"{live_server.url}/exercises/{PRACTICE}/play")
        partner.click("[data-action=toggle]")
        partner.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
        assert wait_until(lambda: live_server.query(
            "SELECT COUNT(*) FROM event WHERE participant = ? AND type = 'exercise_completed'", partner_id)[0][0])

        # Nothing of hers on the partner's pages, nor the partner's on hers.
        for path in ("/settings/my-data", "/home", "/library", "/settings"):
            partner.goto(f"{live_server.url}{path}")
            assert her_id not in partner.content(), path
        page.goto(f"{live_server.url}/settings/my-data")
        assert partner_id not in page.content()
        page.goto(f"{live_server.url}/library")
        assert PRACTICE not in page.content()

        # The partner stops, and only the partner.
        partner.goto(f"{live_server.url}/settings/withdraw")
        partner.check("#choice-delete")
        partner.click("form button.primary")
        partner.wait_for_selector("text=Du er stoppet med at bruge Pusterum")
        assert live_server.query("SELECT withdrawal FROM participant WHERE id = ?", partner_id) == [("delete",)]
        assert live_server.query("SELECT withdrawn_at FROM participant WHERE id = ?", her_id) == [(None,)]
        phone.close()
    finally:  # the demo clinic goes back to partners off for the session's other tests
        live_server.query("UPDATE site SET partners_enabled = 0 WHERE slug = ?", DEMO_CLINIC)
