"""The engagement API's input: a batch of events made on the phone, each with its own UUID."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

MAX_BATCH = 500
MAX_BODY_BYTES = 512 * 1024

EventType = Literal[
    "app_opened", "exercise_started", "step_completed", "exercise_completed", "exercise_left",
    "rating_given", "pause_completed", "reminder_opened", "questionnaire_answered",
    "lesson_completed", "check_answered",
]
# Which fields each type must carry (besides id, type and occurred_at).
REQUIRED: dict[str, tuple[str, ...]] = {
    "app_opened": (),
    "exercise_started": ("exercise_version",),
    "step_completed": ("exercise_version", "step"),
    "exercise_completed": ("exercise_version",),  # seconds when the player measured them
    "exercise_left": ("exercise_version", "seconds"),
    "rating_given": ("exercise_version", "rating"),
    "pause_completed": ("exercise_version", "seconds"),  # stress ratings when she gave them
    "reminder_opened": (),
    "questionnaire_answered": ("questionnaire_version", "answers"),  # scored on the server
    # The staff e-learning (issue 17): the lesson version she read; an answer is judged on the server.
    "lesson_completed": ("lesson_version",),
    "check_answered": ("lesson_version", "question", "option"),
}
LEARNING_TYPES = ("lesson_completed", "check_answered")
ItemId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]{1,20}$")]
# Written by the server itself, never accepted from a phone.
SERVER_TYPES = ("reminder_sent",)


class EventIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: uuid.UUID
    type: EventType
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)]
    exercise_version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    step: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None
    seconds: Annotated[int, msgspec.Meta(ge=0, le=24 * 3600)] | None = None
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    comment: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    stress_before: Annotated[int, msgspec.Meta(ge=0, le=10)] | None = None
    stress_after: Annotated[int, msgspec.Meta(ge=0, le=10)] | None = None
    questionnaire_version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    answers: Annotated[list[Annotated[int, msgspec.Meta(ge=0, le=10)]], msgspec.Meta(max_length=40)] | None = None
    lesson_version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    question: ItemId | None = None  # check_answered: the question's id within the lesson
    option: ItemId | None = None  # check_answered: the option she chose (right or wrong is the server's call)
    # Optional: the phone may say whose event it is; it must be the signed-in participant.
    participant: uuid.UUID | None = None


class EventBatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    events: Annotated[list[EventIn], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]
    # The phone's clock when it sent the batch: tells us how far off that clock is, so times made by a
    # phone set a day wrong are moved back into place (and flagged) instead of being trusted or lost.
    sent_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class BatchAccepted(msgspec.Struct):
    ids: list[uuid.UUID]  # every id of the batch that the server now holds
    stored: int  # how many were new
    duplicates: int


class RatingForm(msgspec.Struct, frozen=True):
    # 0 names no exercise: a form without it is answered by the page's own message, not a bare 400.
    version: Annotated[int, msgspec.Meta(ge=0)] = 0
    rating: Annotated[str, msgspec.Meta(max_length=1)] = ""
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""
