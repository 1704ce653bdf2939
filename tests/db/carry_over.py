"""Run by ``test_migrations.py`` in a process of its own, on a database of its own (the schema is global to a
process): builds the schema as it stood before the event columns were split, writes events in that old
shape, applies the remaining migrations, refreshes the rollups and prints what the rows hold now (and the keys
the migrations stored), as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import UTC, date, datetime

BEFORE = "2026-12-07T11:23:27:000092"  # the last migration with one ``value`` column
MOMENTS = {  # 23:30 UTC on 28 March 2026 is already 29 March in Copenhagen
    "rating_given": datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
    "questionnaire_answered": datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
    "pause_completed": datetime(2026, 3, 21, 12, 0, tzinfo=UTC),
    "app_opened": datetime(2026, 7, 1, 22, 15, tzinfo=UTC),  # summer time: 2 July in Copenhagen
}
OLD = {  # type -> (value, note, answers, day as stored: None for rows from before days were kept)
    "rating_given": (4, "Rart at trække vejret", None, None),
    "questionnaire_answered": (72, None, "3,4,5,3,3", "2026-03-20"),
    "pause_completed": (None, None, None, "2026-03-21"),
    "app_opened": (None, None, None, None),
}


async def main() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.content.tables import ContentItem, ContentVersion
    from server.db import is_sqlite, raw
    from server.engagement.store import received_at_str
    from server.participants.tables import Participant, Site

    await run_forwards("server", migration_id=BEFORE)
    now = datetime(2026, 8, 1, tzinfo=UTC)
    # The site as that schema had it (raw: the table class has columns added since, such as its phone numbers).
    await raw("INSERT INTO site (slug, name, kind, checkin_every_days, created_at) "
              "VALUES ('carry', 'Carry', 'clinic', 14, {})", received_at_str(now) if is_sqlite() else now)
    site_id = (await Site.select(Site.id).where(Site.slug == "carry").first())["id"]
    item = ContentItem(kind="questionnaire", slug="who5", created_at=now)
    await item.save()
    version = ContentVersion(item=item.id, number=1, data={}, source_hash="x", created_at=now, published_at=now)
    await version.save()
    sqlite = is_sqlite()

    def uid(value: uuid.UUID) -> object:  # SQLite holds UUIDs and times as Piccolo's text, PostgreSQL as themselves
        return str(value) if sqlite else value

    def moment(value: datetime) -> object:
        return received_at_str(value) if sqlite else value

    # In SQL, as the table stood then: today's Participant has columns the old table has not.
    person = uuid.uuid4()
    for who in (person, uuid.uuid4(), uuid.uuid4()):
        await raw("INSERT INTO participant (id, kind, site, language, consent_version, consented_at, created_at) "
                  "VALUES ({}, 'patient', {}, 'da', '1', {}, {})", uid(who), site_id, moment(now), moment(now))

    for kind, (value, note, answers, day) in OLD.items():
        await raw("INSERT INTO event (id, participant, type, content_version, occurred_at, day, received_at, value, "
                  "note, answers, stress_before, stress_after, fingerprint) "
                  "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                  uid(uuid.uuid4()), uid(person), kind, version.id if kind == "questionnaire_answered" else None,
                  moment(MOMENTS[kind]), day if sqlite or day is None else date.fromisoformat(day), moment(now),
                  value, note, answers, 6 if kind == "pause_completed" else None,
                  3 if kind == "pause_completed" else None, "f")

    await run_forwards("server")

    from server.engagement.tables import Event
    from server.reports import rollups
    from server.reports.tables import QuestionnaireReading

    events = await Event.select(Event.type, Event.day, Event.rating, Event.score, Event.comment, Event.answers,
                                Event.stress_before, Event.stress_after)
    try:
        await raw("INSERT INTO event (id, participant, type, occurred_at, received_at, fingerprint) "
                  "VALUES ({}, {}, 'app_opened', {}, {}, 'f')", uid(uuid.uuid4()), uid(person), moment(now),
                  moment(now))
        undated = "accepted"
    except Exception as exc:  # which error is the engine's; that there is one is the point
        undated = f"refused: {type(exc).__name__}"
    await rollups.refresh()
    readings = await QuestionnaireReading.select(QuestionnaireReading.score, QuestionnaireReading.answers)
    from server.reports.tables import StoredKey

    stored = {r["name"]: r["value"] for r in await StoredKey.select(StoredKey.name, StoredKey.value)}
    record_keys = [r["record_key"] for r in await Participant.select(Participant.record_key)]
    print(json.dumps({"events": {e["type"]: e for e in events}, "undated": undated, "readings": readings,
                      "stored_keys": stored, "record_keys": record_keys}, default=str))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
