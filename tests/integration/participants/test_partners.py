"""Partners (issue 18 item 3): where her site switches it on, she sends her partner a single-use link from
Settings; the partner agrees to their own consent text and becomes a participant of kind ``partner`` at her
site and in her course group, with nothing that ties the two together, and neither sees the other's use."""

from __future__ import annotations

from server.participants.tables import Participant, PartnerInvite
from tests.support import (
    PARTNER_FIXTURE,
    allow_partners,
    csrf_token,
    event,
    exercise_version,
    link_code,
    make_invite,
    partner_link,
    phone,
    post_events,
    publish_partner_fixture,
)


async def test_her_settings_say_nothing_of_partners_while_her_site_has_them_off(patient):
    settings = await patient.get("/settings")
    assert settings.status_code == 200
    assert "/settings/partner" not in settings.text and 'id="partner"' not in settings.text


async def test_the_partner_joins_with_her_link_and_belongs_to_her_site_and_group_but_not_to_her(app, actors):
    await allow_partners()
    she = await actors.patient(await make_invite())
    settings = await she.get("/settings")
    assert 'id="partner"' in settings.text  # the invite panel, now that the site has partners on
    made = await partner_link(she)
    assert made.status_code == 200 and "no-store" in made.headers["cache-control"]
    code = link_code(made.text)
    assert she.participant_id.hex not in made.text and str(she.participant_id) not in made.text
    assert "open until" in (await she.get("/settings")).text

    partner = phone(app, **{"accept-language": "en"})
    consent = await partner.get(f"/p/{code}/consent", params={"lang": "en"})
    assert consent.status_code == 200
    assert "We do not record who sent you the link" in consent.text  # the partner's own consent text
    joined = await partner.post(f"/p/{code}", data={"_csrf_token": csrf_token(consent.text), "lang": "en",
                                                    "consent": "yes"})
    assert joined.status_code == 303 and joined.headers["location"] == "/home"

    rows = {r["id"]: r for r in await Participant.select()}
    hers = rows[she.participant_id]
    (theirs,) = [r for r in rows.values() if r["kind"] == "partner"]
    assert (theirs["site"], theirs["course_group"]) == (hers["site"], hers["course_group"])
    assert theirs["invite_code"] is None and theirs["unit"] is None
    # Nothing is left that ties the two together: the link's row went in the transaction that enrolled.
    assert await PartnerInvite.count() == 0
    assert str(she.participant_id) not in str(theirs) and hers["invite_code"] is not None
    home = await partner.get("/home")
    assert home.status_code == 200 and "Exercises for you as a partner" in home.text
    await partner.aclose()


async def test_a_link_opens_once_and_a_second_join_creates_nothing(app, actors):
    await allow_partners()
    she = await actors.patient(await make_invite())
    code = link_code((await partner_link(she)).text)
    first = await actors.outsider()
    page = await first.get(f"/p/{code}/consent", params={"lang": "da"})
    assert (await first.post(f"/p/{code}", data={"_csrf_token": csrf_token(page.text), "lang": "da",
                                                 "consent": "yes"})).status_code == 303
    count = await Participant.count()
    second = await actors.outsider()
    assert (await second.get(f"/p/{code}")).status_code == 404
    token = csrf_token((await second.get("/join")).text)
    again = await second.post(f"/p/{code}", data={"_csrf_token": token, "lang": "da", "consent": "yes"})
    assert again.status_code == 404 and "already been used" in again.text
    assert await Participant.count() == count


async def test_she_takes_an_unused_link_back_and_it_no_longer_opens(actors):
    await allow_partners()
    she = await actors.patient(await make_invite())
    code = link_code((await partner_link(she)).text)
    settings = await she.get("/settings")
    gone = await she.post("/settings/partner/revoke", data={"_csrf_token": csrf_token(settings.text)})
    assert gone.status_code == 303
    assert "open until" not in (await she.get("/settings")).text
    assert (await (await actors.outsider()).get(f"/p/{code}")).status_code == 404


async def test_a_new_link_replaces_her_unused_one(actors):
    await allow_partners()
    she = await actors.patient(await make_invite())
    old = link_code((await partner_link(she)).text)
    new = link_code((await partner_link(she)).text)
    stranger = await actors.outsider()
    assert (await stranger.get(f"/p/{old}")).status_code == 404
    assert (await stranger.get(f"/p/{new}")).status_code == 200
    assert await PartnerInvite.count() == 1


async def test_the_partner_sees_only_their_own_records_and_she_sees_only_hers(actors):
    await publish_partner_fixture()
    partner = await actors.partner()
    she = partner.invited_by
    await post_events(she, [event("exercise_completed", exercise_version=exercise_version("breathing-space-3"),
                                  seconds=170, comment="hers")])
    await post_events(partner, [event("exercise_completed", exercise_version=exercise_version(PARTNER_FIXTURE),
                                      seconds=60)])
    theirs = (await partner.get("/settings/my-data.json")).json()
    hers = (await she.get("/settings/my-data.json")).json()
    assert theirs["participant"]["id"] == str(partner.participant_id) and theirs["participant"]["kind"] == "partner"
    assert str(she.participant_id) not in str(theirs) and str(partner.participant_id) not in str(hers)
    assert {e["exercise"] for e in theirs["events"]} == {PARTNER_FIXTURE}
    assert PARTNER_FIXTURE not in str(hers)
    for path in ("/settings/my-data", "/settings/my-data.csv", "/settings", "/home", "/library"):
        page = (await partner.get(path)).text
        assert "breathing-space-3" not in page or path == "/library", path
        assert str(she.participant_id) not in page, path
    # The library marks what the partner did, and offers partner content only.
    library = await partner.get("/library")
    assert PARTNER_FIXTURE in library.text and "breathing-space-3" not in library.text
    her_library = await she.get("/library")
    assert PARTNER_FIXTURE not in her_library.text


async def test_partners_have_their_own_support_reminders_and_way_out(actors):
    partner = await actors.partner()
    assert (await partner.get("/support")).status_code == 200
    assert (await partner.get("/reminders")).status_code == 200
    for closed in ("/wellbeing/checkin", "/course", "/welcome/municipality", "/pause"):
        assert (await partner.get(closed)).status_code == 404, closed
    settings = await partner.get("/settings")
    assert "/settings/partner" not in settings.text  # a partner invites nobody
    form = await partner.get("/settings/withdraw")
    done = await partner.post("/settings/withdraw", data={"_csrf_token": csrf_token(form.text), "choice": "delete"})
    assert done.status_code == 200
    row = await Participant.select().where(Participant.id == partner.participant_id).first()
    assert row["withdrawn_at"] is not None and row["withdrawal"] == "delete"
    # Her own standing is untouched by the partner's withdrawal.
    hers = await Participant.select().where(Participant.id == partner.invited_by.participant_id).first()
    assert hers["withdrawn_at"] is None


async def test_her_withdrawal_takes_her_unused_link_with_her(actors):
    await allow_partners()
    she = await actors.patient(await make_invite())
    code = link_code((await partner_link(she)).text)
    form = await she.get("/settings/withdraw")
    await she.post("/settings/withdraw", data={"_csrf_token": csrf_token(form.text), "choice": "keep"})
    assert (await (await actors.outsider()).get(f"/p/{code}")).status_code == 404
    assert await PartnerInvite.count() == 0

