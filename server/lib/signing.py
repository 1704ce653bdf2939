"""Hashes and signed values: the plain SHA-256 under which we keep secrets we must only recognise (invite
codes, session tokens, recovery codes), and keyed hashes and signed values, each with its own purpose so
one key never serves two meanings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from server.settings import get_settings


def fingerprint(text: str) -> str:
    """SHA-256 in hex: what is stored of a high-entropy secret (never of a password: that is argon2id)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _key(purpose: str) -> bytes:
    return _derive(get_settings().secret_key, purpose)


@lru_cache(maxsize=32)
def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def keyed_digest(purpose: str, value: str, length: int = 32) -> str:
    mac = hmac.new(_key(purpose), value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:length]


def sign(purpose: str, value: str) -> str:
    return f"{value}.{keyed_digest(purpose, value, 43)}"


def unsign(purpose: str, token: str) -> str | None:
    value, _, mac = token.rpartition(".")
    if not value or not hmac.compare_digest(mac, keyed_digest(purpose, value, 43)):
        return None
    return value
