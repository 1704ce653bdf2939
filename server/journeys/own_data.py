"""Her own data (GDPR art. 15 and 20): what we hold about her and everything her phone recorded — as a page she
can read in her language, and as JSON and CSV files to keep or take elsewhere. Only her rows; nothing about
anyone else; no internal ids but hers. Questionnaire answers are given item by item, with the statement and
the answer she chose, from the version of the questionnaire she answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from server.content.schemas import Questionnaire
from server.content.tables import ContentVersion
from server.engagement.tables import Event
from server.lib.spreadsheet import csv_text
from server.participants.municipalities import municipalities
from server.participants.tables import Participant
from server.reminders.services import get_plan

EVENT_FIELDS = ("occurred_at", "received_at", "type", "exercise", "exercise_version", "step", "seconds",
                "rating", "comment", "stress_before", "stress_after", "score", "answers", "clock_suspect",
                "question", "option", "correct")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _questionnaires(version_ids: set[int]) -> dict[int, Questionnaire]:
    """The questionnaire versions she answered, as published then (wording and answers can change later)."""
    if not version_ids:
        return {}
    rows = await ContentVersion.select(ContentVersion.id, ContentVersion.data).where(
        ContentVersion.id.is_in(list(version_ids)) & (ContentVersion.item.kind == "questionnaire")
    ).output(load_json=True)
    return {r["id"]: msgspec.convert(r["data"], Questionnaire) for r in rows}


def _answered(instrument: Questionnaire | None, answers: list[int], language: str) -> list[dict[str, Any]]:
    """Each item's statement and the answer she chose, in her language (the score alone where unknown)."""
    out = []
    for i, value in enumerate(answers):
        statement = instrument.items[i].get(language) if instrument and i < len(instrument.items) else None
        option = next((o for o in instrument.options if o.score == value), None) if instrument else None
        out.append({"number": i + 1, "statement": statement, "answer": value,
                    "answer_text": option.text.get(language) if option else None})
    return out


async def collect(participant_id: uuid.UUID) -> dict[str, Any]:
    who = await Participant.select(
        Participant.id, Participant.kind, Participant.language, Participant.municipality_code,
        Participant.consent_version, Participant.consented_at, Participant.created_at,
        Participant.site.name, Participant.unit.name, Participant.course_group.name,
    ).where(Participant.id == participant_id).first()
    rows = await Event.select(
        Event.occurred_at, Event.received_at, Event.type, Event.content_version, Event.step, Event.seconds,
        Event.rating, Event.comment, Event.stress_before, Event.stress_after, Event.score, Event.answers,
        Event.clock_suspect, Event.check_question, Event.check_option, Event.correct,
    ).where(Event.participant == participant_id).order_by(Event.occurred_at).output(load_json=True)
    used = {r["content_version"] for r in rows if r["content_version"]}
    versions = {r["id"]: (r["item.slug"], r["number"]) for r in await ContentVersion.select(
        ContentVersion.id, ContentVersion.item.slug, ContentVersion.number).where(
        ContentVersion.id.is_in(list(used) or [0]))}
    instruments = await _questionnaires({r["content_version"] for r in rows
                                         if r["type"] == "questionnaire_answered" and r["content_version"]})
    events, questionnaires = [], []
    for r in rows:
        slug, number = versions.get(r["content_version"], (None, None))
        events.append({"occurred_at": _iso(r["occurred_at"]), "received_at": _iso(r["received_at"]),
                       "type": r["type"], "exercise": slug, "exercise_version": number, "step": r["step"],
                       "seconds": r["seconds"], "rating": r["rating"], "comment": r["comment"],
                       "stress_before": r["stress_before"], "stress_after": r["stress_after"],
                       "score": r["score"], "answers": r["answers"],
                       "clock_suspect": r["clock_suspect"], "question": r["check_question"],
                       "option": r["check_option"], "correct": None if r["correct"] is None else bool(r["correct"])})
        if r["type"] == "questionnaire_answered":
            instrument = instruments.get(r["content_version"])
            questionnaires.append({
                "questionnaire": slug, "version": number, "answered_at": _iso(r["occurred_at"]),
                "title": instrument.title.get(who["language"]) if instrument else None, "score": r["score"],
                "items": _answered(instrument, list(r["answers"] or []), who["language"])})
    plan = await get_plan(participant_id, who["kind"])
    municipality = municipalities().get(who["municipality_code"] or "")
    return {
        "participant": {
            "id": str(who["id"]), "kind": who["kind"], "language": who["language"],
            "site": who["site.name"], "unit": who["unit.name"], "course_group": who["course_group.name"],
            "municipality_code": who["municipality_code"],
            "municipality": municipality.name if municipality else None,
            "consent_version": who["consent_version"],
            "consented_at": _iso(who["consented_at"]), "joined_at": _iso(who["created_at"]),
        },
        "questionnaires": questionnaires,
        "reminders": {"on": plan.enabled, "this_phone_can_receive_them": plan.subscribed, "times": plan.slots,
                      "days": plan.days, "no_reminders_between": [plan.quiet_start, plan.quiet_end]},
        "events": events,
    }


def events_csv(data: dict[str, Any]) -> str:
    # A comment is her own text: csv_text quotes a cell that could start a formula, so no spreadsheet runs it.
    # Answers are written as her item answers in order, "4 3 4 3 4", so one cell reads in any spreadsheet.
    def cell(event: dict[str, Any], key: str) -> Any:
        value = event.get(key)
        return " ".join(str(v) for v in value) if key == "answers" and value is not None else value
    return csv_text([EVENT_FIELDS, *([cell(event, k) for k in EVENT_FIELDS] for event in data["events"])])


# --- the readable page ---

@dataclass(slots=True)
class Readable:
    """What the page "What we hold about you" shows, grouped as she would look for it."""

    practices: list[dict[str, Any]] = field(default_factory=list)  # finished or left part-way
    ratings: list[dict[str, Any]] = field(default_factory=list)
    pauses: list[dict[str, Any]] = field(default_factory=list)  # staff
    questionnaires: list[dict[str, Any]] = field(default_factory=list)
    learning: list[dict[str, Any]] = field(default_factory=list)  # staff e-learning: lessons done, check answers
    other: dict[str, int] = field(default_factory=dict)  # the rest, counted by kind


PRACTICE_TYPES = ("exercise_completed", "exercise_left")


def readable(data: dict[str, Any]) -> Readable:
    """Her records grouped for the page, newest first, each with ``when`` as a time to show in Copenhagen."""
    out = Readable(questionnaires=[{**q, "when": datetime.fromisoformat(q["answered_at"])}
                                   for q in reversed(data["questionnaires"])])
    for e in ({**e, "when": datetime.fromisoformat(e["occurred_at"])} for e in reversed(data["events"])):
        if e["type"] in PRACTICE_TYPES:
            out.practices.append(e)
        elif e["type"] == "rating_given":
            out.ratings.append(e)
        elif e["type"] == "pause_completed":
            out.pauses.append(e)
        elif e["type"] in ("lesson_completed", "check_answered"):
            out.learning.append(e)
        elif e["type"] != "questionnaire_answered":
            out.other[e["type"]] = out.other.get(e["type"], 0) + 1
    return out
