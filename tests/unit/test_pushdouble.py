"""The push service double really verifies: pushes a real service would drop are refused, valid ones decrypted.

A double that accepted everything would fail every test here except the happy paths.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import aiohttp
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPusher, WebPushException, webpush, webpush_async

from tests.pushdouble import PushDouble

SUB = "mailto:ops@pusterum.example"


def _vapid() -> tuple[Vapid, str, str]:
    """A VAPID key as the app holds it: (Vapid, raw public key b64url for browsers, raw private key b64url)."""
    vapid = Vapid()
    vapid.generate_keys()
    public = b64urlencode(
        vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    private = b64urlencode(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))
    return vapid, public, private


@pytest.fixture(scope="module")
def vapid() -> tuple[Vapid, str, str]:
    return _vapid()


@pytest.fixture
def push(vapid: tuple[Vapid, str, str]) -> Iterator[PushDouble]:
    with PushDouble(vapid[1]) as double:
        yield double


def _send(subscription: dict, data: bytes, headers: dict[str, str], ttl: int = 60) -> requests.Response:
    """Encrypt for ``subscription`` with pywebpush and POST with exactly ``headers`` (for hand-made VAPID claims)."""
    response = WebPusher(subscription).send(data, dict(headers), ttl=ttl, content_encoding="aes128gcm")
    assert isinstance(response, requests.Response)
    return response


def test_sync_webpush_is_delivered_decrypted_with_headers(push: PushDouble, vapid) -> None:
    _, _, private = vapid
    sub = push.new_subscription()
    message = {"title": "Zeit für Woche 2", "url": "/woche/2"}
    response = webpush(
        sub,
        json.dumps(message),
        vapid_private_key=private,
        vapid_claims={"sub": SUB},
        ttl=3600,
        headers={"Urgency": "high", "Topic": "week-2"},
    )
    assert isinstance(response, requests.Response)
    assert response.status_code == 201
    assert response.headers["Location"].startswith(push.origin)
    [delivery] = push.wait_for(1)
    assert delivery.endpoint == sub["endpoint"]
    assert delivery.json() == message
    assert (delivery.ttl, delivery.urgency, delivery.topic) == (3600, "high", "week-2")
    assert delivery.claims["aud"] == push.origin and delivery.claims["sub"] == SUB
    assert push.rejections == [] and push.attempts == 1


async def test_async_send_with_aiohttp_session_does_not_block_the_test_loop(push: PushDouble, vapid) -> None:
    key, _, _ = vapid
    sub = push.new_subscription()
    async with aiohttp.ClientSession() as session:
        response = await webpush_async(
            sub, '{"n": 1}', vapid_private_key=key, vapid_claims={"sub": SUB}, ttl=60, aiohttp_session=session
        )
        assert isinstance(response, aiohttp.ClientResponse) and response.status == 201
        headers = key.sign({"aud": push.origin, "sub": SUB, "exp": int(time.time()) + 600})
        response = await WebPusher(sub, aiohttp_session=session).send_async(
            b'{"n": 2}', headers=headers, ttl=0, content_encoding="aes128gcm"
        )
        assert isinstance(response, aiohttp.ClientResponse) and response.status == 201
    assert [d.json() for d in await push.wait_for_async(2)] == [{"n": 1}, {"n": 2}]


def test_push_signed_by_another_vapid_key_is_refused(push: PushDouble) -> None:
    _, _, other_private = _vapid()
    sub = push.new_subscription()
    with pytest.raises(WebPushException) as refused:
        webpush(sub, "hi", vapid_private_key=other_private, vapid_claims={"sub": SUB}, ttl=60)
    assert refused.value.status_code == 403
    assert push.deliveries == [] and push.rejections[0].status == 403


def test_forged_signature_with_the_right_k_is_refused(push: PushDouble, vapid) -> None:
    """Only the signature check catches a token signed by another key but claiming ours in k=."""
    other, _, _ = _vapid()
    _, public, _ = vapid
    sub = push.new_subscription()
    token = other.sign({"aud": push.origin, "sub": SUB})["Authorization"].split(",k=")[0]
    response = _send(sub, b"hi", {"Authorization": f"{token}, k={public}"})
    assert response.status_code == 401
    assert push.deliveries == [] and "signature" in push.rejections[0].reason


def test_wrong_audience_is_refused(push: PushDouble, vapid) -> None:
    _, _, private = vapid
    sub = push.new_subscription()
    with pytest.raises(WebPushException) as refused:
        webpush(sub, "hi", vapid_private_key=private, vapid_claims={"sub": SUB, "aud": "http://127.0.0.1"}, ttl=60)
    assert refused.value.status_code == 401
    assert push.deliveries == [] and "aud" in push.rejections[0].reason


@pytest.mark.parametrize(("exp_offset", "why"), [(-60, "expired"), (25 * 3600, "24 h")])
def test_expiry_outside_the_allowed_window_is_refused(push: PushDouble, vapid, exp_offset: int, why: str) -> None:
    key, _, _ = vapid
    sub = push.new_subscription()
    # pywebpush's webpush() silently replaces an expired exp, so sign the claims by hand.
    headers = key.sign({"aud": push.origin, "sub": SUB, "exp": int(time.time()) + exp_offset})
    assert _send(sub, b"hi", headers).status_code == 401
    assert push.deliveries == [] and why in push.rejections[0].reason


def test_scripted_429_is_answered_with_retry_after_then_the_next_push_is_delivered(push: PushDouble, vapid) -> None:
    _, _, private = vapid
    sub = push.new_subscription()
    push.script(sub["endpoint"], (429, {"Retry-After": "2"}))
    with pytest.raises(WebPushException) as throttled:
        webpush(sub, "first", vapid_private_key=private, vapid_claims={"sub": SUB}, ttl=60)
    assert throttled.value.status_code == 429 and throttled.value.retry_after == "2"
    assert push.deliveries == [] and push.rejections == []
    webpush(sub, "second", vapid_private_key=private, vapid_claims={"sub": SUB}, ttl=60)
    assert [d.payload for d in push.wait_for(1)] == [b"second"]
    assert push.attempts == 2


def test_scripted_410_keeps_answering_410(push: PushDouble, vapid) -> None:
    _, _, private = vapid
    sub = push.new_subscription()
    push.script(sub["endpoint"], 410)
    for _ in range(3):
        with pytest.raises(WebPushException) as gone:
            webpush(sub, "hi", vapid_private_key=private, vapid_claims={"sub": SUB}, ttl=60)
        assert gone.value.status_code == 410
    assert push.deliveries == [] and push.rejections == [] and push.attempts == 3


def test_tampered_ciphertext_is_refused(push: PushDouble, vapid) -> None:
    key, _, _ = vapid
    sub = push.new_subscription()
    pusher = WebPusher(sub)
    headers = key.sign({"aud": push.origin, "sub": SUB})
    prepared = pusher._prepare_send_data(b"secret", headers, ttl=60, content_encoding="aes128gcm")
    body = bytearray(prepared["data"])
    body[-1] ^= 0x01
    response = requests.post(sub["endpoint"], data=bytes(body), headers=prepared["headers"], timeout=10)
    assert response.status_code == 400
    assert push.deliveries == [] and "decrypt" in push.rejections[0].reason


def test_payload_encrypted_for_another_subscription_is_refused(push: PushDouble, vapid) -> None:
    key, _, _ = vapid
    sub, other = push.new_subscription(), push.new_subscription()
    headers = key.sign({"aud": push.origin, "sub": SUB})
    assert _send({**other, "endpoint": sub["endpoint"]}, b"hi", headers).status_code == 400
    assert push.deliveries == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"TTL": "-1"}, 400),
        ({"TTL": "soon"}, 400),
        ({"Content-Encoding": "aesgcm"}, 415),
        ({"Urgency": "urgent"}, 400),
        ({"Topic": "not a topic!"}, 400),
        ({"Topic": "x" * 33}, 400),
    ],
)
def test_malformed_headers_are_refused(push: PushDouble, vapid, headers: dict[str, str], status: int) -> None:
    key, _, _ = vapid
    sub = push.new_subscription()
    prepared = WebPusher(sub)._prepare_send_data(b"hi", key.sign({"aud": push.origin, "sub": SUB}), ttl=60)
    prepared["headers"].update(headers)
    response = requests.post(sub["endpoint"], data=prepared["data"], headers=prepared["headers"], timeout=10)
    assert response.status_code == status
    assert push.deliveries == [] and push.rejections[0].status == status


def test_missing_authorization_oversize_body_and_unknown_endpoint_are_refused(push: PushDouble, vapid) -> None:
    key, _, _ = vapid
    sub = push.new_subscription()
    assert _send(sub, b"hi", {}).status_code == 401
    assert _send(sub, b"x" * 4000, key.sign({"aud": push.origin, "sub": SUB})).status_code == 413
    unknown = {**sub, "endpoint": f"{push.origin}/push/nobody"}
    assert _send(unknown, b"hi", key.sign({"aud": push.origin, "sub": SUB})).status_code == 404
    assert [r.status for r in push.rejections] == [401, 413, 404] and push.attempts == 3
    with pytest.raises(TimeoutError, match="rejections"):
        push.wait_for(1, timeout=0.1)


def _hand_made_authorization(key: Vapid, public: str, header: dict, claims: dict) -> dict[str, str]:
    """A VAPID header py_vapid would refuse to build (it checks ``sub`` and fixes ``alg``), signed ES256 anyway."""
    signing_input = f"{b64urlencode(json.dumps(header).encode())}.{b64urlencode(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    signature = b64urlencode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    return {"Authorization": f"vapid t={signing_input}.{signature}, k={public}"}


@pytest.mark.parametrize(
    ("header", "claims", "why"),
    [
        ({"typ": "JWT", "alg": "ES256"}, {"sub": "ops@pusterum.example"}, "sub"),
        ({"typ": "JWT", "alg": "ES256"}, {"sub": "http://pusterum.example"}, "sub"),
        ({"typ": "JWT", "alg": "none"}, {"sub": SUB}, "alg"),
    ],
)
def test_bad_sub_or_alg_is_refused(push: PushDouble, vapid, header: dict, claims: dict, why: str) -> None:
    key, public, _ = vapid
    sub = push.new_subscription()
    claims = {"aud": push.origin, "exp": int(time.time()) + 600, **claims}
    assert _send(sub, b"hi", _hand_made_authorization(key, public, header, claims)).status_code == 401
    assert push.deliveries == [] and why in push.rejections[0].reason


def test_hand_made_authorization_is_accepted_when_valid(push: PushDouble, vapid) -> None:
    """Guards the test above: its helper builds tokens the double accepts when nothing is wrong."""
    key, public, _ = vapid
    sub = push.new_subscription()
    claims = {"aud": push.origin, "exp": int(time.time()) + 600, "sub": "https://pusterum.example"}
    headers = _hand_made_authorization(key, public, {"typ": "JWT", "alg": "ES256"}, claims)
    assert _send(sub, b"hi", headers).status_code == 201
    assert push.wait_for(1)[0].claims == claims
