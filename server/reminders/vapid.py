"""The server's VAPID key: made once by ``pusterum push keys``, kept in var/ (or VAPID_KEY_FILE), never in git.

Browsers bind each subscription to the public key they were given, so replacing the key silently would
break every subscription: ``ensure_keys`` never overwrites, and the sender refuses to run without a key.
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from urllib.parse import urlparse

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid

from server.settings import get_settings

TOKEN_SECONDS = 12 * 3600  # push services accept at most 24 h
_REUSE_SECONDS = 6 * 3600  # a signed token is reused for this long per push service


def ensure_keys(path: Path | None = None) -> tuple[Path, bool]:
    """Returns (the key file, whether it was made now)."""
    path = path or get_settings().vapid_key_file
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid = Vapid()
    vapid.generate_keys()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from the start
    with os.fdopen(fd, "wb") as fh:
        fh.write(vapid.private_pem())
    return path, True


_loaded: dict[Path, Vapid] = {}


def load_key() -> Vapid | None:
    """The key, read once; a missing key is looked for again on every call, so a key made with
    ``pusterum push keys`` while the app runs is used without a restart."""
    path = get_settings().vapid_key_file
    if path not in _loaded:
        if not path.exists():
            return None
        _loaded[path] = Vapid.from_pem(path.read_bytes())
    return _loaded[path]


def public_key_b64(vapid: Vapid | None = None) -> str | None:
    """The applicationServerKey a page gives ``pushManager.subscribe`` (base64url, unpadded)."""
    vapid = vapid or load_key()
    if vapid is None:
        return None
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Signer:
    """VAPID Authorization headers per push service origin, signed once and reused while fresh.

    Signing is an ECDSA operation per call; with thousands of reminders due at once, reusing one token
    per push service (the ``aud`` is the service's origin, not the subscription) saves most of it.
    """

    def __init__(self, vapid: Vapid, contact: str) -> None:
        self.vapid, self.contact = vapid, contact
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}

    def headers(self, endpoint: str, now: float | None = None) -> dict[str, str]:
        now = now or time.time()
        url = urlparse(endpoint)
        audience = f"{url.scheme}://{url.netloc}"
        cached = self._cache.get(audience)
        if cached and cached[0] > now:
            return cached[1]
        signed = self.vapid.sign({"aud": audience, "exp": int(now) + TOKEN_SECONDS, "sub": self.contact})
        self._cache[audience] = (now + _REUSE_SECONDS, signed)
        return signed
