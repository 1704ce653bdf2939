"""Sending reminders: every app process runs this loop; each due reminder is claimed by one of them, and
one browser's failure is only its own.

**Two steps, both in the database.** ``claim_due`` takes the due plans and moves each on to its next
moment, and in the same transaction marks every subscription of those participants as having a reminder
waiting (``pending_until`` = due + TTL, ``next_attempt_at`` = now). ``take_pending`` then leases waiting
reminders whose attempt is due (``next_attempt_at`` moves a lease into the future, ``attempts`` counts).
On PostgreSQL both lock with ``FOR UPDATE SKIP LOCKED``, so processes take disjoint rows; on SQLite the
write lock (``BEGIN IMMEDIATE``) does the same. A reminder therefore lives in the database from the moment
it is claimed until it is delivered, refused or expired: a push-service outage or a restart does not lose
it, and any process picks it up again.

**At least once.** A send that fails for a reason that may pass (no answer, a timeout, 429, 5xx, an
exception) is tried again after a backoff (15 s doubling to 5 minutes, or the service's Retry-After,
whichever is longer) until the reminder's TTL ends; then it is given up and written on the subscription
(``last_failed_at``, ``last_failure``) and in the log. A process that dies after the push service accepted
a message but before it wrote so sends it again when the lease ends. That duplicate costs nothing on the
phone: every message carries the same ``Topic`` (a push service replaces an undelivered message with the
same topic for that subscription; topics are per subscription, so one name serves every plan) and the
same notification ``tag`` (the service worker's notification replaces a shown one). A reminder lost
silently would cost more than one shown twice, which cannot happen; so at-least-once it is. The
``reminder_sent`` event's id is derived from the subscription and the reminder, so a duplicate is stored once.

**Isolation.** Sends are grouped by push service origin; each origin gets its own task with at most
``PER_ORIGIN`` sends in flight, and every send has a timeout. The outcome of each small batch is
recorded as soon as it is known, so a service that throttles or hangs delays only its own subscriptions.
The loop does not wait for slow sends before it looks for due reminders again (``start_round``);
``run_once`` does (tests, the command line). Nothing one subscription does can raise out of a round.

Only push services are asked (``server.reminders.endpoints``): a stored endpoint that is not at one is deleted
like a gone one, and the loop's HTTP session refuses any other address, a redirect's included.

Push answers, as RFC 8030 asks: 404/410 mean the subscription is gone (delete it); 400/401/403/413 mean
our request or keys are wrong, which retrying cannot fix (give up, log for the operator). A stored
subscription whose key is not a P-256 point (stored before that was checked) is deleted like a gone one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import aiohttp
from piccolo.columns.combination import Combinable
from pywebpush import WebPusher

from server import db
from server.engagement.store import Row, write_batch
from server.lib import errors
from server.lib.i18n import N_, _, translations
from server.lib.localtime import local
from server.lib.paths import path_for
from server.reminders.endpoints import NotAPushService, endpoint_problem, push_session
from server.reminders.schedule import next_due, plan_of
from server.reminders.services import unusable
from server.reminders.tables import PushSubscription, ReminderPlan
from server.reminders.vapid import Signer, load_key
from server.settings import LANGUAGES, get_settings

log = logging.getLogger("pusterum.reminders")

TTL = timedelta(hours=1)  # a reminder delivered more than an hour late is no longer a reminder
TTL_SECONDS = int(TTL.total_seconds())
TOPIC = "pusterum-reminder"  # a newer (or duplicate) reminder replaces an undelivered one at the push service
CLAIM_BATCH = 500
PER_ORIGIN = 32  # sends in flight to one push service at once (FCM holds most phones: not too small)
SEND_TIMEOUT = 10.0  # seconds for one send, connecting included
LEASE = timedelta(minutes=5)  # a taken reminder is someone's for this long; longer than a queue of sends
FIRST_RETRY, LAST_RETRY = 15.0, 300.0  # seconds: the backoff between attempts
GONE = {404, 410}
CONFIGURATION = {400, 401, 403, 413}
_EVENT_IDS = uuid.UUID("6f1e0a52-3c1b-4d55-9a7e-0c8d3f2b9e11")  # uuid5 namespace of reminder_sent ids


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    participant: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class Pending:
    """A reminder taken for one attempt: where it goes, in which words, and until when it is worth sending."""

    subscription: Subscription
    kind: str
    language: str
    until: datetime
    attempts: int  # this one included


@dataclass(frozen=True, slots=True)
class Outcome:
    pending: Pending
    status: int | None = None  # the push service's answer; None: no answer (timeout, refused, raised)
    retry_after: float | None = None
    error: str | None = None  # why there was no answer, or "unusable" for a subscription nothing can reach


TITLE = N_("Time for a breathing space?")
BODY = {"staff": N_("A short pause is ready when you are."),
        "patient": N_("A few calm minutes, whenever it suits you.")}
ACTIONS = {"snooze": N_("In 30 minutes"), "not_today": N_("Not today")}


def payload(kind: str, language: str) -> bytes:
    """What the lock screen shows: an invitation, never a name, a condition or anything clinical. The
    reminders page shows these same words (``lock_screen``), so what it promises is what she sees.

    ``url`` opens the app where a practice starts; ``later_url`` is opened instead on a phone that shows no
    buttons on a notification (iPhone): a page with the buttons' choices, "in 30 minutes" and "not today"."""
    url = path_for("staff:home" if kind == "staff" else "journeys:home")
    return json.dumps({**lock_screen(kind, language), "url": url, "later_url": path_for("reminders:now"),
                       "tag": TOPIC}).encode()


def lock_screen(kind: str, language: str) -> dict:
    """Everything a reminder shows on the phone: its title, its one line and its buttons, in her language."""
    t = translations(language if language in LANGUAGES else "da").ugettext
    return {"title": t(TITLE), "body": t(BODY.get(kind, BODY["patient"])),
            "actions": {key: t(label) for key, label in ACTIONS.items()}}


_CLAIM_COLUMNS = (ReminderPlan.id, ReminderPlan.participant, ReminderPlan.slots, ReminderPlan.days,
                  ReminderPlan.quiet_start, ReminderPlan.quiet_end, ReminderPlan.paused_until,
                  ReminderPlan.next_due_at)
_CLEARED = {PushSubscription.pending_until: None, PushSubscription.next_attempt_at: None,
            PushSubscription.attempts: 0}


async def claim_due(now: datetime, limit: int = CLAIM_BATCH) -> int:
    """Take the plans due by ``now``, move each on to its next moment and leave a reminder waiting at each of
    their subscriptions, all in one transaction; returns how many plans were claimed."""
    sqlite = db.is_sqlite()
    async with db.transaction():
        query = ReminderPlan.select(*_CLAIM_COLUMNS).where(
            (ReminderPlan.enabled == True)  # noqa: E712 — Piccolo builds SQL from the comparison
            & (ReminderPlan.next_due_at <= now)
            & ReminderPlan.participant.withdrawn_at.is_null()
        ).order_by(ReminderPlan.next_due_at).limit(limit).output(load_json=True)
        if not sqlite:
            query = query.lock_rows("UPDATE", skip_locked=True, of=(ReminderPlan,))
        rows = await query
        by_due: dict[datetime, list[uuid.UUID]] = defaultdict(list)
        for row in rows:
            await ReminderPlan.update({ReminderPlan.next_due_at: next_due(plan_of(row), now)}).where(
                ReminderPlan.id == row["id"])
            by_due[row["next_due_at"]].append(row["participant"])
        for due, participants in by_due.items():  # a newer reminder replaces one still waiting
            await PushSubscription.update({PushSubscription.pending_until: due + TTL,
                                           PushSubscription.next_attempt_at: now, PushSubscription.attempts: 0}
                                          ).where(PushSubscription.participant.is_in(participants))
    return len(rows)


async def take_pending(now: datetime, limit: int = CLAIM_BATCH) -> list[Pending]:
    """Lease the waiting reminders whose next attempt is due; reminders whose TTL has ended are given up."""
    sqlite = db.is_sqlite()
    async with db.transaction():
        expired = await PushSubscription.update({
            **_CLEARED, PushSubscription.last_failed_at: now,
            PushSubscription.last_failure: "expired before it could be sent"}).where(
            (PushSubscription.pending_until <= now) & (PushSubscription.next_attempt_at <= now)  # not leased
        ).returning(PushSubscription.id)
        if expired:
            log.warning("%d reminders given up: their TTL ended before they could be sent", len(expired))
        query = PushSubscription.select(
            PushSubscription.id, PushSubscription.participant, PushSubscription.endpoint, PushSubscription.p256dh,
            PushSubscription.auth, PushSubscription.attempts, PushSubscription.pending_until,
            PushSubscription.participant.kind, PushSubscription.participant.language,
        ).where(PushSubscription.pending_until.is_not_null() & (PushSubscription.next_attempt_at <= now)).order_by(
            PushSubscription.next_attempt_at).limit(limit)
        if not sqlite:
            query = query.lock_rows("UPDATE", skip_locked=True, of=(PushSubscription,))
        rows = await query
        if rows:
            await PushSubscription.update({PushSubscription.next_attempt_at: now + LEASE,
                                           PushSubscription.attempts: PushSubscription.attempts + 1}).where(
                PushSubscription.id.is_in([r["id"] for r in rows]))
    return [Pending(Subscription(r["id"], r["participant"], r["endpoint"], r["p256dh"], r["auth"]),
                    r["participant.kind"], r["participant.language"], r["pending_until"], r["attempts"] + 1)
            for r in rows]


class Sender:
    """One per process: a shared HTTP session, the VAPID signer, a task per push service being sent to."""

    def __init__(self, session: aiohttp.ClientSession, signer: Signer, *, timeout: float = SEND_TIMEOUT,
                 per_origin: int = PER_ORIGIN) -> None:
        self.session, self.signer, self.timeout, self.per_origin = session, signer, timeout, per_origin
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()  # subscription ids: a lease that ran out is not sent twice from here

    async def send(self, subscription: Subscription, data: bytes,
                   ttl: int = TTL_SECONDS) -> tuple[int, float | None]:
        """One attempt; returns the push service's status and the Retry-After it asked for. Raises when there
        is no answer (timeout, connection), the keys cannot be used or the endpoint is not at a push service
        (``server.reminders.endpoints``): the caller decides what that means."""
        if (problem := endpoint_problem(subscription.endpoint)) is not None:
            raise NotAPushService(problem)
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        headers = {**self.signer.headers(subscription.endpoint), "Urgency": "normal", "Topic": TOPIC}
        async with asyncio.timeout(self.timeout):  # pywebpush's own timeout covers the request, not the connect
            response = await WebPusher(info, aiohttp_session=self.session).send_async(
                data, headers=headers, ttl=ttl, content_encoding="aes128gcm", timeout=self.timeout)
        return response.status, _retry_after(response.headers.get("Retry-After"))

    async def run_once(self, now: datetime | None = None, limit: int = CLAIM_BATCH) -> int:
        """One round, waiting until every send in it has an answer and is recorded; returns how many plans
        were claimed (0: nothing more is due). ``now`` is the clock for everything the round schedules."""
        claimed = await self.start_round(now, limit)
        await self.drain()
        return claimed

    async def start_round(self, now: datetime | None = None, limit: int = CLAIM_BATCH) -> int:
        """Claim what is due and start sending what waits, one task per push service; does not wait for them."""
        now = now or datetime.now(UTC)
        claimed = await claim_due(now, limit)
        by_origin: dict[str, list[Pending]] = defaultdict(list)
        for pending in await take_pending(now, 2 * limit):  # a participant may have several browsers
            if pending.subscription.id not in self._in_flight:
                self._in_flight.add(pending.subscription.id)
                by_origin[_origin(pending.subscription.endpoint)].append(pending)
        for origin, batch in by_origin.items():
            task = asyncio.create_task(self._deliver(origin, batch, now))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return claimed

    async def drain(self) -> None:
        """Wait for every send started so far (tests, the command line, shutting down)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, origin: str, batch: list[Pending], now: datetime) -> None:
        """Everything due for one push service: a few at a time, each small batch recorded as it is answered."""
        limit = self._limits.setdefault(origin, asyncio.Semaphore(self.per_origin))
        for start in range(0, len(batch), self.per_origin):
            chunk = batch[start:start + self.per_origin]
            outcomes = await asyncio.gather(*(self._attempt(pending, limit, now) for pending in chunk))
            try:
                await _record(list(outcomes), now)
            except Exception:  # the leases run out and the reminders are tried again
                log.exception("could not record %d push outcomes for %s", len(outcomes), _host(origin))
            finally:
                self._in_flight.difference_update(p.subscription.id for p in chunk)

    async def _attempt(self, pending: Pending, limit: asyncio.Semaphore, now: datetime) -> Outcome:
        """One send that never raises: whatever goes wrong is this subscription's outcome, nobody else's.
        The TTL sent is what is left of the reminder's hour, so a retried one does not outlive it."""
        sub = pending.subscription
        ttl = max(1, min(TTL_SECONDS, int((pending.until - now).total_seconds())))
        try:
            if unusable(sub.endpoint, sub.p256dh, sub.auth) is not None:
                return Outcome(pending, error="unusable")
            async with limit:
                status, retry_after = await self.send(sub, payload(pending.kind, pending.language), ttl)
                return Outcome(pending, status, retry_after)
        except Exception as exc:  # any failure of one send is that send's alone
            log.warning("push to %s failed (%s), attempt %d", _host(sub.endpoint), type(exc).__name__,
                        pending.attempts)
            return Outcome(pending, error=type(exc).__name__)


async def _record(outcomes: list[Outcome], now: datetime) -> None:
    """What each answer means for its subscription: sent (and a ``reminder_sent`` event), gone, refused,
    or tried again later; written only where the same reminder still waits (a newer one is left alone)."""
    sent = [o.pending for o in outcomes if o.status is not None and o.status < 300]
    await _record_sent(sent, now)
    async with db.transaction():
        for outcome in outcomes:
            pending, status = outcome.pending, outcome.status
            this = (PushSubscription.id == pending.subscription.id) & (PushSubscription.pending_until == pending.until)
            host = _host(pending.subscription.endpoint)
            if status is not None and status < 300:
                await PushSubscription.update({**_CLEARED, PushSubscription.last_sent_at: now}).where(this)
            elif status in GONE or outcome.error == "unusable":
                await PushSubscription.delete().where(PushSubscription.id == pending.subscription.id)
                log.info("push subscription %s at %s: removed", "gone" if status else "unusable", host)
            elif status in CONFIGURATION:
                log.error("push refused with %d: check the VAPID key, PUSH_CONTACT and payload size "
                          "(service %s)", status, host)
                await _give_up(this, now, f"refused with {status}")
            else:
                answer = status or outcome.error
                delay = max(outcome.retry_after or 0.0, _backoff(pending.attempts))
                if now + timedelta(seconds=delay) >= pending.until:
                    log.warning("push to %s given up after %d attempts (last answer %s)", host, pending.attempts,
                                answer)
                    await _give_up(this, now, f"expired after {pending.attempts} attempts, last {answer}")
                else:
                    await PushSubscription.update({PushSubscription.next_attempt_at: now + timedelta(
                        seconds=delay)}).where(this)


async def _give_up(this: Combinable, now: datetime, why: str) -> None:
    """Nothing waits any more; the subscription keeps when and why, for the operator (no URL, no person)."""
    await PushSubscription.update({**_CLEARED, PushSubscription.last_failed_at: now,
                                   PushSubscription.last_failure: why[:80]}).where(this)


async def _record_sent(sent: list[Pending], now: datetime) -> None:
    """``reminder_sent`` events, one per delivered message, for the follow-up (reminders vs practice). The id
    is the reminder's own, so a message sent twice (at least once) is counted once."""
    received = datetime.now(UTC)
    for participant in dict.fromkeys(p.subscription.participant for p in sent):  # through the one event writer
        await write_batch(participant, [
            Row(id=uuid.uuid5(_EVENT_IDS, f"{p.subscription.id}/{p.until.isoformat()}"), type="reminder_sent",
                content_version=None, occurred_at=now, day=local(now).date(), fingerprint="server")
            for p in sent if p.subscription.participant == participant], received)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)  # seconds; an HTTP date is rare from push services
    except ValueError:
        return None


def _backoff(attempts: int) -> float:
    """15 s, 30 s, 60 s … up to 5 minutes after the ``attempts``-th try, with jitter so processes spread out."""
    return min(LAST_RETRY, FIRST_RETRY * 2 ** max(attempts - 1, 0)) * random.uniform(0.75, 1.0)


def _origin(endpoint: str) -> str:
    url = urlparse(endpoint)
    return f"{url.scheme}://{url.netloc}"


def _host(endpoint: str) -> str:
    """The push service's host: enough for an operator, without the subscription's secret path."""
    return urlparse(endpoint).netloc or "?"


TEST_GAP = timedelta(seconds=10)  # one test at a time per browser: a tap, not a way to flood a push service
TEST_TTL = 120  # seconds: a test that arrives later than this would only confuse


async def send_test(participant_id: uuid.UUID, endpoint: str, kind: str, language: str,
                    now: datetime | None = None) -> None:
    """A reminder at once, to this browser only, so she sees on her own screen what a reminder looks like and
    knows that it works. Sent right here rather than by the loop, so the page can say at once whether the push
    service took it. Not a ``reminder_sent`` event: she asked for it. Raises ``NotFound`` when this browser
    is not hers or not subscribed, ``TooMany`` for a second test within seconds, ``Gone`` when the push service
    says the subscription has ended (it is deleted), and ``Unavailable`` when the push service cannot take it.
    """
    now = now or datetime.now(UTC)
    row = await PushSubscription.select(PushSubscription.id, PushSubscription.endpoint, PushSubscription.p256dh,
                                        PushSubscription.auth, PushSubscription.last_sent_at).where(
        (PushSubscription.endpoint == endpoint) & (PushSubscription.participant == participant_id)).first()
    if row is None:
        raise errors.NotFound(_("This phone is not set up for reminders yet. Turn them on first."))
    if row["last_sent_at"] is not None and now - row["last_sent_at"] < TEST_GAP:
        raise errors.TooMany(_("A reminder was just sent. Wait a few seconds before you try again."),
                             retry_after=int(TEST_GAP.total_seconds()))
    vapid = load_key()
    subscription = Subscription(row["id"], participant_id, row["endpoint"], row["p256dh"], row["auth"])
    status: int | None = None
    if vapid is not None:
        try:
            async with push_session() as session:
                sender = Sender(session, Signer(vapid, get_settings().push_contact))
                status, _retry = await sender.send(subscription, payload(kind, language), ttl=TEST_TTL)
        except Exception as exc:  # no answer: said to her as "not now", logged without the address
            log.warning("test push to %s failed (%s)", _host(endpoint), type(exc).__name__)
    if status in GONE:
        await PushSubscription.delete().where(PushSubscription.id == row["id"])
        raise errors.Gone(_("Reminders on this phone have stopped. Turn them on again."))
    if status is None or status >= 300:
        raise errors.Unavailable(_("The test could not be sent just now. Try again in a moment."),
                                 f"push service answered {status}", retry_after=30)
    await PushSubscription.update({PushSubscription.last_sent_at: now}).where(PushSubscription.id == row["id"])


async def reminder_loop(stop: asyncio.Event) -> None:
    """Started by the app's lifespan in every process; does nothing until there is a VAPID key."""
    settings = get_settings()
    async with push_session() as session:
        sender: Sender | None = None
        while not stop.is_set():
            try:
                vapid = load_key()
                if vapid is not None:
                    sender = sender or Sender(session, Signer(vapid, settings.push_contact))
                    while await sender.start_round() > 0 and not stop.is_set():
                        pass  # more may be due than one batch holds
            except Exception:
                log.exception("reminder loop failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.reminder_poll_seconds)
        if sender is not None:  # what was started is finished (or times out) before the session closes
            await sender.drain()
