"""The course overview: every week of her course, the open ones with their practices, the locked ones with
the day they open."""

from __future__ import annotations

import re
from datetime import date, timedelta

from server.content.catalog import get_catalog
from tests.support import app_client, enrol, enrol_staff, event, exercise_version, make_invite, post_events

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")


def in_danish(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} den {day.day}. {MONTHS[day.month - 1]}"


def weeks(html: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r'id="week-(\d+)">(.*?)</li>\s*(?=<li class="panel|</ol>)',
                                                             html, re.S)}


async def test_it_shows_every_week_with_locked_weeks_saying_the_day_they_open(app, db):
    code = await make_invite(group_started_weeks_ago=3)
    starts_on = date.today() - timedelta(weeks=3)
    course = get_catalog().courses["mbsr-8-weeks"]
    async with app_client(app) as client:
        await enrol(client, code, lang="da")
        await post_events(client, [event("exercise_completed", exercise_version=exercise_version(
            course.weeks[0].practices[0]))])
        page = await client.get("/course")
    assert page.status_code == 200
    shown = weeks(page.text)
    assert sorted(shown) == list(range(1, len(course.weeks) + 1)) == list(range(1, 9))
    for number, html in shown.items():
        week = course.weeks[number - 1]
        assert week.theme["da"] in html
        if number <= 4:  # started three weeks ago: weeks 1-4 are open, 4 is this week
            assert "Åbner" not in html and "/exercises/" in html
        else:
            assert f"Åbner {in_danish(starts_on + timedelta(weeks=number - 1))}" in html
            assert "/exercises/" not in html  # a locked week's practices are not offered yet
    assert "Denne uge" in shown[4] and "Denne uge" not in shown[3]
    assert "Lavet" in shown[1]  # what she finished is marked here too


async def test_the_home_page_links_to_the_course_overview(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="da")
        home = await client.get("/home")
    assert 'href="/course"' in home.text


async def test_without_a_course_it_says_so_kindly(app, db):
    code = await make_invite(group_started_weeks_ago=None)
    async with app_client(app) as client:
        await enrol(client, code, lang="da")
        page = await client.get("/course")
    assert page.status_code == 200 and "Du er ikke med på et kursus" in page.text


async def test_staff_have_no_course_page(app, db):
    async with app_client(app) as client:
        await enrol_staff(client)
        page = await client.get("/course")
    assert page.status_code == 404
