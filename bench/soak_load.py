"""The soak's load: the people of a busy region at once, each doing what a browser or the app does, with httpx.

Every actor runs open-loop: it starts its next action on its own schedule whether or not the last one has
been answered, as people do, so a slow server meets more load, not less. Every answer is recorded under its
route template (``GET /j/{code}/consent``), with its status and time; a request that got no answer at all
(refused, reset, timed out) is recorded with status 0.

Who is there (``Plan``; the defaults are issue 12's):
- phones: enrolled first through the patient invite link, then each sends a batch of ``app_opened`` events
  every 2 s (one batch in twenty sent again right after its answer, as an outbox does when the answer was
  lost) and opens ``/home`` every 10 s (the patient page whose p99 is aimed at);
- new people: two a second join through an invite link, patients and staff (the unit's QR code) in turn;
- staff: one pause a second through the no-JavaScript pages and form, by staff enrolled first;
- a researcher opens the dashboard or the annual report every 2 s; a coordinator makes an invite code every
  10 s; someone signs in every 5 s;
- once, a third of the way in: a burst of 100 sign-ins at the same moment, while one phone's ``/home`` and
  ``/healthz`` are asked one after the other until the burst is over. The burst's browsers have each signed
  in once before the clock starts (a busy morning, not a guesser: ``client.known_browsers``).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bench import client as steps

API_HEADERS = {"X-Pusterum": "1"}  # the app's JSON API refuses posts without it (a form cannot send it)
BURST_PROBES = ("GET /home (during the burst)", "GET /healthz (during the burst)")
PAUSE_BEFORE, PAUSE_AFTER = "6", "3"  # her stress before and after, on the 0–10 scale
# A sign-in waits behind the whole burst's password checks (one hashing thread per process on 2 CPUs):
# give it the time that takes rather than count a slow answer as none.
CLIENT_TIMEOUT = 180
ENROL_CONCURRENCY = 10  # the phones and staff enrolled before the clock starts, this many at a time


@dataclass(frozen=True)
class Plan:
    seconds: float = 60
    phones: int = 50
    batch: int = 20
    batch_every: float = 2.0
    resend_one_in: int = 20
    home_every: float = 10.0
    enrol_every: float = 0.5
    pause_every: float = 1.0
    staff_first: int = 10  # staff enrolled before the clock starts, who take the pauses (with those who join)
    report_every: float = 2.0
    code_every: float = 10.0
    sign_in_every: float = 5.0
    burst: int = 100
    burst_at: float = 1 / 3  # of the soak's length


@dataclass(frozen=True)
class Target:
    """Where the soak goes and with what: the demo invite codes and the accounts ``bench.soak_db`` made."""

    url: str
    patient_code: str
    staff_code: str
    site_id: int
    accounts: dict[str, tuple[str, str]]  # role → (email, password)
    verify: bool = True  # False behind nginx's self-signed certificate


@dataclass
class Sample:
    label: str
    status: int  # 0: no answer at all
    seconds: float
    phase: str  # "setup" before the clock starts, "soak" from then on


@dataclass
class Load:
    """What the soak did and what it was told: the raw material of the report and of the row check."""

    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # no answer, or a 1xx–4xx not the one expected
    acknowledged: set[str] = field(default_factory=set)  # event ids a 200 said the server holds
    batches: int = 0
    resent: int = 0
    resent_stored_again: int = 0  # rows a resent, already acknowledged batch added: each is a duplicate
    enrolled: dict[str, int] = field(default_factory=lambda: {"patient": 0, "staff": 0})
    pauses_saved: int = 0
    codes_made: int = 0
    burst: dict[str, Any] = field(default_factory=dict)
    loop_lag: list[float] = field(default_factory=list)  # how late this process's own timer woke, in seconds
    # Each 5xx with what finds it in the server's log (its request id) and how long it took to come.
    server_errors: list[dict[str, Any]] = field(default_factory=list)
    phase: str = "setup"
    began: float = field(default_factory=time.perf_counter)  # reset when the clock starts

    def hear(self, label: str, response: httpx.Response, seconds: float) -> None:
        self.samples.append(Sample(label, response.status_code, seconds, self.phase))
        if response.status_code >= 500:
            self.server_errors.append({
                "route": label, "status": response.status_code, "ms": round(seconds * 1000),
                "at_s": round(time.perf_counter() - self.began - seconds, 1), "phase": self.phase,
                "request_id": response.headers.get("x-request-id", ""),
                "retry_after": response.headers.get("retry-after", "")})

    def no_answer(self, label: str, exc: BaseException, seconds: float) -> None:
        self.samples.append(Sample(label, 0, seconds, self.phase))
        self.failures.append(f"{label}: no answer ({type(exc).__name__}: {exc})")

    def expect(self, label: str, response: httpx.Response, *statuses: int) -> bool:
        if response.status_code in statuses:
            return True
        if response.status_code >= 500:
            return False  # already in server_errors, with its request id
        self.failures.append(f"{label}: {response.status_code} (expected {'/'.join(map(str, statuses))}): "
                             f"{response.text[:200]!r}")
        return False


class Soak:
    """One soak against one deployment: set-up (enrolments, sign-ins), then every actor until the time is up."""

    def __init__(self, target: Target, plan: Plan) -> None:
        self.target, self.plan = target, plan
        self.load = Load()
        self._tasks: set[asyncio.Task[None]] = set()
        self._clients: list[httpx.AsyncClient] = []
        self.phones: list[httpx.AsyncClient] = []
        self.burst_browsers: list[httpx.AsyncClient] = []
        self.staff: list[httpx.AsyncClient] = []
        # One TLS context for every client: httpx makes one per client otherwise (certifi loaded each time,
        # ~20 ms of this process's CPU), and 100 at once for the burst stalled every request in flight here.
        self._tls = ssl.create_default_context()
        if not target.verify:  # nginx's throwaway self-signed certificate
            self._tls.check_hostname = False
            self._tls.verify_mode = ssl.CERT_NONE

    def _client(self, keep: bool = True) -> httpx.AsyncClient:
        """A browser of its own (cookie jar, connections); kept ones are closed when the soak ends."""
        made = httpx.AsyncClient(base_url=self.target.url, verify=self._tls, follow_redirects=False,
                                 timeout=CLIENT_TIMEOUT, headers={"Accept-Encoding": "gzip", "Accept-Language": "da"})
        if keep:
            self._clients.append(made)
        return made

    async def _get(self, who: httpx.AsyncClient, label: str, url: str, **kwargs: Any) -> httpx.Response | None:
        return await self._ask(label, who.get(url, **kwargs))

    async def _ask(self, label: str, call: Awaitable[httpx.Response]) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            return await steps.timed(self.load.hear, label, call)
        except httpx.HTTPError as exc:
            self.load.no_answer(label, exc, time.perf_counter() - began)
            return None

    # --- the run ---

    async def run(self) -> Load:
        try:
            await self._setup()
            self.load.phase, self.load.began = "soak", time.perf_counter()
            began = asyncio.get_running_loop().time()
            until = began + self.plan.seconds
            p = self.plan
            rand = random.Random(12)
            schedules = [self._every(p.enrol_every, 0, until, self._enrol),
                         self._every(p.pause_every, 0.1, until, self._pause),
                         self._every(p.report_every, 0.2, until, self._report),
                         self._every(p.code_every, 0.3, until, self._code),
                         self._every(p.sign_in_every, 0.4, until, self._sign_in_now),
                         self._burst_at(began + p.seconds * p.burst_at), self._watch_loop(until)]
            for phone in range(p.phones):
                schedules.append(self._every(p.batch_every, rand.uniform(0, p.batch_every), until,
                                             lambda n, phone=phone: self._batch(phone, n)))
                schedules.append(self._every(p.home_every, rand.uniform(0, p.home_every), until,
                                             lambda n, phone=phone: self._home(phone)))
            await asyncio.gather(*schedules)
            while self._tasks:  # what is still in flight when the time is up is waited for, and counted
                await asyncio.gather(*list(self._tasks))
        finally:
            await asyncio.gather(*(c.aclose() for c in self._clients))
        return self.load

    async def _every(self, period: float, offset: float, until: float, action: Callable[[int], Awaitable[None]]
                     ) -> None:
        """Starts ``action(n)`` at offset + n × period, never waiting for the one before (open loop)."""
        loop = asyncio.get_running_loop()
        start = loop.time() + offset
        for n in itertools.count():
            at = start + n * period
            if at >= until:
                return
            await asyncio.sleep(max(0.0, at - loop.time()))
            task = asyncio.ensure_future(action(n))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _watch_loop(self, until: float) -> None:
        """This process shares the CPUs with the servers: how late its event loop runs is part of every time
        measured here, so it is measured too (a 50 ms timer, and how much later it fired)."""
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            asked = loop.time()
            await asyncio.sleep(0.05)
            self.load.loop_lag.append(loop.time() - asked - 0.05)

    async def _setup(self) -> None:
        """Before the clock: the phones and the first staff join, the researcher and coordinator sign in."""
        gate = asyncio.Semaphore(ENROL_CONCURRENCY)

        async def enrolled(door: str) -> httpx.AsyncClient:
            async with gate:
                who = self._client()
                if not await self._join(who, door):
                    raise RuntimeError(f"enrolling through {door}/<code> failed: {self._last_problem()}")
                return who

        self.phones = list(await asyncio.gather(*(enrolled("/j") for _ in range(self.plan.phones))))
        self.staff = list(await asyncio.gather(*(enrolled("/u") for _ in range(self.plan.staff_first))))
        self.burst_browsers = await steps.known_browsers(self._client, *self.target.accounts["signer"],
                                                        self.plan.burst)
        self.researcher, self.coordinator = self._client(), self._client()
        for who, role in ((self.researcher, "researcher"), (self.coordinator, "coordinator")):
            answer = await steps.sign_in(who, *self.target.accounts[role], on_answer=self.load.hear)
            if not self.load.expect(f"sign-in as {role}", answer, 303):
                raise RuntimeError(f"the {role} could not sign in: {self._last_problem()}")

    def _last_problem(self) -> object:
        return (self.load.failures or self.load.server_errors or ["?"])[-1]

    # --- the actors ---

    async def _join(self, who: httpx.AsyncClient, door: str) -> bool:
        code = self.target.patient_code if door == "/j" else self.target.staff_code
        began = time.perf_counter()
        try:
            joined = await steps.join(who, code, door, on_answer=self.load.hear)
        except httpx.HTTPError as exc:
            self.load.no_answer(f"{door}/{{code}} (consent page or form)", exc, time.perf_counter() - began)
            return False
        if not self.load.expect(f"{door}/{{code}}", joined, 303):
            return False
        self.load.enrolled["patient" if door == "/j" else "staff"] += 1
        first = joined.headers["location"]  # the page a browser opens next: her municipality, or the pauses
        answer = await self._get(who, f"GET {first.split('?')[0]}", first)
        return answer is not None and self.load.expect(f"GET {first}", answer, 200)

    async def _enrol(self, n: int) -> None:
        door = "/j" if n % 2 == 0 else "/u"
        who = self._client(keep=door == "/u")
        try:
            if await self._join(who, door) and door == "/u":
                self.staff.append(who)  # she takes pauses from now on
        finally:
            if door == "/j":
                await who.aclose()

    async def _batch(self, phone: int, n: int) -> None:
        now = datetime.now(UTC).isoformat()
        batch = {"sent_at": now, "events": [{"id": str(uuid.uuid4()), "type": "app_opened", "occurred_at": now}
                                            for _ in range(self.plan.batch)]}
        sent = {e["id"] for e in batch["events"]}
        who = self.phones[phone]
        answer = await self._ask("POST /api/events", who.post("/api/events", json=batch, headers=API_HEADERS))
        self.load.batches += 1
        if answer is None or not self.load.expect("POST /api/events", answer, 200):
            return
        self.load.acknowledged |= sent & set(answer.json()["ids"])
        if (n + phone) % self.plan.resend_one_in:
            return
        # The answer was "lost": the outbox sends the same batch again. It must be acknowledged, adding nothing.
        again = await self._ask("POST /api/events (resent)", who.post("/api/events", json=batch, headers=API_HEADERS))
        self.load.resent += 1
        if again is not None and self.load.expect("POST /api/events (resent)", again, 200):
            self.load.resent_stored_again += again.json()["stored"]

    async def _home(self, phone: int) -> None:
        answer = await self._get(self.phones[phone], "GET /home", "/home")
        if answer is not None:
            self.load.expect("GET /home", answer, 200)

    async def _pause(self, n: int) -> None:
        """The no-JavaScript pause: a pause that fits, its page, the player, the end page, then the form."""
        who = self.staff[n % len(self.staff)]
        go = await self._get(who, "GET /pause/go", "/pause/go", params={"length": "1"})
        if go is None or not self.load.expect("GET /pause/go", go, 303):
            return
        pause = go.headers["location"]
        slug = pause.rstrip("/").rsplit("/", 1)[-1]
        for label, url, params in (("GET /pauses/{slug}", pause, {}),
                                   ("GET /exercises/{slug}/play", f"/exercises/{slug}/play",
                                    {"start": "1", "before": PAUSE_BEFORE}),
                                   ("GET /exercises/{slug}/done", f"/exercises/{slug}/done", {"before": PAUSE_BEFORE})):
            page = await self._get(who, label, url, params=params)
            if page is None or not self.load.expect(label, page, 200):
                return
        form = steps.form_inputs(page.text)
        done = await self._ask("POST /pauses/{slug}/done", who.post(f"/pauses/{slug}/done", data={
            "_csrf_token": form["_csrf_token"], "version": form["version"], "before": PAUSE_BEFORE,
            "after": PAUSE_AFTER}))
        if done is None or not self.load.expect("POST /pauses/{slug}/done", done, 303):
            return
        self.load.pauses_saved += 1
        mine = await self._get(who, "GET /pauses/mine", done.headers["location"])
        if mine is not None:
            self.load.expect("GET /pauses/mine", mine, 200)

    async def _report(self, n: int) -> None:
        if n % 2 == 0:
            label, url, params = "GET /workspace/reports", "/workspace/reports", {}
        else:
            label, url, params = "GET /workspace/reports/annual", "/workspace/reports/annual", {
                "year": str(datetime.now(UTC).year)}
        answer = await self._get(self.researcher, label, url, params=params)
        if answer is not None:
            self.load.expect(label, answer, 200)

    async def _code(self, n: int) -> None:
        site = f"/workspace/coordinate/sites/{self.target.site_id}"
        page = await self._get(self.coordinator, "GET /workspace/coordinate/sites/{site_id}", site)
        if page is None or not self.load.expect("GET /workspace/coordinate/sites/{site_id}", page, 200):
            return
        made = await self._ask("POST /workspace/coordinate/sites/{site_id}/codes", self.coordinator.post(
            f"{site}/codes", data={"_csrf_token": steps.csrf_token(page.text), "kind": "patient",
                                   "label": f"soak {n}", "format": "link"}))
        if made is not None and self.load.expect("POST /workspace/coordinate/sites/{site_id}/codes", made, 200):
            self.load.codes_made += 1

    async def _sign_in(self, label_suffix: str = "", who: httpx.AsyncClient | None = None) -> bool:
        """A browser signs in with the signer's account (a new one, unless given one that has signed in
        before) and is closed; True when it was let in (303)."""
        def hear(label: str, response: httpx.Response, seconds: float) -> None:
            self.load.hear(label + label_suffix, response, seconds)

        began = time.perf_counter()
        who = who or self._client(keep=False)
        try:
            answer = await steps.sign_in(who, *self.target.accounts["signer"], on_answer=hear)
        except httpx.HTTPError as exc:
            self.load.no_answer(f"sign-in{label_suffix}", exc, time.perf_counter() - began)
            return False
        finally:
            await who.aclose()
        return self.load.expect(f"sign-in{label_suffix}", answer, 303)

    async def _sign_in_now(self, n: int) -> None:
        await self._sign_in()

    async def _burst_at(self, at: float) -> None:
        """100 sign-ins at once; meanwhile a patient's page and /healthz, one after the other, until it is over."""
        await asyncio.sleep(max(0.0, at - asyncio.get_running_loop().time()))
        began = time.perf_counter()
        burst = asyncio.gather(*(self._sign_in(" (burst)", who) for who in self.burst_browsers))
        probes: dict[str, list[float]] = {label: [] for label in BURST_PROBES}
        phone = self.phones[0]
        while not burst.done():
            for label, path in zip(BURST_PROBES, ("/home", "/healthz"), strict=True):
                asked = time.perf_counter()
                answer = await self._get(phone, label, path)
                if answer is not None and self.load.expect(label, answer, 200):
                    probes[label].append(time.perf_counter() - asked)
            await asyncio.sleep(0.02)
        signed_in = sum(await burst)
        self.load.burst = {"sign_ins": self.plan.burst, "signed_in": signed_in,
                           "seconds": round(time.perf_counter() - began, 2), "probes": probes}
