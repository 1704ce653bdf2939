"""Passwords as ASVS level 2 asks: 8 to 128 characters, no composition rules, common ones refused,
argon2id hashes (argon2-cffi's defaults), rehashed at login when the parameters have changed.

Hashing costs ~0.1–0.2 s of CPU on purpose, so it never runs on the event loop: it runs on a small pool
of its own threads (argon2-cffi releases the GIL), at most ``HASHING_AT_ONCE`` at a time in each process,
so a burst of sign-ins queues there while every other request in the process goes on."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.lib.i18n import _

MIN_LENGTH, MAX_LENGTH = 8, 128
# Django's list of 20,000 common passwords (BSD licence), those of 8 or more characters, plus Danish ones.
COMMON = Path(__file__).with_name("common-passwords.txt.gz")

hasher = PasswordHasher()
# Per process: the CPUs this process may use (a container's share, not the host's), less one for the event
# loop. With several worker processes the pools add up, so a burst then uses every core for a while.
HASHING_AT_ONCE = max(1, len(os.sched_getaffinity(0)) - 1)
HASHING_NICENESS = 10  # below every request's thread: when the CPUs are busy, hashing waits, pages do not


def _lower_priority() -> None:
    """On Linux a thread has a scheduling priority of its own (setpriority on its thread id): the hashing
    threads give way to the event loops, of this process and of the other workers, whenever both want a
    CPU (measured by ``make soak``'s burst of 100 sign-ins). Elsewhere this is a no-op."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


_pool = ThreadPoolExecutor(max_workers=HASHING_AT_ONCE, thread_name_prefix="pusterum-argon2",
                           initializer=_lower_priority)
# Verifying against this when the account does not exist takes as long as a real check, so timing
# does not tell whether an e-mail address has an account.
_DUMMY_HASH = hasher.hash("not a real password, only for timing")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON, "rt") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def problem(password: str, *, email: str = "") -> str | None:
    """Why this password cannot be used, in words for people; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return _("Please use at least 8 characters. A few words in a row is easy to remember.")
    if len(password) > MAX_LENGTH:
        return _("Please use at most 128 characters.")
    lowered = password.lower()
    if lowered in common_passwords() or (email and lowered in (email.lower(), email.split("@")[0].lower())):
        return _("That password is too common and easy to guess. Please choose another.")
    return None


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_pool, _verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)
