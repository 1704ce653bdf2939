"""Password hashing never stalls the event loop, and only a few hashes run at once."""

from __future__ import annotations

import asyncio
import threading
import time

from server.accounts import passwords


async def test_it_keeps_the_event_loop_free_while_a_password_is_hashed():
    ticks = 0
    stop = asyncio.Event()

    async def other_requests() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    others = asyncio.create_task(other_requests())
    await asyncio.sleep(0)
    before = ticks
    hashed = await passwords.hash_password("a lighthouse keeper's long notebook")  # the real hasher: ~0.1 s
    during = ticks - before
    stop.set()
    await others
    assert await passwords.verify(hashed, "a lighthouse keeper's long notebook")
    assert not await passwords.verify(hashed, "a lighthouse keeper's short notebook")
    assert during >= 10, f"the loop ran only {during} times while hashing"


async def test_it_hashes_on_its_own_threads_and_never_more_than_the_bound_at_once(monkeypatch):
    running = peak = 0
    threads: set[str] = set()
    lock = threading.Lock()

    def slow_hash(password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            threads.add(threading.current_thread().name)
        time.sleep(0.02)
        with lock:
            running -= 1
        return "hash:" + password

    class SlowHasher:
        hash = staticmethod(slow_hash)

    monkeypatch.setattr(passwords, "hasher", SlowHasher())
    results = await asyncio.gather(*(passwords.hash_password(f"password {n}") for n in range(12)))
    assert results == [f"hash:password {n}" for n in range(12)]
    assert peak <= passwords.HASHING_AT_ONCE
    assert threading.current_thread().name not in threads
    assert all(name.startswith("pusterum-argon2") for name in threads)


def test_hashing_gives_way_to_pages_when_the_cpus_are_busy():
    """A burst of sign-ins must not slow her pages: the hashing threads run at a lower priority."""
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return  # thread priorities are a Linux feature; elsewhere hashing keeps the process's
    niceness = passwords._pool.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result()
    assert niceness >= passwords.HASHING_NICENESS > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
