"""What she has practised, read back from her own events for her own pages: which practices she has
finished (the library's quiet "done" mark) and which she used last ("recently used").

Only ever asked for the participant whose cookie asks; nothing here is shown to anyone else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Max

from server.content.catalog import Catalog
from server.engagement.tables import Event

# A practice counts as done when she reached its end (a patient's exercise or a staff member's pause);
# it counts as used as soon as she started it.
DONE = ("exercise_completed", "pause_completed")
USED = ("exercise_started", *DONE)


@dataclass(frozen=True, slots=True)
class Practised:
    done: frozenset[str] = frozenset()  # slugs she finished at least once
    recent: tuple[str, ...] = ()  # slugs, the most recently used first


async def practised(participant_id: uuid.UUID, catalog: Catalog, *, recent: int = 3) -> Practised:
    """One grouped read of her own events (by the participant index): at most a row per version and type."""
    rows = await Event.select(Event.content_version, Event.type, Max(Event.occurred_at, alias="last")).where(
        (Event.participant == participant_id) & Event.type.is_in(list(USED))
    ).group_by(Event.content_version, Event.type)
    done: set[str] = set()
    last: dict[str, str] = {}
    for row in rows:
        # Events name the version used; an older version still means this exercise.
        slug = catalog.exercise_versions.get(row["content_version"])
        if slug is None or slug not in catalog.exercises or row["last"] is None:
            continue
        if row["type"] in DONE:
            done.add(slug)
        # Both engines give the same type for every row, and UTC throughout, so values compare as they are.
        if slug not in last or row["last"] > last[slug]:
            last[slug] = row["last"]
    order = sorted(last, key=lambda slug: last[slug], reverse=True)
    return Practised(frozenset(done), tuple(order[:recent]))
