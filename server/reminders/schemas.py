"""What the reminders page and API take in: the plain form with her times, a browser's push subscription and a
notification's own buttons. Each is a typed Struct with its limits, so the decoder refuses what cannot be right
and the OpenAPI schema is derived from the same types (the patterns below are the subscription's contract).
Rules across fields (a shift ends after it starts, not every time in the quiet hours) stay in ``services``, and
which push services an endpoint may name in ``endpoints``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from server.lib.i18n import N_

INTERVALS = (60, 90, 120, 180, 240)  # minutes between staff reminders in a shift window

# What <input type="time"> sends: "HH:MM", with seconds only where someone typed them (they are dropped).
TIME_OF_DAY = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?$"
Time = Annotated[str, msgspec.Meta(pattern=TIME_OF_DAY, extra={
    "error": N_("Please write times as hours and minutes, for example 08:30.")})]
Day = Literal["1", "2", "3", "4", "5", "6", "7"]  # ISO weekdays, as the day boxes send them


class ReminderForm(msgspec.Struct, frozen=True):
    """The reminders page: a patient's practice times, or a member of staff's shifts and how often; for
    both, the days and the quiet hours. Each kind sends only its own fields; the others stay empty."""

    quiet_start: Time
    quiet_end: Time
    days: Annotated[list[Day], msgspec.Meta(max_length=7, extra={
        "error": N_("Please choose at least one day.")})] = []
    time1: Time = ""
    time2: Time = ""
    time3: Time = ""
    start1: Time = ""
    end1: Time = ""
    start2: Time = ""
    end2: Time = ""
    every: Annotated[Literal[INTERVALS], msgspec.Meta(extra={  # type: ignore[valid-type]
        "error": N_("Please choose how often.")})] | None = None

    def choice(self, kind: str) -> dict[str, Any]:
        """What she chose, as a plan stores it ("HH:MM" times; a shift where either end was given)."""
        if kind == "staff":
            pairs = ((self.start1, self.end1), (self.start2, self.end2))
            return {"windows": [{"start": start[:5], "end": end[:5]} for start, end in pairs if start or end],
                    "every_minutes": self.every}
        return {"times": [t[:5] for t in (self.time1, self.time2, self.time3) if t]}


# A push subscription as PushSubscription.toJSON() gives it. The endpoint is the browser's push service:
# https (and outside production also this machine, where the tests' push service runs), printable
# ASCII, and then at a known push service (``server.reminders.endpoints``, which a setting extends); the
# keys are unpadded base64url, a P-256 point (uncompressed: 65 bytes starting 0x04) and 16 bytes.
ENDPOINT = r"^(https://|http://(127\.0\.0\.1|localhost):)[!-~]+$"
P256DH = r"^B[A-P][A-Za-z0-9_-]{85}=?$"
AUTH = r"^[A-Za-z0-9_-]{22}(==)?$"
BAD_KEYS = N_("This browser gave keys for reminders that we cannot use.")


class Keys(msgspec.Struct, frozen=True):
    p256dh: Annotated[str, msgspec.Meta(max_length=88, pattern=P256DH, extra={"error": BAD_KEYS})]
    auth: Annotated[str, msgspec.Meta(max_length=24, pattern=AUTH, extra={"error": BAD_KEYS})]


class SubscriptionIn(msgspec.Struct, frozen=True):
    endpoint: Annotated[str, msgspec.Meta(max_length=1024, pattern=ENDPOINT, description=(
        "The browser's push service: https (http only to this machine, and never in production)."), extra={
        "error": N_("This browser gave an address for reminders that we cannot use.")})]
    keys: Keys


Endpoint = Annotated[str, msgspec.Meta(max_length=1024, pattern=ENDPOINT, extra={
    "error": N_("This browser gave an address for reminders that we cannot use.")})]


class RenewalIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the service worker sends after ``pushsubscriptionchange``: the subscription the browser made in
    place of the old one, and the old one's endpoint where the browser still knows it."""

    subscription: SubscriptionIn
    old_endpoint: Endpoint | None = None


class TestIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which browser the test goes to: this one's endpoint (it must be hers)."""

    endpoint: Endpoint


class Sent(msgspec.Struct, frozen=True):
    sent: Literal[True]


class Renewed(msgspec.Struct, frozen=True):
    renewed: Literal[True]


Later = Literal["snooze", "not_today"]


class LaterForm(msgspec.Struct, frozen=True):
    """The page a reminder opens where the phone shows no buttons: the buttons' two choices, as a plain form."""

    action: Annotated[Later, msgspec.Meta(extra={"error": N_("That is not something a reminder can do.")})]


class ActionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    action: Literal["snooze", "not_today"]


class Enabled(msgspec.Struct, frozen=True):
    enabled: Literal[True]


class Done(msgspec.Struct, frozen=True):
    done: Literal["snooze", "not_today"]
