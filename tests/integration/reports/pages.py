"""Reading the report pages as a person does (a figure by its label, a table by its caption), and making
the activity they count."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape
from typing import Any

from server.lib.disclosure import Cell
from server.participants.tables import Participant
from tests.support import enrol, event, exercise_version, phone, post_events


async def practise(app, n: int, *, municipality: str = "0101", code: str | None = None,
                   slug: str = "breathing-space-3", completed: bool = True) -> list[Any]:
    """``n`` patients who each start an exercise (and complete it) today; returns who they are."""
    version = exercise_version(slug)
    people = []
    for _ in range(n):
        async with phone(app) as client:
            people.append(await enrol(client, code=code, lang="en", municipality=municipality))
            events = [event("exercise_started", exercise_version=version)]
            if completed:
                events.append(event("exercise_completed", exercise_version=version, seconds=180))
            assert (await post_events(client, events)).status_code == 200
    return people


async def cell(people: Iterable[Any], values: dict[str, float] | None = None,
               each: dict[Any, dict[str, float]] | None = None) -> Cell:
    """The figure these people make (each with ``values``, or her own in ``each``), with their record keys
    from the database: what a page must show is what the disclosure rules give for it (``count``,
    ``magnitude``), never a number a test worked out alone."""
    wanted = list(people)
    rows = await Participant.select(Participant.id, Participant.record_key).where(
        Participant.id.is_in(wanted or [None]))
    keys = {r["id"]: r["record_key"] for r in rows}
    collected = Cell()
    for person in wanted:
        collected.add(keys[person], (each or {}).get(person, values))
    return collected


def table(html: str, caption: str) -> list[list[str]]:
    """The rows of the table with this caption, as the cells' text; its "All" row (``tr.total``, printed once at
    the top of the body) last, as a reader adds up."""
    match = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    assert match, f"no table {caption!r}"
    found = re.findall(r'<tr( class="total")?>(.*?)</tr>', match.group(1), re.S)
    rows = [r for total, r in found if not total] + [r for total, r in found if total]
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
            for r in rows]


def figure(html: str, label: str) -> str:
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", html)
    assert match, f"no figure {label!r}"
    return unescape(match.group(1))
