"""A nurse's pages are a nurse's (issue 15): her own settings, the two "something hard" chips, the poster for
the sink that a coordinator prints for her unit, and numbers written the Danish way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from markupsafe import escape

from server.content.catalog import get_catalog
from server.participants import services as participants
from server.staff import services
from tests.support import event, exercise_version, make_staff_code, post_events


async def test_her_settings_are_language_reminders_and_the_way_out_without_municipality_or_wellbeing(actors):
    nurse = await actors.staff_member(lang="da")
    page = (await nurse.get("/settings")).text
    assert "Sprog" in page and 'href="/reminders"' in page and 'href="/settings/withdraw"' in page
    assert "Kommune" not in page and "/settings/municipality" not in page
    assert "Din trivsel" not in page and 'href="/wellbeing' not in page


async def test_a_patients_settings_still_have_her_municipality_and_wellbeing(actors):
    patient = await actors.patient(lang="da")
    page = (await patient.get("/settings")).text
    assert "Kommune" in page and 'href="/wellbeing' in page


def _listed(html: str) -> set[str]:
    return set(re.findall(r'href="/pauses/([a-z0-9-]+)"', html)) - {"mine", "unit"}


async def test_before_and_after_something_hard_are_two_chips_with_their_own_pauses(actors):
    nurse = await actors.staff_member(lang="da")
    home = (await nurse.get("/pause")).text
    assert "Før noget svært" in home and "Efter noget svært" in home
    before = _listed((await nurse.get("/pause", params={"f": "before_hard"})).text)
    after = _listed((await nurse.get("/pause", params={"f": "after_hard"})).text)
    staff = {e.slug: e for e in get_catalog().for_audience("staff") if e.kind == "micro_pause"}
    assert before and after and not before & after
    assert before == {slug for slug, e in staff.items() if "before_hard_moment" in e.tags}
    assert after == {slug for slug, e in staff.items() if "after_hard_moment" in e.tags}
    assert {"doorway-pause", "before-a-hard-conversation"} <= before and "after-a-hard-event" in after
    # One tap with a chip picks only from its own pauses.
    for _ in range(5):
        picked = await nurse.get("/pause/go", params={"length": "any", "f": "after_hard"})
        assert picked.headers["location"].rsplit("/", 1)[1] in after


def test_the_filters_are_each_others_complement_on_hard_moments():
    catalog = get_catalog()
    before = {e.slug for e in services.pauses(catalog, filters=("before_hard",))}
    after = {e.slug for e in services.pauses(catalog, filters=("after_hard",))}
    assert before and after and not before & after
    assert not services.pauses(catalog, filters=("before_hard", "after_hard"))


async def test_her_pauses_show_minutes_with_a_decimal_comma(actors):
    nurse = await actors.staff_member(lang="da")
    response = await post_events(nurse, [event("pause_completed", exercise_version=exercise_version("box-breathing"),
                                               seconds=200, stress_before=6, stress_after=4)])
    assert response.status_code == 200
    page = (await nurse.get("/pauses/mine")).text
    assert "3,3 min." in page and "3.3" not in page


async def test_the_units_stress_change_has_a_decimal_comma_and_a_real_minus(app, actors):
    code = await make_staff_code("ward-minus")
    version = exercise_version("box-breathing")
    for _ in range(11):  # ten or more colleagues who rated both: the mean change is shown
        colleague = await actors.staff_member(code)
        moments = [datetime.now(UTC) - timedelta(days=d, minutes=1) for d in range(2)]
        assert (await post_events(colleague, [event("pause_completed", exercise_version=version, seconds=180,
                                                    stress_before=7, stress_after=5, occurred_at=m.isoformat())
                                              for m in moments])).status_code == 200
    nurse = await actors.staff_member(code, lang="da")
    page = (await nurse.get("/pauses/unit")).text
    changes = re.findall(r"<dt>Gennemsnitlig ændring i stress</dt><dd>([^<]*)</dd>", page)
    assert changes and all(re.fullmatch(r"\u2212\d+,\d", change) for change in changes), changes


async def test_a_coordinator_prints_the_sink_poster_for_her_own_units_only(actors):
    site = await participants.ensure_site("poster-site", "Poster hospital", "0101")
    unit = await participants.ensure_unit(site, "poster-unit", "Afsnit 7")
    ours = await actors.coordinator(sites=[site], lang="da")
    unit_page = (await ours.get(f"/workspace/coordinate/units/{unit}")).text
    assert f'href="/workspace/coordinate/units/{unit}/poster"' in unit_page
    poster = await ours.get(f"/workspace/coordinate/units/{unit}/poster", params={"lang": "da"})
    assert poster.status_code == 200 and "css/sheet.css" in poster.text
    washing = get_catalog().exercises["mindful-hand-washing"]
    assert washing.title["da"] in poster.text and "Afsnit 7" in poster.text
    assert all(str(escape(step.text["da"])) in poster.text for step in washing.steps)
    english = await ours.get(f"/workspace/coordinate/units/{unit}/poster", params={"lang": "en"})
    assert washing.steps[0].text["en"] in english.text
    other = await actors.coordinator(sites=[await participants.ensure_site("else-site", "Elsewhere", "0101")])
    assert (await other.get(f"/workspace/coordinate/units/{unit}/poster")).status_code == 404


async def test_her_reminder_intervals_read_as_danish(actors):
    """Not "Hver 1.5. time": the half hour is said in words, whole hours as an ordinal."""
    nurse = await actors.staff_member(lang="da")
    page = (await nurse.get("/reminders")).text
    assert "Hver halvanden time" in page and "Hver 2. time" in page
    assert "1.5" not in page and "1,5" not in page
