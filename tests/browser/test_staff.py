"""A nurse on her phone: from the unit's QR code to a pause with stress before and after, and her reminders.

Everything runs against the real app in its own process; the server side is checked in its SQLite file,
read-only. Headless Chromium cannot reach a real push service, so the browser's PushManager is replaced by
a stub that hands out a subscription made by a local push service double (tests/pushdouble.py); the app's
own sender loop then really signs, encrypts and delivers the reminder to that double.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import assert_accessible, assert_fits, poll
from tests.pushdouble import PushDouble

pytestmark = pytest.mark.browser
SINK_PAUSE = "mindful-hand-washing"  # the only one-minute pause by the sink
ERROR_SHIFT = "Tjek tidspunkterne: En vagt skal slutte, efter den begynder."


def read(live_server, sql: str, *args) -> list[tuple]:
    """The live server's database, opened read-only: the test looks, it does not touch."""
    uri = f"file:{live_server.var_dir / 'pusterum.sqlite3'}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def wait_until(check, timeout: float = 10.0, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last value: {value!r})")
        time.sleep(0.1)


def staff_link(live_server) -> str:
    """The unit's QR code link, as the operator gets it from `pusterum demo`."""
    match = re.search(r"(http\S+/u/\S+)", live_server.cli("demo"))
    assert match, "pusterum demo prints the staff link"
    return match.group(1)


def enrol_staff_in_danish(page, live_server) -> str:
    """Scans the unit's QR code, chooses Dansk, consents; returns the new participant's id."""
    before = {r[0] for r in read(live_server, "SELECT id FROM participant")}
    page.goto(staff_link(live_server))
    page.click("a[hreflang=da]")
    page.wait_for_url("**/consent?lang=da")
    assert page.get_attribute("html", "lang") == "da"
    assert "Før du går i gang" in page.text_content("h1")
    page.check("#consent")
    page.click(".consent-form button[type=submit]")
    page.wait_for_url("**/pause")
    assert page.text_content("h1").strip() == "Hold en pause"
    (participant,) = {r[0] for r in read(live_server, "SELECT id FROM participant")} - before
    assert read(live_server, "SELECT kind FROM participant WHERE id = ?", participant) == [("staff",)]
    return participant


def outbox_empty(page) -> bool:
    poll(page, "async () => (await self.PusterumOutbox.pending()) === 0")
    return True


def test_a_nurse_takes_a_one_minute_pause_by_the_sink_and_sees_it_with_her_stress_ratings(page, live_server):
    participant = enrol_staff_in_danish(page, live_server)
    assert_accessible(page)

    # Two taps: "by the sink", then "1 minute".
    page.check("#f-sink")
    page.click("button[name=length][value='1']")
    page.wait_for_url(f"**/pauses/{SINK_PAUSE}")
    assert page.text_content("h1").strip() == "Nærvær ved håndvasken"
    assert page.locator(".stress-scale button[name=before]").count() == 11, "a 0-10 scale of buttons"
    assert_accessible(page)

    # Her tap on the scale is also the start: the player runs by itself, no "Start" to press.
    page.click(".stress-scale button[name=before][value='7']")
    page.wait_for_url(re.compile(rf"/exercises/{SINK_PAUSE}/play\?"))
    assert re.search(r"[?&]before=7(&|$)", page.url), page.url
    # PUSTERUM_TIME_SCALE makes the one-minute pause end in about a second.
    page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
    assert page.is_hidden("[data-stage]")
    assert "Og nu: Hvor stresset føler du dig?" in page.text_content("[data-pause-form] legend")
    assert_accessible(page)

    page.click("[data-pause-form] button[name=after][value='4']")
    page.wait_for_selector("[data-thanks]:not([hidden])")
    assert "Gemt. Tag lidt af roen med dig tilbage til arbejdet." in page.text_content("[data-thanks]")
    assert page.is_hidden("[data-pause-form]")
    assert outbox_empty(page)

    sql = ("SELECT stress_before, stress_after, seconds FROM event "
           "WHERE participant = ? AND type = 'pause_completed'")
    rows = wait_until(lambda: read(live_server, sql, participant), what="the pause_completed event")
    assert len(rows) == 1, rows
    stress_before, stress_after, seconds = rows[0]
    assert (stress_before, stress_after) == (7, 4)
    assert seconds > 0

    page.click("[data-thanks] a[href='/pauses/mine']")
    page.wait_for_url("**/pauses/mine")
    assert page.text_content("h1").strip() == "Mine pauser"
    pauses = page.locator(".my-pauses li")
    assert pauses.count() == 1
    assert pauses.first.locator("strong").text_content().strip() == "Nærvær ved håndvasken"
    assert "Stress 7 → 4" in pauses.first.text_content()
    assert_accessible(page)
    # Leaving the player (pagehide) did not record the pause a second time.
    assert outbox_empty(page)
    assert len(read(live_server, sql, participant)) == 1


def ensure_push_keys(live_server) -> str:
    """`pusterum push keys` for the live server's var dir, while it runs: the running app picks the key up."""
    output = live_server.cli("push", "keys")
    return re.search(r"Public key: (\S+)", output).group(1)


PUSH_STUB = """
(() => {
  if (typeof PushManager === "undefined") return;
  const SUB = %s;
  const KEY = "test:push-subscription";
  const make = () => ({
    endpoint: SUB.endpoint, expirationTime: null, toJSON: () => SUB,
    unsubscribe: async () => {
      localStorage.removeItem(KEY);
      localStorage.setItem("test:push-unsubscribed", "1");
      return true;
    },
  });
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem(KEY) ? make() : null;
  };
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem("test:push-options", JSON.stringify({
      userVisibleOnly: options.userVisibleOnly, key: btoa(String.fromCharCode(...key)),
    }));
    localStorage.setItem(KEY, "1");
    return make();
  };
})();
"""


def plan_row(live_server, participant: str) -> tuple:
    rows = read(live_server, "SELECT choice, slots, days, next_due_at, enabled FROM reminder_plan "
                             "WHERE participant = ?", participant)
    assert len(rows) == 1, rows
    return rows[0]


def test_a_nurse_sets_her_shift_and_turns_reminders_on_and_off(context, page, live_server):
    public_key = ensure_push_keys(live_server)
    participant = enrol_staff_in_danish(page, live_server)

    # --- the plain form ---
    page.goto(f"{live_server.url}/reminders")
    assert page.text_content("h1").strip() == "Påmindelser"
    assert page.text_content("[data-reminder-status]").strip() == "Påmindelser er slået fra."
    assert page.get_attribute("[data-reminders]", "data-vapid-key") == public_key
    assert_accessible(page)

    page.fill("#start1", "08:00")
    page.fill("#end1", "16:00")
    page.select_option("#every", "120")
    for day in range(1, 8):
        (page.check if day <= 5 else page.uncheck)(f"#day{day}")
    page.click("form[action='/reminders'] button[type=submit]")
    page.wait_for_url("**/reminders?saved=1")
    assert page.text_content("p.notice[role=status]").strip() == "Gemt."
    assert (page.input_value("#start1"), page.input_value("#end1"), page.input_value("#every")) == (
        "08:00", "16:00", "120")
    assert [page.is_checked(f"#day{d}") for d in range(1, 8)] == [True] * 5 + [False] * 2
    saved = plan_row(live_server, participant)
    assert json.loads(saved[1]) == ["08:00", "10:00", "12:00", "14:00", "16:00"]
    assert saved[2] == "12345"
    assert saved[4] == 0, "saving times does not turn reminders on"

    # A shift that ends before it starts: said in Danish, and nothing changes.
    page.fill("#start1", "16:00")
    page.fill("#end1", "08:00")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/reminders")) as answer:
        page.click("form[action='/reminders'] button[type=submit]")
    assert answer.value.status == 400
    page.wait_for_selector("#reminder-error")
    assert page.text_content("#reminder-error").strip() == ERROR_SHIFT
    assert page.locator("p.notice[role=status]").count() == 0
    assert_accessible(page)
    assert plan_row(live_server, participant) == saved
    page.goto(f"{live_server.url}/reminders")
    assert (page.input_value("#start1"), page.input_value("#end1")) == ("08:00", "16:00")

    # --- turning reminders on: a stubbed PushManager hands over a push double's subscription ---
    with PushDouble(public_key) as push:
        subscription = push.new_subscription()
        context.grant_permissions(["notifications"], origin=live_server.url)
        context.add_init_script(script=PUSH_STUB % json.dumps(subscription))
        page.goto(f"{live_server.url}/reminders")
        page.wait_for_selector("[data-reminders-on]:not([hidden])")
        assert page.is_hidden("[data-reminders-unsupported]")
        page.click("[data-reminders-on]")
        page.wait_for_url("**/reminders?on=1")
        assert page.text_content("[data-reminder-status]").strip().startswith("Påmindelser er slået til.")
        assert page.is_hidden("[data-reminders-problem]")
        options = json.loads(page.evaluate("localStorage.getItem('test:push-options')"))
        assert options["userVisibleOnly"] is True
        given_key = base64.b64decode(options["key"])
        assert base64.urlsafe_b64encode(given_key).rstrip(b"=").decode() == public_key, \
            "the browser was asked to subscribe with the server's VAPID key"
        assert read(live_server, "SELECT endpoint, p256dh, auth FROM push_subscription WHERE participant = ?",
                    participant) == [(subscription["endpoint"], subscription["keys"]["p256dh"],
                                      subscription["keys"]["auth"])]
        on = plan_row(live_server, participant)
        assert on[4] == 1 and json.loads(on[1]) == json.loads(saved[1]), "turning on keeps her times"
        assert push.deliveries == []

        # Make the plan due a minute ago, in the format the table already uses.
        stored = on[3]
        assert stored, "an enabled plan has a next reminder"
        due = datetime.fromisoformat(stored)
        assert due.tzinfo is not None and due.utcoffset() == timedelta(0), stored
        a_minute_ago = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
        new_value = a_minute_ago.isoformat(sep=stored[10])
        assert datetime.fromisoformat(new_value) == a_minute_ago
        live_server.query("UPDATE reminder_plan SET next_due_at = ? WHERE participant = ?", new_value, participant)

        [delivery] = push.wait_for(1, timeout=15)
        message = delivery.json()
        assert message["title"] == "Tid til et pusterum?"
        assert message["url"] == "/pause"
        assert delivery.endpoint == subscription["endpoint"]
        time.sleep(1.5)  # several rounds of the 0.3 s sender loop
        assert len(push.deliveries) == 1, "a due reminder is sent once"
        assert push.rejections == []
        moved_on = datetime.fromisoformat(plan_row(live_server, participant)[3])
        assert moved_on > datetime.now(UTC), "the plan moved on to its next moment"
        assert read(live_server, "SELECT count(*) FROM event WHERE participant = ? AND type = 'reminder_sent'",
                    participant) == [(1,)]

    # --- and off again ---
    page.click("[data-reminders-off] button[type=submit]")
    poll(page, "location.pathname === '/reminders' && location.search === '' "
               "&& document.readyState === 'complete'")
    page.wait_for_selector("[data-reminder-status]")
    assert page.text_content("[data-reminder-status]").strip() == "Påmindelser er slået fra."
    assert page.evaluate("localStorage.getItem('test:push-unsubscribed')") == "1", "this browser unsubscribed"
    assert read(live_server, "SELECT count(*) FROM push_subscription WHERE participant = ?", participant) == [(0,)]
    assert plan_row(live_server, participant)[4] == 0


PUSH_STUB_TWO = """
(() => {
  if (typeof PushManager === "undefined") return;
  const SUBS = %s;  // the browser's subscription, then the fresh one it makes after unsubscribing
  const AT = "test:push-at";  // which of SUBS this browser holds now ("" for none)
  const make = (i) => ({
    endpoint: SUBS[i].endpoint, expirationTime: null, toJSON: () => SUBS[i],
    unsubscribe: async () => { localStorage.setItem(AT, ""); localStorage.setItem("test:push-ended", String(i));
                               return true; },
  });
  PushManager.prototype.getSubscription = async function () {
    const at = localStorage.getItem(AT);
    return at ? make(Number(at)) : null;
  };
  PushManager.prototype.subscribe = async function () {
    const next = localStorage.getItem("test:push-ended") === null ? 0 : 1;
    localStorage.setItem(AT, String(next));
    return make(next);
  };
})();
"""


def test_a_phone_joined_again_gets_a_fresh_subscription_of_its_own(context, page, live_server):
    """The server never moves a subscription to another participant (409): a nurse who joined again on the
    same phone gets reminders through a fresh subscription, and the old one is ended in the browser."""
    public_key = ensure_push_keys(live_server)
    with PushDouble(public_key) as push:
        first, fresh = push.new_subscription(), push.new_subscription()
        context.grant_permissions(["notifications"], origin=live_server.url)
        context.add_init_script(script=PUSH_STUB_TWO % json.dumps([first, fresh]))
        before = enrol_staff_in_danish(page, live_server)
        page.goto(f"{live_server.url}/reminders")
        page.click("[data-reminders-on]")
        page.wait_for_url("**/reminders?on=1")
        context.clear_cookies()  # her cookie is gone (a cleared browser); the push subscription stays
        again = enrol_staff_in_danish(page, live_server)
        page.goto(f"{live_server.url}/reminders")
        page.click("[data-reminders-on]")
        page.wait_for_url("**/reminders?on=1")
        assert page.is_hidden("[data-reminders-problem]")
    assert page.evaluate("localStorage.getItem('test:push-ended')") == "0", "the old subscription was ended"
    assert read(live_server, "SELECT participant, endpoint FROM push_subscription WHERE participant IN (?, ?) "
                             "ORDER BY id", before, again) == [(before, first["endpoint"]),
                                                                (again, fresh["endpoint"])]


def test_a_nurses_find_help_opens_her_own_page_with_call_buttons_she_can_hit(page, live_server):
    """Her "Find hjælp" is the staff page: her workplace's support and the lines that fit staff, each number a
    call button of at least 44 × 44 px, readable at 320 px."""
    enrol_staff_in_danish(page, live_server)
    page.click(".topnav .support-link")
    page.wait_for_url("**/support/staff")
    assert "Hospitalets personalestøtte" in page.text_content("main")
    assert "vandrejournal" not in page.text_content("main")
    page.set_viewport_size({"width": 320, "height": 640})
    assert_fits(page, 320)
    assert_accessible(page)
    sizes = page.eval_on_selector_all("a[href^='tel:']", "els => els.map(e => [e.offsetWidth, e.offsetHeight])")
    assert len(sizes) >= 5 and all(w >= 44 and h >= 44 for w, h in sizes), sizes

