"""A burst of workspace sign-ins must not stall patients' requests: /healthz latency while N people sign in
at once (each a real argon2id check), against /healthz alone, on one worker process (``--only signin``).

Password hashing runs on its own bounded thread pool (``server.accounts.passwords``); were it on the event
loop, every request in the process would wait behind the whole burst (issue 12 measured 11.3 s for 100).
The people of the burst are on browsers that have signed in before (the sign-in throttle checks at most
five simultaneous tries from one unknown browser's address at a time; see ``client.known_browsers``).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx

from bench import client as client_steps
from bench.servers import App

SIGN_INS = 50
PASSWORD = "a lighthouse keeper's long notebook"
EMAIL = "bench-signin@example.org"


async def _sign_in(client: httpx.AsyncClient) -> int:
    try:
        return (await client_steps.sign_in(client, EMAIL, PASSWORD)).status_code
    finally:
        await client.aclose()


async def _health(client: httpx.AsyncClient) -> float:
    began = time.perf_counter()
    response = await client.get("/healthz")
    response.raise_for_status()
    return time.perf_counter() - began


async def _measure(url: str, sign_ins: int) -> dict[str, Any]:
    browsers = await client_steps.known_browsers(lambda: httpx.AsyncClient(base_url=url, timeout=120), EMAIL,
                                                 PASSWORD, sign_ins)
    async with httpx.AsyncClient(base_url=url, timeout=120) as probe:
        alone = [await _health(probe) for _ in range(50)]
        burst = asyncio.gather(*(_sign_in(browser) for browser in browsers))
        began = time.perf_counter()
        during: list[float] = []
        task = asyncio.ensure_future(burst)
        while not task.done():
            during.append(await _health(probe))
            await asyncio.sleep(0.02)
        statuses = await task
        burst_seconds = time.perf_counter() - began
    return {"sign_ins": sign_ins, "signed_in": statuses.count(303), "burst_seconds": round(burst_seconds, 2),
            "health_alone_ms": round(statistics.median(alone) * 1000, 1),
            "health_during_median_ms": round(statistics.median(during) * 1000, 1),
            "health_during_p95_ms": round(statistics.quantiles(during, n=20)[-1] * 1000, 1),
            "health_during_max_ms": round(max(during) * 1000, 1), "health_probes_during": len(during)}


def measure(sign_ins: int = SIGN_INS) -> dict[str, Any]:
    app = App(workers=1)
    try:
        app.prepare()
        done = app.cli("users", "create", "--email", EMAIL, "--role", "researcher", "--password-stdin",
                       stdin=PASSWORD + "\n")
        if done.returncode != 0:
            raise RuntimeError(f"pusterum users create failed:\n{done.stderr or done.stdout}")
        app.start()
        return asyncio.run(_measure(app.url, sign_ins))
    finally:
        app.stop()
        app.remove_var_dir()
