"""Withdrawing from the phone: the consequences are explained, and afterwards nothing of hers is left on it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, poll
from tests.browser.test_patient_flow import enrol_in_danish

pytestmark = pytest.mark.browser

STORAGE_STATE = """async () => ({
  caches: (await caches.keys()).length,
  databases: (await indexedDB.databases()).length,
  workers: (await navigator.serviceWorker.getRegistrations()).length,
  local: localStorage.length,
})"""
EMPTY = """async () => (await caches.keys()).length === 0 && (await indexedDB.databases()).length === 0
  && (await navigator.serviceWorker.getRegistrations()).length === 0"""


def test_withdrawing_clears_caches_storage_and_the_worker_and_stops_recording(page, live_server):
    enrol_in_danish(page, live_server)
    poll(page, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    page.goto(f"{live_server.url}/library")  # something cached and something in the outbox
    before = page.evaluate(STORAGE_STATE)
    assert before["caches"] > 0 and before["databases"] > 0 and before["workers"] == 1

    page.goto(f"{live_server.url}/settings")
    page.click("a[href='/settings/withdraw']")
    page.wait_for_url("**/settings/withdraw")
    assert_accessible(page)
    assert "Påmindelser stopper med det samme." in page.inner_text("main")
    page.click("form button.primary")  # no choice yet: a kind error, nothing happens
    assert "Vælg, hvad der skal ske" in page.inner_text("[role=alert]")
    page.check("#choice-delete")
    page.click("form button.primary")
    page.wait_for_selector("text=Du er stoppet med at bruge Pusterum")
    assert_accessible(page)

    poll(page, EMPTY)
    assert page.evaluate(STORAGE_STATE) == {"caches": 0, "databases": 0, "workers": 0, "local": 0}
    assert not [c for c in page.context.cookies() if c["name"].endswith("pusterum")]
    # Patients only: the shared live server also holds the partner test's partner, who withdrew too.
    rows = live_server.query("SELECT withdrawn_at, municipality_code FROM participant "
                             "WHERE withdrawn_at IS NOT NULL AND kind = 'patient'")
    assert len(rows) == 1 and rows[0][1] is None
    page.goto(f"{live_server.url}/home")  # the phone is a stranger now: the start page, nothing of hers
    assert page.url.rstrip("/") == live_server.url
