"""Settings: the only module that reads ``os.environ``.

Everything is read once into a frozen object so that a running process cannot drift from the
configuration it started with, and so that tests can build a fresh one with ``get_settings.cache_clear()``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("da", "en")


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message says what to set."""


@dataclass(frozen=True, slots=True)
class Settings:
    production: bool
    var_dir: Path
    database_url: str
    secret_key: str
    # Keys SECRET_KEY had before: still accepted to verify and decrypt what they made (device cookies, CSRF
    # tokens, typed codes, second-factor secrets), never used to sign or encrypt anything new.
    secret_key_fallbacks: tuple[str, ...]
    base_url: str
    host: str
    port: int
    workers: int
    default_language: str
    content_dir: Path
    pwa_dir: Path  # the static files of the app (CSS, JS, icons, service worker)
    # Test-only: multiplies every step's length in the player, so browser tests can play a practice
    # to its end in seconds. Refused in production mode.
    time_scale: float
    log_level: str
    # Web push: the VAPID key file (made by `pusterum push keys`, never in git), the contact the push
    # services may write to about our traffic (production refuses one at localhost or an example domain,
    # which Apple's push service refuses in turn), push service hosts beyond the well-known ones
    # (server.reminders.endpoints; ".example.net" means any host under it), and how often each process
    # looks for due reminders (0: this process sends none, e.g. in tests that drive the sender themselves).
    vapid_key_file: Path
    push_contact: str
    push_service_hosts: tuple[str, ...]
    reminder_poll_seconds: float
    # How often each process brings the report rollups up to date in the background (0: only when a
    # dashboard is opened), so that opening one finds little left to do.
    rollup_refresh_seconds: float
    # The reverse proxies whose X-Forwarded-For is believed (addresses or networks); empty: none, the
    # socket's peer is the client. See server.lib.clients.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    # Limits that stop a photographed QR code from flooding the system, counted in the database
    # (server.db.limits) so every process and instance shares them. Far above a real clinic day: see README.
    limit_enrol_per_code_hour: int
    limit_enrol_per_address_hour: int
    limit_events_per_minute: int
    limit_events_per_day: int

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def _secret_from_var(var_dir: Path) -> str:
    """A local secret generated once, so sessions and demo codes survive restarts on a laptop."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions before anything is written into it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_settings(env: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    production = env.get("PUSTERUM_ENV", "development").lower() == "production"
    var_dir = Path(env.get("PUSTERUM_VAR_DIR", str(ROOT / "var"))).resolve()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'pusterum.sqlite3'}"
    if not database_url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SettingsError(
            "DATABASE_URL must start with sqlite:/// or postgresql:// "
            f"(got a value starting with {database_url.split(':', 1)[0]!r})."
        )
    base_url = env.get("BASE_URL", "").rstrip("/")
    host = env.get("HOST", "127.0.0.1")
    port = _int(env, "PORT", 8000, 1, 65535)
    if not base_url:
        base_url = f"http://{host}:{port}"
    secret_key = env.get("SECRET_KEY", "")
    fallbacks = _fallbacks(env.get("SECRET_KEY_FALLBACKS", ""), secret_key)
    time_scale = _float(env, "PUSTERUM_TIME_SCALE", 1.0)
    push_contact = env.get("PUSH_CONTACT", DEFAULT_PUSH_CONTACT)
    if not push_contact.startswith(("mailto:", "https://")):
        raise SettingsError("PUSH_CONTACT must be a mailto: or https:// address the push services can reach you at.")
    if production:
        problems = []
        if len(secret_key) < 32:
            problems.append("set SECRET_KEY to a random string of at least 32 characters "
                            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        if any(len(key) < 32 for key in fallbacks):
            problems.append("give every key in SECRET_KEY_FALLBACKS at least 32 characters (they are former "
                            "values of SECRET_KEY)")
        if urlparse(base_url).scheme != "https":
            problems.append("set BASE_URL to the public https:// address of the app")
        if time_scale != 1.0:
            problems.append("unset PUSTERUM_TIME_SCALE (it is for tests only)")
        if _placeholder_contact(push_contact):
            problems.append("set PUSH_CONTACT to a mailto: or https:// address of your own that the push services "
                            "can reach (not localhost or an example domain)")
        if problems:
            raise SettingsError("Production mode (PUSTERUM_ENV=production) refuses to start: "
                                + "; ".join(problems) + ".")
    elif not secret_key:
        secret_key = _secret_from_var(var_dir)
        fallbacks = tuple(key for key in fallbacks if key != secret_key)
    default_language = env.get("DEFAULT_LANGUAGE", "da")
    if default_language not in LANGUAGES:
        raise SettingsError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}.")
    return Settings(
        production=production,
        var_dir=var_dir,
        database_url=database_url,
        secret_key=secret_key,
        secret_key_fallbacks=fallbacks,
        base_url=base_url,
        host=host,
        port=port,
        workers=_int(env, "WORKERS", 1, 1, 64),
        default_language=default_language,
        content_dir=Path(env.get("PUSTERUM_CONTENT_DIR", str(ROOT / "content"))).resolve(),
        pwa_dir=Path(env.get("PUSTERUM_PWA_DIR", str(ROOT / "pwa"))).resolve(),
        time_scale=time_scale,
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        vapid_key_file=Path(env.get("VAPID_KEY_FILE", str(var_dir / "vapid_private.pem"))).resolve(),
        push_contact=push_contact,
        push_service_hosts=_hosts(env, "PUSH_SERVICE_HOSTS"),
        reminder_poll_seconds=_float(env, "REMINDER_POLL_SECONDS", 15.0, 0, 600),
        rollup_refresh_seconds=_float(env, "ROLLUP_REFRESH_SECONDS", 60.0, 0, 3600),
        trusted_proxies=_networks(env, "TRUSTED_PROXIES"),
        limit_enrol_per_code_hour=_int(env, "LIMIT_ENROL_PER_CODE_HOUR", 120, 1, _MOST),
        limit_enrol_per_address_hour=_int(env, "LIMIT_ENROL_PER_ADDRESS_HOUR", 240, 1, _MOST),
        limit_events_per_minute=_int(env, "LIMIT_EVENTS_PER_MINUTE", 1000, 1, _MOST),
        limit_events_per_day=_int(env, "LIMIT_EVENTS_PER_DAY", 5000, 1, _MOST),
    )


def _fallbacks(raw: str, current: str) -> tuple[str, ...]:
    """Former keys, comma-separated, newest first (a generated key never holds a comma); the current key
    and repeats are dropped, so a fallback is never tried twice."""
    keys: list[str] = []
    for part in raw.split(","):
        if (key := part.strip()) and key != current and key not in keys:
            keys.append(key)
    return tuple(keys)


_MOST = 2**31 - 1  # a limit is counted in an INTEGER column
DEFAULT_PUSH_CONTACT = "mailto:pusterum@localhost"  # development only: production asks for a real one
# Names that reach nobody (RFC 2606 and RFC 6761): a push service cannot write to them, and Apple's refuses
# a VAPID token whose contact is one of them (403 BadJwtToken).
_NOBODY_DOMAINS = ("localhost", "example", "invalid", "test", "local", "example.com", "example.net", "example.org")
_HOST = r"[a-z0-9-]+(\.[a-z0-9-]+)+"


def _placeholder_contact(contact: str) -> bool:
    """Whether the push contact's domain reaches nobody: a reserved name, an address literal, or no domain
    with a dot at all."""
    if contact.startswith("mailto:"):
        domain = contact.removeprefix("mailto:").split("?", 1)[0].rpartition("@")[2]
    else:
        domain = urlparse(contact).hostname or ""
    domain = domain.lower().rstrip(".").strip("[]")
    try:
        ipaddress.ip_address(domain)
        return True
    except ValueError:
        pass
    return "." not in domain or any(domain == d or domain.endswith("." + d) for d in _NOBODY_DOMAINS)


def _hosts(env, name: str) -> tuple[str, ...]:
    """Comma-separated host names, each exact (``push.example.net``) or, with a leading dot (or ``*.``), a
    suffix (``.example.net``); never an address or a bare top-level name, which would let too much through."""
    hosts = []
    for part in env.get(name, "").split(","):
        if part := part.strip().lower():
            part = "." + part[2:] if part.startswith("*.") else part  # "*.example.net" as people write it
            if not re.fullmatch(_HOST, part.removeprefix(".")) or re.fullmatch(r"[0-9.]+", part.removeprefix(".")):
                raise SettingsError(f"{name} must list host names such as push.example.net or, for every host "
                                    f"under a domain, .example.net, separated by commas (got {part!r}).")
            hosts.append(part)
    return tuple(hosts)


def _networks(env, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or CIDR networks; a bad one stops the start rather than trusting too much."""
    networks = []
    for part in env.get(name, "").split(","):
        if part := part.strip():
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise SettingsError(f"{name} must list addresses or networks such as 127.0.0.1 or 10.0.0.0/8, "
                                    f"separated by commas (got {part!r}).") from None
    return tuple(networks)


def _int(env, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got {raw!r}).") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must lie between {low} and {high} (got {value}).")
    return value


def _float(env, name: str, default: float, low: float = 0.001, high: float = 10) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r}).") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must lie between {low:g} and {high:g} (got {value:g}).")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
