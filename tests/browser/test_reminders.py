"""Turning reminders on, as far as Chromium allows: one flow on the page with words for every stage, a clear
message when the browser says no or an iPhone needs the home-screen app, and a test reminder that really
reaches the push service double. Headless Chromium cannot reach a real push service, so PushManager is the stub
from test_staff.py, handing out a subscription at the double; the server then signs, encrypts and sends."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import assert_accessible, poll
from tests.browser.test_staff import PUSH_STUB, ensure_push_keys
from tests.pushdouble import PushDouble

pytestmark = pytest.mark.browser

# Every text the progress line shows, in order, kept by the page itself (the stages pass in milliseconds).
RECORD_PROGRESS = """
addEventListener("DOMContentLoaded", () => {
  const line = document.querySelector("[data-reminders-progress]");
  if (!line) return;
  const seen = [];
  new MutationObserver(() => { if (line.textContent) seen.push(line.textContent);
    sessionStorage.setItem("test:progress", JSON.stringify(seen)); }).observe(line, { childList: true });
});
"""
IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.5 Mobile/15E148 Safari/604.1")


def join_in_danish(page, live_server) -> None:
    page.goto(live_server.invite_url)
    page.click("a[hreflang=da]")
    page.wait_for_url("**/consent?lang=da")
    page.check("#consent")
    page.click(".consent-form button[type=submit]")
    page.wait_for_load_state()


def test_it_turns_reminders_on_in_one_flow_and_sends_a_test_she_sees(context, page, live_server):
    public_key = ensure_push_keys(live_server)
    join_in_danish(page, live_server)
    page.goto(f"{live_server.url}/home")
    page.click("a[href='/reminders']")  # one step from home
    with PushDouble(public_key) as push:
        context.grant_permissions(["notifications"], origin=live_server.url)
        context.add_init_script(script=PUSH_STUB % json.dumps(push.new_subscription()))
        context.add_init_script(script=RECORD_PROGRESS)
        page.goto(f"{live_server.url}/reminders")
        assert "Et par rolige minutter, når det passer dig." in page.text_content(".lock-preview")
        page.click("[data-reminders-on]")
        page.wait_for_url("**/reminders?on=1")
        progress = json.loads(page.evaluate("sessionStorage.getItem('test:progress')"))
        assert [p[:6] for p in progress] == ["1 af 3", "2 af 3", "3 af 3", "Påmind"], progress
        assert page.text_content("[data-reminder-status]").strip().startswith("Påmindelser er slået til.")
        assert_accessible(page)

        page.click("[data-reminders-test]")
        [delivery] = push.wait_for(1, timeout=15)
        assert delivery.json()["title"] == "Tid til et pusterum?"
        poll(page, "document.querySelector('[data-reminders-test-progress]').textContent.startsWith('Sendt.')")


def test_it_says_so_when_the_browser_refuses_notifications(context, page, live_server):
    ensure_push_keys(live_server)
    join_in_danish(page, live_server)
    page.goto(f"{live_server.url}/reminders")
    page.evaluate("Notification.requestPermission = async () => 'denied'")  # as after "Block"
    page.click("[data-reminders-on]")
    page.wait_for_selector("[data-reminders-problem]:not([hidden])")
    assert page.text_content("[data-reminders-problem]").startswith("Telefonen sagde nej til notifikationer")
    assert page.is_enabled("[data-reminders-on]"), "she can try again"


def test_it_tells_an_iphone_to_use_the_home_screen_app(browser, live_server):
    ensure_push_keys(live_server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="da-DK", user_agent=IPHONE_SAFARI)
    try:
        page = context.new_page()
        join_in_danish(page, live_server)
        page.goto(f"{live_server.url}/reminders")
        page.wait_for_selector("[data-reminders-note]:not([hidden])")
        assert "Føj til hjemmeskærm" in page.text_content("[data-reminders-note]")
        assert page.is_hidden("[data-reminders-on]")
    finally:
        context.close()


def test_the_worker_renews_a_subscription_the_browser_replaced(context, page, live_server):
    """``pushsubscriptionchange``, dispatched in the real service worker (Chromium fires it only when its push
    service rotates a subscription): the worker tells the server, and the new subscription takes the old one's
    place."""
    public_key = ensure_push_keys(live_server)
    with PushDouble(public_key) as push:
        old, new = push.new_subscription(), push.new_subscription()
        context.grant_permissions(["notifications"], origin=live_server.url)
        context.add_init_script(script=PUSH_STUB % json.dumps(old))
        join_in_danish(page, live_server)
        page.goto(f"{live_server.url}/reminders")
        page.click("[data-reminders-on]")
        page.wait_for_url("**/reminders?on=1")
        [(participant,)] = live_server.query("SELECT participant FROM push_subscription WHERE endpoint = ?",
                                             old["endpoint"])
        poll(page, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")
        worker = context.service_workers[0]
        worker.evaluate("""async ([oldEndpoint, fresh]) => {
            const event = new Event("pushsubscriptionchange");
            let done = null;
            event.waitUntil = (promise) => { done = promise; };  // an untrusted event may not extend itself
            event.oldSubscription = { endpoint: oldEndpoint, options: {} };
            event.newSubscription = { toJSON: () => fresh };
            self.dispatchEvent(event);
            await done;
        }""", [old["endpoint"], new])
        assert live_server.query("SELECT endpoint, p256dh FROM push_subscription WHERE participant = ?",
                                 participant) == [(new["endpoint"], new["keys"]["p256dh"])]
