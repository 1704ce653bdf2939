"""Reminder plans and subscriptions: what she chose, checked once here for the page and the API alike."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from server import db
from server.lib import errors
from server.lib.i18n import _
from server.lib.localtime import next_midnight
from server.participants.tables import Participant
from server.reminders.endpoints import endpoint_problem
from server.reminders.schedule import HHMM, MAX_SLOTS, Plan, next_due, outside_quiet_hours, plan_of, window_slots
from server.reminders.schemas import INTERVALS
from server.reminders.tables import PushSubscription, ReminderPlan

SNOOZE = timedelta(minutes=30)
DEFAULTS: dict[str, dict[str, Any]] = {
    "patient": {"times": ["19:00"], "days": "1234567"},
    "staff": {"windows": [{"start": "07:00", "end": "15:00"}], "every_minutes": 120, "days": "12345"},
    "partner": {"times": ["19:00"], "days": "1234567"},  # as a patient's: times of day, every day
}


class Invalid(errors.Refused):
    """What she entered cannot be a plan; the message says why, in her language."""


@dataclass(frozen=True, slots=True)
class PlanView:
    enabled: bool
    subscribed: bool
    choice: dict[str, Any]
    days: str
    quiet_start: str
    quiet_end: str
    next_due_at: datetime | None
    paused_until: datetime | None
    slots: list[str] = field(default_factory=list)


async def get_plan(participant_id: uuid.UUID, kind: str) -> PlanView:
    row = await ReminderPlan.select().where(ReminderPlan.participant == participant_id).output(load_json=True).first()
    subscribed = await PushSubscription.exists().where(PushSubscription.participant == participant_id)
    if row is None:
        default = DEFAULTS[kind]
        return PlanView(False, subscribed, default, default["days"], "21:00", "07:00", None, None)
    return PlanView(row["enabled"], subscribed, row["choice"] or DEFAULTS[kind], row["days"],
                    row["quiet_start"], row["quiet_end"], row["next_due_at"], row["paused_until"],
                    row["slots"] or [])


def build_slots(kind: str, choice: dict[str, Any]) -> list[str]:
    """The wall-clock times that follow from her choice; raises Invalid with a message for people."""
    try:
        if kind == "staff":
            if choice.get("every_minutes") not in INTERVALS:
                raise Invalid(_("Please choose how often."))
            slots = [s for w in choice.get("windows", []) for s in window_slots(w["start"], w["end"],
                                                                                 choice["every_minutes"])]
        else:
            slots = [t for t in choice.get("times", []) if t]
            if any(not HHMM.match(t) for t in slots):
                raise Invalid(_("Please write times as hours and minutes, for example 08:30."))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, Invalid):
            raise
        raise Invalid(_("Please check the times: a shift must end after it starts.")) from None
    if not slots:
        raise Invalid(_("Please choose at least one time."))
    if len(set(slots)) > MAX_SLOTS:
        raise Invalid(_("That is too many reminders for one day."))
    return sorted(set(slots))


async def save_plan(participant_id: uuid.UUID, kind: str, choice: dict[str, Any], days: str,
                    quiet_start: str, quiet_end: str, now: datetime | None = None) -> PlanView:
    now = now or datetime.now(UTC)
    if not days or any(d not in "1234567" for d in days) or len(set(days)) != len(days):
        raise Invalid(_("Please choose at least one day."))
    if not (HHMM.match(quiet_start) and HHMM.match(quiet_end)):
        raise Invalid(_("Please write times as hours and minutes, for example 08:30."))
    slots = build_slots(kind, choice)
    plan = Plan(slots=tuple(slots), days="".join(sorted(days)), quiet_start=quiet_start, quiet_end=quiet_end)
    if next_due(plan, now) is None:
        raise Invalid(_("All your times fall in your quiet hours, so no reminder would ever come."))
    values = {ReminderPlan.choice: json.dumps(choice), ReminderPlan.slots: json.dumps(slots),
              ReminderPlan.days: plan.days, ReminderPlan.quiet_start: quiet_start,
              ReminderPlan.quiet_end: quiet_end, ReminderPlan.paused_until: None,
              ReminderPlan.next_due_at: next_due(plan, now), ReminderPlan.updated_at: now}
    await _upsert(participant_id, values)
    return await get_plan(participant_id, kind)


async def _upsert(participant_id: uuid.UUID, values: dict) -> None:
    async with db.transaction():
        await still_taking_part(participant_id)
        if await ReminderPlan.exists().where(ReminderPlan.participant == participant_id):
            await ReminderPlan.update(values).where(ReminderPlan.participant == participant_id)
        else:
            plan = ReminderPlan(participant=participant_id)
            for column, value in values.items():
                setattr(plan, column._meta.name, value)
            await plan.save()


async def _reschedule(participant_id: uuid.UUID, now: datetime, *, paused_until: datetime | None = None,
                      snooze: bool = False) -> datetime | None:
    """Moves her next reminder (a pause until ``paused_until``, or a snooze) and returns when it now comes."""
    async with db.transaction():
        await still_taking_part(participant_id)
        row = await ReminderPlan.select().where(ReminderPlan.participant == participant_id).output(
            load_json=True).first()
        if row is None:
            return None
        plan = plan_of(row, paused_until=paused_until)
        # A snooze is one reminder more, at a moment she did not choose: it still keeps out of her quiet hours.
        due = outside_quiet_hours(now + SNOOZE, plan.quiet_start, plan.quiet_end) if snooze else next_due(plan, now)
        await ReminderPlan.update({ReminderPlan.paused_until: paused_until, ReminderPlan.next_due_at: due,
                                   ReminderPlan.updated_at: now}).where(ReminderPlan.participant == participant_id)
        return due


async def still_taking_part(participant_id: uuid.UUID) -> None:
    """In a transaction that is about to store something for her: raises ``Gone`` once she has withdrawn
    (``Unrecognised`` for a participant we do not have). A withdrawn participant's old cookie stores nothing.

    On PostgreSQL her row is locked (``FOR SHARE``) until the transaction ends, so a withdrawal at the same
    moment waits for it and then deletes what it stored; on SQLite the transaction holds the write lock.
    """
    query = Participant.select(Participant.withdrawn_at).where(Participant.id == participant_id)
    if not db.is_sqlite():
        query = query.lock_rows("SHARE", of=(Participant,))
    row = await query.first()
    if row is None:
        raise errors.Unrecognised(_("We could not recognise this phone. Please open your invite link again."))
    if row["withdrawn_at"] is not None:
        raise errors.Gone(_("You have withdrawn from Pusterum, so nothing more is saved."))


async def not_today(participant_id: uuid.UUID, now: datetime | None = None) -> datetime | None:
    """No more reminders today; returns when the next one comes."""
    now = now or datetime.now(UTC)
    return await _reschedule(participant_id, now, paused_until=next_midnight(now))


async def snooze(participant_id: uuid.UUID, now: datetime | None = None) -> datetime | None:
    """Once more in 30 minutes, or at the end of her quiet hours if those 30 minutes end in them; after that
    the plan goes on as before. Returns when it comes."""
    now = now or datetime.now(UTC)
    return await _reschedule(participant_id, now, snooze=True)


# --- subscriptions ---

def _b64(value: str, length: int) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def unusable(endpoint: str, p256dh: str, auth: str) -> str | None:
    """Why no push could ever go to this subscription, for developers (it starts with the part at fault:
    ``endpoint``, ``p256dh`` or ``auth``), or None if it is usable.

    The endpoint must be at a known push service (``server.reminders.endpoints``): the sender POSTs to it.
    The key must be a real point on P-256, not just 65 bytes starting 0x04: pywebpush raises on anything else
    at encryption time, and a stored key it raises on once would fail every reminder sent to it. The sender
    asks the same question about rows stored before this check existed.
    """
    where = endpoint_problem(endpoint)
    if where is not None:
        return where
    key = _b64(p256dh, 65)
    if key is None or key[0] != 4:
        return "p256dh is not 65 bytes of base64url starting 0x04"
    if _b64(auth, 16) is None:
        return "auth is not 16 bytes of base64url"
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key)
    except ValueError:
        return NOT_A_POINT
    return None


NOT_A_POINT = "p256dh is not a point on P-256"  # the one rule a JSON schema cannot state


def check_subscription(endpoint: str, p256dh: str, auth: str) -> None:
    problem = unusable(endpoint, p256dh, auth)
    if problem is not None and problem.startswith("endpoint"):
        raise Invalid(_("This browser gave an address for reminders that we cannot use."), problem)
    if problem is not None:
        raise Invalid(_("This browser gave keys for reminders that we cannot use."), problem)


async def subscribe(participant_id: uuid.UUID, kind: str, endpoint: str, p256dh: str, auth: str,
                    now: datetime | None = None) -> None:
    """Stores this browser's subscription for her, or renews its keys when it is already hers.

    A subscription belongs to the participant who stored it: the same endpoint from anyone else is refused
    (``Conflict``), never moved to them, or her "turn off" would leave it in place and her phone would get
    their reminders. (After she joins again on the same phone, the page's script meets that refusal by
    making this browser a fresh subscription, whose endpoint is new.)
    """
    check_subscription(endpoint, p256dh, auth)
    now = now or datetime.now(UTC)
    async with db.transaction():
        await still_taking_part(participant_id)
        # One statement, so two participants posting the same endpoint at once cannot both win: the row is
        # inserted, or (when it exists) its keys are renewed only where it is hers.
        stored = await PushSubscription.insert(PushSubscription(
            participant=participant_id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=now)).on_conflict(
            target=PushSubscription.endpoint, action="DO UPDATE",
            values=[PushSubscription.p256dh, PushSubscription.auth],
            where=PushSubscription.participant == participant_id).returning(PushSubscription.id)
        if not stored:
            raise errors.Conflict(_("This browser is already set up for reminders to someone else."),
                                  "endpoint is already subscribed by another participant")
        await _turn_on(participant_id, kind, now)


async def _turn_on(participant_id: uuid.UUID, kind: str, now: datetime) -> None:
    """Reminders on, counted from now. The first time with the defaults, so turning on is one tap. Turned on
    again, the next reminder is her plan's next time after now, and a pause ("not today") is over: the moment
    stored when she turned them off may have passed meanwhile, and sending it at once would be a reminder at
    a time she never chose."""
    row = await ReminderPlan.select().where(ReminderPlan.participant == participant_id).output(
        load_json=True).first()
    if row is None or not row["slots"]:
        default = DEFAULTS[kind]
        await save_plan(participant_id, kind, default, default["days"], "21:00", "07:00", now)
    elif not row["enabled"]:
        await ReminderPlan.update({ReminderPlan.paused_until: None, ReminderPlan.updated_at: now,
                                   ReminderPlan.next_due_at: next_due(plan_of(row, paused_until=None), now)}
                                  ).where(ReminderPlan.participant == participant_id)
    await ReminderPlan.update({ReminderPlan.enabled: True}).where(ReminderPlan.participant == participant_id)


async def renew(participant_id: uuid.UUID, old_endpoint: str | None, endpoint: str, p256dh: str, auth: str,
                now: datetime | None = None) -> None:
    """The browser replaced her subscription by itself (``pushsubscriptionchange``: the push service rotated
    it, or it expired): the new one takes the old one's place, so her reminders go on without her doing
    anything. The old row keeps its id and any reminder still waiting for it.

    Only her own subscription can be replaced: an old endpoint that is someone else's is ``NotFound`` and
    nothing changes; a new endpoint that is someone else's is a ``Conflict``, as for ``subscribe``. When the
    old one is not stored any more (the push service said "gone" before the browser did, or the browser did
    not say which it replaced), the new one is stored as long as her reminders are on; with reminders off
    there is nothing to renew (``NotFound``), and a renewal never turns them on.
    """
    check_subscription(endpoint, p256dh, auth)
    now = now or datetime.now(UTC)
    async with db.transaction():
        await still_taking_part(participant_id)
        old = None
        if old_endpoint:
            old = await PushSubscription.select(PushSubscription.id, PushSubscription.participant).where(
                PushSubscription.endpoint == old_endpoint).first()
            if old is not None and old["participant"] != participant_id:
                raise errors.NotFound(_("This phone is not set up for reminders."),
                                      "the old endpoint is not one of this participant's subscriptions")
        new = await PushSubscription.select(PushSubscription.id, PushSubscription.participant).where(
            PushSubscription.endpoint == endpoint).first()
        if new is not None and new["participant"] != participant_id:
            raise errors.Conflict(_("This browser is already set up for reminders to someone else."),
                                  "endpoint is already subscribed by another participant")
        keys = {PushSubscription.p256dh: p256dh, PushSubscription.auth: auth}
        if new is not None:  # already hers (the page subscribed it first): its keys, and the old one goes
            await PushSubscription.update(keys).where(PushSubscription.id == new["id"])
            if old is not None and old["id"] != new["id"]:
                await PushSubscription.delete().where(PushSubscription.id == old["id"])
        elif old is not None:
            await PushSubscription.update({**keys, PushSubscription.endpoint: endpoint}).where(
                PushSubscription.id == old["id"])
        elif await ReminderPlan.exists().where((ReminderPlan.participant == participant_id)
                                               & (ReminderPlan.enabled == True)):  # noqa: E712 — SQL
            await PushSubscription.insert(PushSubscription(participant=participant_id, endpoint=endpoint,
                                                           p256dh=p256dh, auth=auth, created_at=now))
        else:
            raise errors.NotFound(_("This phone is not set up for reminders."),
                                  "no subscription to renew, and reminders are off")


async def turn_off(participant_id: uuid.UUID) -> None:
    """Off means off at once: every subscription of hers is deleted, so nothing more can be sent."""
    async with db.transaction():
        await PushSubscription.delete().where(PushSubscription.participant == participant_id)
        await ReminderPlan.update({ReminderPlan.enabled: False}).where(ReminderPlan.participant == participant_id)
