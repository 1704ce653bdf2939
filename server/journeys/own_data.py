"""Her own data, as she may download it (GDPR art. 15 and 20): what we hold about her and everything
her phone recorded, in JSON and CSV. Only her rows; nothing about anyone else; no internal ids but hers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from server.content.tables import ContentVersion
from server.engagement.tables import Event
from server.lib.spreadsheet import csv_text
from server.participants.tables import Participant

EVENT_FIELDS = ("occurred_at", "received_at", "type", "exercise", "exercise_version", "step", "seconds",
                "rating", "comment", "stress_before", "stress_after", "score", "answers", "clock_suspect")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def collect(participant_id: uuid.UUID) -> dict[str, Any]:
    who = await Participant.select(
        Participant.id, Participant.kind, Participant.language, Participant.municipality_code,
        Participant.consent_version, Participant.consented_at, Participant.created_at,
        Participant.site.name, Participant.unit.name, Participant.course_group.name,
    ).where(Participant.id == participant_id).first()
    rows = await Event.select(
        Event.occurred_at, Event.received_at, Event.type, Event.content_version, Event.step, Event.seconds,
        Event.rating, Event.comment, Event.stress_before, Event.stress_after, Event.score, Event.answers,
        Event.clock_suspect,
    ).where(Event.participant == participant_id).order_by(Event.occurred_at).output(load_json=True)
    versions = {r["id"]: (r["item.slug"], r["number"]) for r in await ContentVersion.select(
        ContentVersion.id, ContentVersion.item.slug, ContentVersion.number).where(
        ContentVersion.id.is_in(list({r["content_version"] for r in rows if r["content_version"]}) or [0]))}
    events = []
    for r in rows:
        slug, number = versions.get(r["content_version"], (None, None))
        events.append({"occurred_at": _iso(r["occurred_at"]), "received_at": _iso(r["received_at"]),
                       "type": r["type"], "exercise": slug, "exercise_version": number, "step": r["step"],
                       "seconds": r["seconds"], "rating": r["rating"], "comment": r["comment"],
                       "stress_before": r["stress_before"], "stress_after": r["stress_after"],
                       "score": r["score"], "answers": r["answers"],
                       "clock_suspect": r["clock_suspect"]})
    return {
        "participant": {
            "id": str(who["id"]), "kind": who["kind"], "language": who["language"],
            "site": who["site.name"], "unit": who["unit.name"], "course_group": who["course_group.name"],
            "municipality_code": who["municipality_code"], "consent_version": who["consent_version"],
            "consented_at": _iso(who["consented_at"]), "joined_at": _iso(who["created_at"]),
        },
        "events": events,
    }


def events_csv(data: dict[str, Any]) -> str:
    # A comment is her own text: csv_text quotes a cell that could start a formula, so no spreadsheet runs it.
    return csv_text([EVENT_FIELDS, *([event.get(k) for k in EVENT_FIELDS] for event in data["events"])])
