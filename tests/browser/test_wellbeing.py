"""The wellbeing check-in in the browser: answered through the outbox, scored by the server, read kindly."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, poll
from tests.browser.test_patient_flow import enrol_in_danish

pytestmark = pytest.mark.browser


def test_a_check_in_goes_through_the_outbox_and_a_low_score_is_met_with_support(page, live_server):
    enrol_in_danish(page, live_server)
    page.goto(f"{live_server.url}/wellbeing/checkin")
    assert_accessible(page)
    for item, score in enumerate([1, 2, 1, 1, 2]):  # 28 of 100
        page.check(f"#item{item}-{score}")
    page.click(".checkin button.primary")
    page.wait_for_url("**/wellbeing?saved=1")
    poll(page, "document.body.innerText.includes('28 ud af 100')")
    text = page.inner_text("main")
    assert "jordemoder" in text and "ikke en diagnose" in text
    assert "Ingen fra hospitalet følger med, mens du bruger Pusterum" in text
    # Kind words lead; the score follows them.
    assert text.index("Det lyder, som om de sidste to uger har været svære") < text.index("28 ud af 100")
    assert page.is_visible("main a[href='/support']")
    assert_accessible(page)
    rows = live_server.query("SELECT score, answers FROM event WHERE type = 'questionnaire_answered'")
    assert (28, "[1, 2, 1, 1, 2]") in rows
