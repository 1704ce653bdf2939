"""Push subscriptions: reminders go only to real push services, a subscription stays with the participant who
made it, and a withdrawn participant's old cookie stores nothing.

ASVS 4.0.3 checked here: 5.2.6 and 12.6.1 (server-side requests only to an allow-list of push services: no IP
literal, no private address, no other port, no redirect elsewhere), 4.1.2, 4.1.3 and 4.2.1 (one participant
cannot take over, change or keep alive another's subscription), 3.3.1 (a participant who has withdrawn can
store nothing with her old cookie).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.participants import services as participants
from server.participants.tables import Participant
from server.reminders.endpoints import NotAPushService, push_session
from server.reminders.sender import Sender, Subscription, payload
from server.reminders.tables import PushSubscription, ReminderPlan
from server.reminders.vapid import Signer, ensure_keys, load_key, public_key_b64
from server.settings import get_settings
from tests.integration.reminders.support import run_sender
from tests.pushdouble import PushDouble
from tests.support import API_HEADERS, csrf_token

SUBSCRIBE = "/api/push/subscription"
PRODUCTION = {"PUSTERUM_ENV": "production", "BASE_URL": "https://pusterum.hospital.dk",
              "PUSH_CONTACT": "mailto:drift@hospital.dk"}


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


def at(endpoint: str, push: PushDouble) -> dict:
    """A subscription with real keys (from the push double) at ``endpoint``."""
    return {**push.new_subscription(), "endpoint": endpoint}


async def _subscriptions() -> list[dict]:
    return await PushSubscription.select(PushSubscription.participant, PushSubscription.endpoint,
                                         PushSubscription.p256dh)


# --- only push services (SSRF) ---

OUTSIDE_PUSH_SERVICES = [
    "https://10.0.0.1:8443/push/abc",  # an internal address, as was once stored
    "https://192.168.1.20/push/abc",
    "https://[::1]/push/abc",
    "https://169.254.169.254/latest/meta-data/",  # a cloud metadata service
    "https://intranet.hospital.local/push/abc",
    "https://fcm.googleapis.com.attacker.net/fcm/send/abc",  # a known name as a prefix of another
    "https://attacker.net/fcm.googleapis.com/abc",
    "https://fcm.googleapis.com@attacker.net/fcm/send/abc",  # user info
    "https://fcm.googleapis.com:8443/fcm/send/abc",  # another port
    "https://notify.windows.com.attacker.net/w/abc",
    "http://fcm.googleapis.com/fcm/send/abc",  # not https
]
AT_PUSH_SERVICES = [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABn",
    "https://web.push.apple.com/QGxvbmctdG9rZW4",
    "https://db5p.notify.windows.com/w/?token=BQYAAA",
    "https://fcm.googleapis.com:443/fcm/send/abc",
]


@pytest.mark.parametrize("endpoint", OUTSIDE_PUSH_SERVICES)
async def test_production_refuses_an_endpoint_outside_the_push_services(patient, push, settings_env, endpoint):
    """ASVS 5.2.6, 12.6.1: the server would POST to the endpoint with its signed token: only push services."""
    settings_env(**PRODUCTION)
    response = await patient.post(SUBSCRIBE, json=at(endpoint, push), headers=API_HEADERS)
    assert response.status_code == 422, response.text
    assert "endpoint" in response.json()["detail"]
    assert await PushSubscription.count() == 0 and await ReminderPlan.count() == 0


@pytest.mark.parametrize("endpoint", AT_PUSH_SERVICES)
async def test_production_takes_an_endpoint_at_a_known_push_service(patient, push, settings_env, endpoint):
    """ASVS 12.6.1: the allow-list lets the real push services through (Chrome, Firefox, Safari, Edge)."""
    settings_env(**PRODUCTION)
    response = await patient.post(SUBSCRIBE, json=at(endpoint, push), headers=API_HEADERS)
    assert response.status_code == 200, response.text
    assert [s["endpoint"] for s in await _subscriptions()] == [endpoint]


async def test_production_refuses_the_local_push_double_that_development_takes(patient, push, settings_env):
    """ASVS 5.2.6: http to this machine is for the tests' push double, never in production."""
    local = push.new_subscription()
    settings_env(**PRODUCTION)
    assert (await patient.post(SUBSCRIBE, json=local, headers=API_HEADERS)).status_code == 422
    settings_env(PUSTERUM_ENV="development")
    assert (await patient.post(SUBSCRIBE, json=local, headers=API_HEADERS)).status_code == 200


async def test_development_also_refuses_internal_addresses(patient, push):
    """ASVS 5.2.6: outside production only the push double is added, not the rest of the network."""
    for endpoint in ("https://10.0.0.1:8443/push/abc", "http://10.0.0.1:8080/push/abc",
                     "http://169.254.169.254:80/latest/meta-data/"):
        response = await patient.post(SUBSCRIBE, json=at(endpoint, push), headers=API_HEADERS)
        assert response.status_code == 422, endpoint
    assert await PushSubscription.count() == 0


async def test_a_setting_adds_a_push_service(patient, push, settings_env):
    """ASVS 12.6.1: the allow-list is configuration: PUSH_SERVICE_HOSTS adds a host or, with a dot, a domain."""
    settings_env(**PRODUCTION, PUSH_SERVICE_HOSTS="push.hospital.dk, .push.example.net")
    for endpoint in ("https://push.hospital.dk/s/1", "https://eu.push.example.net/s/2"):
        assert (await patient.post(SUBSCRIBE, json=at(endpoint, push), headers=API_HEADERS)).status_code == 200
    other = await patient.post(SUBSCRIBE, json=at("https://hospital.dk/s/3", push), headers=API_HEADERS)
    assert other.status_code == 422


async def test_a_stored_endpoint_outside_the_push_services_is_deleted_unasked(db, push, vapid_key, settings_env):
    """ASVS 5.2.6: one stored before the rule (an https address on this machine, where the push double
    listens) is never asked: the sender deletes it when it is due, without a request."""
    site_id = await participants.ensure_site("ssrf-site", "SSRF clinic", "0101")
    now = datetime.now(UTC)
    who = uuid.uuid4()
    await Participant.insert(Participant(id=who, kind="patient", site=site_id, language="da",
                                         consent_version="test", consented_at=now, created_at=now))
    stored = push.new_subscription()
    internal = stored["endpoint"].replace("http://", "https://")
    await PushSubscription.insert(PushSubscription(participant=who, endpoint=internal,
                                                   p256dh=stored["keys"]["p256dh"], auth=stored["keys"]["auth"],
                                                   created_at=now))
    await ReminderPlan.insert(ReminderPlan(participant=who, enabled=True, choice=json.dumps({"times": ["08:00"]}),
                                           slots=json.dumps(["08:00"]), days="1234567",
                                           next_due_at=now - timedelta(minutes=1), updated_at=now))
    settings_env(**PRODUCTION)
    assert await run_sender(vapid_key) == 1
    assert push.attempts == 0
    assert await PushSubscription.count() == 0


async def test_the_sender_does_not_follow_a_redirect_away_from_the_push_service(db, push, vapid_key):
    """ASVS 5.2.6: a push service's redirect to another address (a metadata service) is not followed."""
    subscription = push.new_subscription()
    push.script(subscription["endpoint"], (307, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    target = Subscription(1, uuid.uuid4(), subscription["endpoint"], subscription["keys"]["p256dh"],
                          subscription["keys"]["auth"])
    async with push_session() as session:
        sender = Sender(session, Signer(vapid_key, get_settings().push_contact), timeout=5)
        with pytest.raises(NotAPushService):
            await sender.send(target, payload("patient", "en"))
    assert push.attempts == 1


# --- a subscription is hers (ownership) ---

async def test_another_participant_cannot_take_over_her_subscription(actors, push):
    """ASVS 4.1.2, 4.2.1: posting her endpoint is refused (409), never a move; her "off" still ends it."""
    her, other = await actors.patient(), await actors.patient()
    subscription = push.new_subscription()
    assert (await her.post(SUBSCRIBE, json=subscription, headers=API_HEADERS)).status_code == 200
    theirs = {**push.new_subscription(), "endpoint": subscription["endpoint"]}  # their keys, her endpoint
    taken = await other.post(SUBSCRIBE, json=theirs, headers=API_HEADERS)
    assert taken.status_code == 409
    assert await _subscriptions() == [{"participant": her.participant_id, "endpoint": subscription["endpoint"],
                                       "p256dh": subscription["keys"]["p256dh"]}]
    assert not (await ReminderPlan.select(ReminderPlan.enabled).where(
        ReminderPlan.participant == other.participant_id).first() or {}).get("enabled")
    page = await her.get("/reminders")
    await her.post("/reminders/off", data={"_csrf_token": csrf_token(page.text)})
    assert await PushSubscription.count() == 0


async def test_her_own_browser_subscribing_again_renews_its_keys(patient, push):
    """ASVS 4.1.3: the owner may renew her own subscription (the browser's keys can change)."""
    subscription = push.new_subscription()
    assert (await patient.post(SUBSCRIBE, json=subscription, headers=API_HEADERS)).status_code == 200
    renewed = {**push.new_subscription(), "endpoint": subscription["endpoint"]}
    assert (await patient.post(SUBSCRIBE, json=renewed, headers=API_HEADERS)).status_code == 200
    [row] = await _subscriptions()
    assert row["participant"] == patient.participant_id and row["p256dh"] == renewed["keys"]["p256dh"]


async def test_two_participants_posting_one_endpoint_at_once_leave_it_with_one(actors, push):
    """ASVS 4.1.2: a race cannot move it either: one gets 200, the other 409, nobody a 5xx."""
    first, second = await actors.patient(), await actors.patient()
    subscription = push.new_subscription()
    answers = await asyncio.gather(*(who.post(SUBSCRIBE, json=subscription, headers=API_HEADERS)
                                     for who in (first, second)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = first if answers[0].status_code == 200 else second
    assert [r["participant"] for r in await _subscriptions()] == [winner.participant_id]


# --- a withdrawn participant stores nothing ---

async def test_a_withdrawn_participants_old_cookie_stores_no_subscription_or_plan(patient, push):
    """ASVS 3.3.1, 4.1.2: after she withdraws, a phone that kept her cookie cannot subscribe, change or pause
    a plan: the API answers 410, the pages send her to the start, and nothing is stored."""
    kept = dict(patient.cookies)
    form = await patient.get("/settings/withdraw")
    assert (await patient.post("/settings/withdraw", data={"_csrf_token": csrf_token(form.text),
                                                           "choice": "keep"})).status_code == 200
    patient.cookies.update(kept)
    subscribed = await patient.post(SUBSCRIBE, json=push.new_subscription(), headers=API_HEADERS)
    assert subscribed.status_code == 410
    action = await patient.post("/api/reminders/action", json={"action": "snooze"}, headers=API_HEADERS)
    assert action.status_code == 410
    page = await patient.get("/reminders")
    assert page.status_code in (302, 303) and page.headers["location"] == "/"
    token = csrf_token((await patient.get("/workspace/login")).text)
    patient.cookies.update(kept)
    for path, form_data in (("/reminders", {"time1": "08:00", "days": ["1"], "quiet_start": "21:00",
                                            "quiet_end": "07:00"}), ("/reminders/not-today", {})):
        response = await patient.post(path, data={"_csrf_token": token, **form_data})
        assert response.status_code in (302, 303) and response.headers["location"] == "/", path
        patient.cookies.update(kept)
    assert await PushSubscription.count() == 0 and await ReminderPlan.count() == 0
