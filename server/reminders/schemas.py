"""The reminders API's bodies and answers: a browser's push subscription and a notification's own buttons."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class Keys(msgspec.Struct, frozen=True):
    p256dh: Annotated[str, msgspec.Meta(max_length=200)]
    auth: Annotated[str, msgspec.Meta(max_length=100)]


class SubscriptionIn(msgspec.Struct, frozen=True):
    endpoint: Annotated[str, msgspec.Meta(max_length=2048)]
    keys: Keys


class ActionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    action: Literal["snooze", "not_today"]


class Enabled(msgspec.Struct, frozen=True):
    enabled: Literal[True]


class Done(msgspec.Struct, frozen=True):
    done: Literal["snooze", "not_today"]
