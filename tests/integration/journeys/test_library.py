"""The library as she sees it: filters as chips, situations in her language's order, a quiet "done" mark on
what she finished and the practices she used last on top."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from server.content.catalog import get_catalog
from tests.support import app_client, enrol, enrol_staff, event, exercise_version, post_events

DANISH = "abcdefghijklmnopqrstuvwxyzæøå"


def danish_order(label: str) -> list[int]:
    """The Danish alphabet written out, independent of the app's own key: æ, ø, å after z."""
    folded = label.lower().replace("é", "e")
    return [DANISH.index(c) if c in DANISH else -1 for c in folded if c.isalpha()]


def chips(html: str, heading: str) -> list[str]:
    """The labels of the chips under one heading of the filters, in page order."""
    section = html.split(f'class="filter-heading">{heading}</h2>', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="filter-chip"[^>]*>([^<]+)</a>', section)


def cards(html: str) -> dict[str, str]:
    """Each card's title and the rest of its markup (pills, marks)."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r'card-title">([^<]+)</span>(.*?)</li>', html, re.S)}


def recent(html: str) -> list[str]:
    if 'class="recent-list"' not in html:
        return []
    section = html.split('class="recent-list"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="recent-link"[^>]*>([^<]+)</a>', section)


async def test_it_lists_situations_in_danish_alphabetical_order_by_their_danish_names(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="da")
        page = await client.get("/library")
    situations = chips(page.text, "Situation")
    assert len(situations) > 10
    assert situations == sorted(situations, key=danish_order)
    # Named in Danish, and "Fodfæste" (not "Jordforbindelse") for grounding.
    assert "Fodfæste" in situations and "Jordforbindelse" not in page.text and "Grounding" not in page.text
    assert situations.index("Stress") < situations.index("Søvn")  # ø after every other letter


async def test_it_folds_length_and_situation_behind_more_filters_and_keeps_the_first_row_short(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="da")
        plain = await client.get("/library")
        chosen = await client.get("/library", params={"tag": "sleep", "kind": "mindfulness"})
    first_row = plain.text.split('<ul class="filter-chips"', 1)[1].split("</ul>", 1)[0]
    assert len(re.findall("filter-chip", first_row)) <= 4
    assert '<details class="more-filters" >' in plain.text  # closed until a folded filter is chosen
    assert '<details class="more-filters" open>' in chosen.text
    # A chosen chip is marked, and its link undoes it while keeping the other choice.
    assert re.search(r'href="/library\?kind=mindfulness" aria-current="true">Søvn<', chosen.text)
    titles = set(cards(chosen.text))
    catalog = get_catalog()
    assert titles == {e.title["da"] for e in catalog.exercises.values()
                      if "patient" in e.audience and e.kind == "mindfulness" and "sleep" in e.tags}


async def test_it_marks_what_she_finished_and_shows_what_she_used_last_first(app, db):
    now = datetime.now(UTC)
    async with app_client(app) as client:
        await enrol(client, lang="da")
        before = await client.get("/library")
        sent = await post_events(client, [
            event("exercise_started", exercise_version=exercise_version("body-scan-10"),
                  occurred_at=(now - timedelta(hours=3)).isoformat()),
            event("exercise_completed", exercise_version=exercise_version("body-scan-10"),
                  occurred_at=(now - timedelta(hours=3)).isoformat()),
            event("exercise_started", exercise_version=exercise_version("one-minute-landing"),
                  occurred_at=(now - timedelta(minutes=5)).isoformat()),
        ])
        assert sent.status_code == 200, sent.text
        after = await client.get("/library")
    catalog = get_catalog()
    scan, landing = catalog.exercises["body-scan-10"].title["da"], catalog.exercises["one-minute-landing"].title["da"]
    assert "done-mark" not in before.text and recent(before.text) == []
    marked = {title for title, rest in cards(after.text).items() if "done-mark" in rest}
    assert marked == {scan}  # finished; the one only started is not marked
    assert "Lavet" in cards(after.text)[scan]
    assert recent(after.text) == [landing, scan]  # the latest first


async def test_it_shows_only_her_own_practice_never_someone_elses(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="da")
        await post_events(client, [event("exercise_completed", exercise_version=exercise_version("body-scan-10"))])
    async with app_client(app) as other:
        await enrol(other, lang="da")
        page = await other.get("/library")
    assert "done-mark" not in page.text and recent(page.text) == []


async def test_a_staff_members_pauses_are_marked_in_her_library_too(app, db):
    pause = next(s for s, e in get_catalog().exercises.items() if e.audience == ("staff",))
    async with app_client(app) as client:
        await enrol_staff(client, lang="da")
        sent = await post_events(client, [event("pause_completed", exercise_version=exercise_version(pause),
                                                seconds=60)])
        assert sent.status_code == 200, sent.text
        page = await client.get("/library")
    title = get_catalog().exercises[pause].title["da"]
    assert "done-mark" in cards(page.text)[title]
    assert recent(page.text) == [title]
