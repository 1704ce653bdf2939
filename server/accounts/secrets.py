"""Second factor: TOTP (RFC 6238, 30 s, 6 digits) with recovery codes, and the encryption of its secret.

The TOTP secret is encrypted with AES-GCM under a key derived from SECRET_KEY, so a copy of the database
alone does not let anyone make codes. Recovery codes are random and long, so SHA-256 is enough to store them.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.lib.signing import fingerprint
from server.settings import get_settings

ISSUER = "Pusterum"
RECOVERY_CODES = 10


def _key() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pusterum totp secret").derive(
        get_settings().secret_key.encode())


def encrypt(secret: str) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(_key()).encrypt(nonce, secret.encode(), b"totp")).decode()


def decrypt(token: str) -> str:
    raw = base64.b64decode(token)
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], b"totp").decode()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def totp_step(secret: str, code: str, last_step: int, now: datetime | None = None) -> int | None:
    """The time step the code belongs to (±1 step for clock drift), or None; a step is never reused."""
    code = code.replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now or datetime.now(UTC)
    current = int(moment.timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 10 characters, shown once; e.g. ``k7qp-2xm9c``."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return ["".join(secrets.choice(alphabet) for _ in range(5)) + "-" +
            "".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(RECOVERY_CODES)]


def hash_code(code: str) -> str:
    return fingerprint(code.strip().lower().replace(" ", ""))
