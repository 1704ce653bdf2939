"""Second factor: TOTP (RFC 6238, 30 s, 6 digits) with recovery codes, and the encryption of its secret.

The TOTP secret is encrypted with AES-GCM under a key derived from SECRET_KEY, so a copy of the database
alone does not let anyone make codes; a secret encrypted under a former key (SECRET_KEY_FALLBACKS) is still
read, and encrypted again under the current key when it is used (``decrypt_and_renew``). Recovery codes are
random and long, so SHA-256 is enough to store them, and they work whatever the key.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pyotp

from server.lib.signing import fingerprint, seal, unseal

ISSUER = "Pusterum"
RECOVERY_CODES = 10


# The HKDF purpose and the associated data secrets have been encrypted under since the first release.
_PURPOSE, _AAD = "totp secret", b"totp"

def encrypt(secret: str) -> str:
    """Under the current SECRET_KEY only."""
    return seal(_PURPOSE, secret, aad=_AAD)


def decrypt(token: str) -> str:
    """With the current key or a fallback; raises ``server.lib.signing.Unreadable`` when no configured key fits."""
    return unseal(_PURPOSE, token, aad=_AAD).text


def decrypt_and_renew(token: str) -> tuple[str, str | None]:
    """The secret, and the same secret encrypted under the current key when ``token`` was made under a
    fallback (None when it is current): store that, so the fallback can be retired."""
    opened = unseal(_PURPOSE, token, aad=_AAD)
    return opened.text, encrypt(opened.text) if opened.stale else None


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
