"""Sending reminders: every app process runs this loop; a due reminder is claimed by exactly one of them.

Claiming and moving ``next_due_at`` on happen in one transaction: on PostgreSQL the due rows are
locked with ``FOR UPDATE SKIP LOCKED``, so two processes take disjoint rows; on SQLite the write lock
(``BEGIN IMMEDIATE``) does the same for processes sharing the file. Sending happens after the commit, so
a reminder is sent at most once: a crash between commit and send loses one reminder rather than
doubling it, which is the right way round for a nudge.

Push answers are handled as RFC 8030 asks: 404/410 mean the subscription is gone (delete it); 429 and
5xx are retried with backoff, honouring Retry-After; 400/401/403/413 mean our request or keys are wrong,
which retrying cannot fix, so they are logged for the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from pywebpush import WebPusher

from server import db
from server.engagement.store import Row, write_batch
from server.lib.i18n import N_, translations
from server.lib.localtime import local
from server.lib.paths import path_for
from server.reminders.schedule import next_due, plan_of
from server.reminders.tables import PushSubscription, ReminderPlan
from server.reminders.vapid import Signer, load_key
from server.settings import LANGUAGES, get_settings

log = logging.getLogger("pusterum.reminders")

TTL_SECONDS = 3600  # a reminder delivered more than an hour late is no longer a reminder
TOPIC = "pusterum-reminder"  # a newer reminder replaces an undelivered older one at the push service
CLAIM_BATCH = 500
MAX_ATTEMPTS = 4
CONCURRENCY = 64
GONE = {404, 410}
CONFIGURATION = {400, 401, 403, 413}


@dataclass(frozen=True, slots=True)
class Due:
    plan_id: int
    participant: uuid.UUID
    kind: str
    language: str


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    participant: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str


TITLE = N_("Time for a breathing space?")
BODY = {"staff": N_("A short pause is ready when you are."),
        "patient": N_("A few calm minutes, whenever it suits you.")}
ACTIONS = {"snooze": N_("In 30 minutes"), "not_today": N_("Not today")}


def payload(kind: str, language: str) -> bytes:
    """What the lock screen shows: an invitation, never a name, a condition or anything clinical."""
    t = translations(language if language in LANGUAGES else "da").ugettext
    url = path_for("staff:home" if kind == "staff" else "journeys:home")
    return json.dumps({"title": t(TITLE), "body": t(BODY.get(kind, BODY["patient"])), "url": url, "tag": TOPIC,
                       "actions": {key: t(label) for key, label in ACTIONS.items()}}).encode()


_CLAIM_COLUMNS = (ReminderPlan.id, ReminderPlan.participant, ReminderPlan.slots, ReminderPlan.days,
                  ReminderPlan.quiet_start, ReminderPlan.quiet_end, ReminderPlan.paused_until,
                  ReminderPlan.participant.kind, ReminderPlan.participant.language)


async def claim_due(now: datetime, limit: int = CLAIM_BATCH) -> list[Due]:
    """Take the reminders due by ``now`` for this process and move each plan on to its next moment."""
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
        for row in rows:
            await ReminderPlan.update({ReminderPlan.next_due_at: next_due(plan_of(row), now)}).where(
                ReminderPlan.id == row["id"])
    return [Due(r["id"], r["participant"], r["participant.kind"], r["participant.language"]) for r in rows]


class Sender:
    """One per process: a shared HTTP session, the VAPID signer, and the loop."""

    def __init__(self, session: aiohttp.ClientSession, signer: Signer) -> None:
        self.session, self.signer = session, signer
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def send(self, subscription: Subscription, data: bytes) -> int | None:
        """Deliver one message; returns the final status (None if the push service could not be reached)."""
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        status: int | None = None
        for attempt in range(MAX_ATTEMPTS):
            headers = {**self.signer.headers(subscription.endpoint), "Urgency": "normal", "Topic": TOPIC}
            retry_after: float | None = None
            try:
                async with self._limit:
                    response = await WebPusher(info, aiohttp_session=self.session).send_async(
                        data, headers=headers, ttl=TTL_SECONDS, content_encoding="aes128gcm", timeout=10)
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("push service unreachable (%s), attempt %d", type(exc).__name__, attempt + 1)
                status = None
            if status is not None and status < 300:
                return status
            if status in GONE:
                await PushSubscription.delete().where(PushSubscription.id == subscription.id)
                log.info("push subscription gone (%d): removed", status)
                return status
            if status in CONFIGURATION:
                log.error("push refused with %d: check the VAPID key, PUSH_CONTACT and payload size "
                          "(service %s)", status, _service(subscription.endpoint))
                return status
            if attempt + 1 < MAX_ATTEMPTS:
                await asyncio.sleep(retry_after if retry_after is not None else _backoff(attempt))
        log.warning("push gave up after %d attempts (last answer %s)", MAX_ATTEMPTS, status)
        return status

    async def run_once(self, now: datetime | None = None, limit: int = CLAIM_BATCH) -> int:
        """Claim and send what is due; returns how many plans were claimed (0: nothing more is due)."""
        now = now or datetime.now(UTC)
        due = await claim_due(now, limit)
        if not due:
            return 0
        by_participant = {d.participant: d for d in due}
        rows = await PushSubscription.select(
            PushSubscription.id, PushSubscription.participant, PushSubscription.endpoint, PushSubscription.p256dh,
            PushSubscription.auth).where(PushSubscription.participant.is_in(list(by_participant)))
        subscriptions = [Subscription(**r) for r in rows]
        results = await asyncio.gather(*(
            self.send(s, payload(by_participant[s.participant].kind, by_participant[s.participant].language))
            for s in subscriptions))
        delivered = [s for s, status in zip(subscriptions, results, strict=True) if status is not None and status < 300]
        await _record_sent(delivered, now)
        return len(due)


async def _record_sent(delivered: list[Subscription], now: datetime) -> None:
    """``reminder_sent`` events, one per delivered message, for the follow-up (reminders vs practice)."""
    if not delivered:
        return
    received = datetime.now(UTC)
    for participant in dict.fromkeys(s.participant for s in delivered):  # through the one event writer
        sent = [s for s in delivered if s.participant == participant]
        await write_batch(participant, [Row(id=uuid.uuid4(), type="reminder_sent", content_version=None,
                                            occurred_at=now, day=local(now).date(), fingerprint="server")
                                        for _s in sent], received)
    await PushSubscription.update({PushSubscription.last_sent_at: received}).where(
        PushSubscription.id.is_in([s.id for s in delivered]))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), 300.0)  # seconds; an HTTP date is rare from push services
    except ValueError:
        return None


def _backoff(attempt: int) -> float:
    """0.5 s, 1 s, 2 s … with full jitter, so many processes do not retry in step."""
    return random.uniform(0, 0.5 * 2**attempt)


def _service(endpoint: str) -> str:
    """The push service's host: enough for an operator, without the subscription's secret path."""
    return endpoint.split("/")[2] if "://" in endpoint else "?"


async def reminder_loop(stop: asyncio.Event) -> None:
    """Started by the app's lifespan in every process; does nothing until there is a VAPID key."""
    settings = get_settings()
    async with aiohttp.ClientSession() as session:
        sender: Sender | None = None
        while not stop.is_set():
            try:
                vapid = load_key()
                if vapid is not None:
                    sender = sender or Sender(session, Signer(vapid, settings.push_contact))
                    while await sender.run_once() > 0 and not stop.is_set():
                        pass  # more may be due than one batch holds
            except Exception:
                log.exception("reminder loop failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.reminder_poll_seconds)
