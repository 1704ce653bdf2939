"""Hashes, signed values and sealed (encrypted) values, and the key ring they use.

The plain SHA-256 under which we keep secrets we must only recognise (invite codes, session tokens,
recovery codes) needs no key. Everything keyed derives its key from SECRET_KEY with a purpose of its own,
so one key never serves two meanings.

The key ring is SECRET_KEY followed by SECRET_KEY_FALLBACKS (its former values): what is made now is made
with the current key only (``sign``, ``keyed_digest``, ``seal``); what was made before is still recognised
under a fallback (``unsign``/``verify``, ``keyed_digests``, ``unseal``), and the caller learns that it is
stale, so it can make it again under the current key. A key can therefore change without signing anyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.settings import get_settings


def fingerprint(text: str) -> str:
    """SHA-256 in hex: what is stored of a high-entropy secret (never of a password: that is argon2id)."""
    return hashlib.sha256(text.encode()).hexdigest()


def secret_keys() -> tuple[str, ...]:
    """The current SECRET_KEY first, then its fallbacks: recognise with any of them, make with the first."""
    settings = get_settings()
    return (settings.secret_key, *settings.secret_key_fallbacks)


@lru_cache(maxsize=64)
def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def derived_key(purpose: str) -> bytes:
    """The current key's 32 bytes for ``purpose``: what ``keyed_digest`` uses (e.g. to carry a key over
    into a store of its own, so that it stops depending on SECRET_KEY)."""
    return _derive(get_settings().secret_key, purpose)


def digest_with(key: bytes, value: str, length: int = 32) -> str:
    mac = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:length]


def keyed_digest(purpose: str, value: str, length: int = 32) -> str:
    """Under the current key only: for what is stored, counted or sent from now on."""
    return digest_with(derived_key(purpose), value, length)


def keyed_digests(purpose: str, value: str, length: int = 32) -> tuple[str, ...]:
    """One digest per key of the ring, the current one first: to find something an older key made
    (a typed code's link code), trying the current key before the fallbacks."""
    return tuple(digest_with(_derive(secret, purpose), value, length) for secret in secret_keys())


def sign(purpose: str, value: str) -> str:
    """Signed with the current key only: a fallback never signs anything."""
    return f"{value}.{keyed_digest(purpose, value, 43)}"


class Verified(NamedTuple):
    value: str
    stale: bool  # signed under a fallback key: sign it again under the current one


def verify(purpose: str, token: str) -> Verified | None:
    value, _, mac = token.rpartition(".")
    if not value:
        return None
    for position, secret in enumerate(secret_keys()):
        if hmac.compare_digest(mac, digest_with(_derive(secret, purpose), value, 43)):
            return Verified(value, position > 0)
    return None


def unsign(purpose: str, token: str) -> str | None:
    verified = verify(purpose, token)
    return verified.value if verified else None


# --- sealed values: AES-256-GCM under a key derived (HKDF-SHA-256) from each key of the ring ---

class Unreadable(ValueError):
    """No key of the ring opens this value: it was sealed under a key that is no longer configured."""


class Opened(NamedTuple):
    text: str
    stale: bool  # sealed under a fallback key: seal it again under the current one


@lru_cache(maxsize=64)
def _aead(secret: str, purpose: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"pusterum {purpose}".encode()).derive(
        secret.encode())
    return AESGCM(key)


def seal(purpose: str, text: str, *, aad: bytes | None = None) -> str:
    """``text`` encrypted and authenticated under the current key, as base64 (a random 96-bit nonce first).
    ``aad``: bound to the value, by default the purpose."""
    nonce = secrets.token_bytes(12)
    box = _aead(get_settings().secret_key, purpose)
    return base64.b64encode(nonce + box.encrypt(nonce, text.encode(), purpose.encode() if aad is None else aad)
                            ).decode()


def unseal(purpose: str, token: str, *, aad: bytes | None = None) -> Opened:
    """Opened with the first key of the ring that fits; raises Unreadable if none does."""
    try:
        raw = base64.b64decode(token, validate=True)
    except ValueError:
        raise Unreadable(purpose) from None
    for position, secret in enumerate(secret_keys()):
        try:
            text = _aead(secret, purpose).decrypt(raw[:12], raw[12:], purpose.encode() if aad is None else aad)
        except (InvalidTag, ValueError):
            continue
        return Opened(text.decode(), position > 0)
    raise Unreadable(purpose)
