"""Renewing a push subscription (the service worker's ``pushsubscriptionchange``): the browser's new subscription
takes the place of her own old one and her reminders go on; nobody can replace, take or revive another's.

ASVS 4.0.3 checked here: 4.1.2 and 4.2.1 (a participant cannot replace another's subscription by naming its
endpoint, nor take an endpoint that is another's: no insecure direct object reference), 4.1.3 (a renewal
cannot turn reminders on that she turned off), 5.1.3 (the body is strictly typed and checked; what is refused
changes nothing, with a 4xx and never a 5xx). The API answers only a known phone (401) and only the app (400).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.reminders.tables import PushSubscription, ReminderPlan
from server.reminders.vapid import ensure_keys, load_key, public_key_b64
from tests.integration.reminders.support import run_sender
from tests.pushdouble import PushDouble
from tests.support import API_HEADERS, csrf_token

SUBSCRIBE, RENEW = "/api/push/subscription", "/api/push/subscription/renew"


@pytest.fixture(scope="module")
def vapid_key():
    ensure_keys()
    return load_key()


@pytest.fixture
def push(vapid_key, app):
    from server.lib import paths

    paths.bind(app)  # a reminder names the page it opens by its route
    with PushDouble(public_key_b64(vapid_key)) as double:
        yield double


async def _rows() -> list[dict]:
    return await PushSubscription.select(
        PushSubscription.id, PushSubscription.participant, PushSubscription.endpoint, PushSubscription.p256dh,
        PushSubscription.auth, PushSubscription.pending_until).order_by(PushSubscription.id)


async def test_it_puts_the_new_subscription_in_place_of_her_old_one_and_reminders_go_on(patient, push, vapid_key):
    """ASVS 4.2.1: her own subscription, renewed in place; the next reminder reaches the new one."""
    old, new = push.new_subscription(), push.new_subscription()
    await patient.post(SUBSCRIBE, json=old, headers=API_HEADERS)
    [before] = await _rows()
    response = await patient.post(RENEW, json={"old_endpoint": old["endpoint"], "subscription": new},
                                  headers=API_HEADERS)
    assert response.status_code == 200 and response.json() == {"renewed": True}
    [after] = await _rows()
    assert after == {**before, "endpoint": new["endpoint"], "p256dh": new["keys"]["p256dh"],
                     "auth": new["keys"]["auth"]}

    await ReminderPlan.update({ReminderPlan.next_due_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        ReminderPlan.participant == patient.participant_id)
    await run_sender(vapid_key)
    [delivery] = await push.wait_for_async(1)
    assert delivery.endpoint == new["endpoint"]


async def test_it_stores_the_new_one_when_the_old_one_is_already_gone_and_reminders_are_on(patient, push):
    """ASVS 4.1.3: the push service may say "gone" before the browser does; her reminders still go on."""
    old, new = push.new_subscription(), push.new_subscription()
    await patient.post(SUBSCRIBE, json=old, headers=API_HEADERS)
    await PushSubscription.delete().where(PushSubscription.endpoint == old["endpoint"])
    response = await patient.post(RENEW, json={"old_endpoint": old["endpoint"], "subscription": new},
                                  headers=API_HEADERS)
    assert response.status_code == 200
    assert [(r["participant"], r["endpoint"]) for r in await _rows()] == [(patient.participant_id, new["endpoint"])]


async def test_it_never_turns_reminders_on_that_she_turned_off(patient, push):
    """ASVS 4.1.3: with reminders off there is nothing to renew."""
    old, new = push.new_subscription(), push.new_subscription()
    await patient.post(SUBSCRIBE, json=old, headers=API_HEADERS)
    token = csrf_token((await patient.get("/reminders")).text)
    await patient.post("/reminders/off", data={"_csrf_token": token})
    for body in ({"old_endpoint": old["endpoint"], "subscription": new}, {"subscription": new}):
        assert (await patient.post(RENEW, json=body, headers=API_HEADERS)).status_code == 404
    assert await _rows() == []
    plan = await ReminderPlan.select(ReminderPlan.enabled).where(
        ReminderPlan.participant == patient.participant_id).first()
    assert plan["enabled"] is False


async def test_it_refuses_to_replace_someone_elses_subscription(actors, push):
    """ASVS 4.1.2, 4.2.1: naming another's endpoint as the old one replaces nothing and stores nothing."""
    her, attacker = await actors.new("patient"), await actors.new("patient")
    hers, attackers = push.new_subscription(), push.new_subscription()
    await her.post(SUBSCRIBE, json=hers, headers=API_HEADERS)
    await attacker.post(SUBSCRIBE, json=push.new_subscription(), headers=API_HEADERS)  # his reminders are on
    before = await _rows()
    response = await attacker.post(RENEW, json={"old_endpoint": hers["endpoint"], "subscription": attackers},
                                   headers=API_HEADERS)
    assert response.status_code == 404
    assert await _rows() == before


async def test_it_refuses_a_new_endpoint_that_is_someone_elses(actors, push):
    """ASVS 4.1.2, 4.2.1: another's endpoint, with keys of one's own, is not moved over (409), nothing changes."""
    her, attacker = await actors.new("patient"), await actors.new("patient")
    hers, his = push.new_subscription(), push.new_subscription()
    await her.post(SUBSCRIBE, json=hers, headers=API_HEADERS)
    await attacker.post(SUBSCRIBE, json=his, headers=API_HEADERS)
    before = await _rows()
    taken = {**push.new_subscription(), "endpoint": hers["endpoint"]}
    response = await attacker.post(RENEW, json={"old_endpoint": his["endpoint"], "subscription": taken},
                                   headers=API_HEADERS)
    assert response.status_code == 409
    assert await _rows() == before


BAD_RENEWALS = [
    # (what is wrong, the body, given her own subscription as ``old`` and a good new one as ``new``)
    ("keys not a P-256 point", lambda old, new: {"old_endpoint": old, "subscription": {
        **new, "keys": {**new["keys"], "p256dh": "B" + "A" * 86}}}),
    ("endpoint not at a push service", lambda old, new: {"old_endpoint": old, "subscription": {
        **new, "endpoint": "https://10.0.0.1/push/abc"}}),
    ("plain http", lambda old, new: {"old_endpoint": old, "subscription": {
        **new, "endpoint": "http://push.example.com/abc"}}),
    ("no subscription", lambda old, new: {"old_endpoint": old}),
    ("keys missing", lambda old, new: {"old_endpoint": old, "subscription": {"endpoint": new["endpoint"]}}),
    ("old endpoint not text", lambda old, new: {"old_endpoint": [old], "subscription": new}),
    ("old endpoint with a NUL", lambda old, new: {"old_endpoint": old + "\x00", "subscription": new}),
    ("old endpoint far too long", lambda old, new: {"old_endpoint": old + "a" * 2000, "subscription": new}),
    ("an unknown field", lambda old, new: {"old_endpoint": old, "subscription": new, "participant": "x"}),
    ("not an object", lambda old, new: [old, new]),
]


@pytest.mark.parametrize(("wrong", "body"), BAD_RENEWALS, ids=[w for w, _ in BAD_RENEWALS])
async def test_it_refuses_a_bad_renewal_with_a_4xx_and_changes_nothing(patient, push, wrong, body):
    """ASVS 5.1.3: refused before anything is stored; her subscription is as it was."""
    old, new = push.new_subscription(), push.new_subscription()
    await patient.post(SUBSCRIBE, json=old, headers=API_HEADERS)
    before = await _rows()
    response = await patient.post(RENEW, json=body(old["endpoint"], new), headers=API_HEADERS)
    assert response.status_code in (400, 422), (wrong, response.status_code, response.text)
    assert response.json()["error"]
    assert await _rows() == before


async def test_it_answers_only_a_phone_it_knows_and_only_the_app(app, patient, push):
    """No device cookie is a 401; no ``X-Pusterum`` header (not our app) is a 400."""
    from tests.support import phone

    body = {"subscription": push.new_subscription()}
    async with phone(app) as stranger:
        assert (await stranger.post(RENEW, json=body, headers=API_HEADERS)).status_code == 401
    assert (await patient.post(RENEW, json=body)).status_code == 400
    assert await _rows() == []
