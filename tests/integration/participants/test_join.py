"""Joining with an invite link: language, consent, municipality; bad codes create nothing."""

from __future__ import annotations

from datetime import timedelta

from server.participants.tables import InviteCode, Participant
from tests.support import app_client, csrf_token, enrol, make_invite


async def test_it_enrols_a_patient_with_consent_and_municipality(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client, lang="en", municipality="0751")
        home = await client.get("/home")
    row = await Participant.select().where(Participant.id == participant_id).first()
    assert row["language"] == "en"
    assert row["municipality_code"] == "0751"
    assert row["consent_version"]
    assert row["consented_at"] is not None
    assert home.status_code == 200
    assert '<html lang="en">' in home.text
    assert "This week's home practice" in home.text


async def test_it_shows_the_week_that_matches_the_group_start(app, db):
    code = await make_invite(group_started_weeks_ago=3)
    async with app_client(app) as client:
        await enrol(client, code)
        home = await client.get("/home")
    assert "Uge 4 af 8" in home.text or "Week 4 of 8" in home.text


async def test_it_counts_the_use_of_an_invite_code(app, db):
    code = await make_invite(max_uses=5)
    async with app_client(app) as client:
        await enrol(client, code)
    row = await InviteCode.select(InviteCode.uses).first()
    assert row["uses"] == 1


async def test_it_refuses_enrolment_without_consent(app, db):
    code = await make_invite()
    async with app_client(app) as client:
        page = await client.get(f"/j/{code}/consent", params={"lang": "en"})
        response = await client.post(f"/j/{code}", data={"_csrf_token": csrf_token(page.text), "lang": "en"})
    assert response.status_code == 400
    assert "please tick the box" in response.text
    assert await Participant.count() == 0


async def test_it_explains_an_unknown_code_kindly_and_creates_nothing(app, db):
    async with app_client(app) as client:
        response = await client.get("/j/this-code-does-not-exist", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert "We could not find this invite" in response.text
    assert "Traceback" not in response.text
    assert await Participant.count() == 0


async def test_it_explains_an_expired_code(app, db):
    code = await make_invite(expires_in=timedelta(seconds=-1))
    async with app_client(app) as client:
        response = await client.get(f"/j/{code}", headers={"accept-language": "en"})
    assert response.status_code == 410
    assert "no longer in use" in response.text


async def test_it_refuses_a_revoked_code_even_when_the_consent_form_is_posted(app, db):
    good = await make_invite(site_slug="other-site")
    revoked = await make_invite(revoked=True)
    async with app_client(app) as client:
        page = await client.get(f"/j/{good}/consent", params={"lang": "da"})
        response = await client.post(f"/j/{revoked}", data={"_csrf_token": csrf_token(page.text), "lang": "da",
                                                             "consent": "yes"})
    assert response.status_code == 410
    assert await Participant.count() == 0


async def test_it_stops_at_max_uses(app, db):
    code = await make_invite(max_uses=1)
    async with app_client(app) as first:
        await enrol(first, code)
    async with app_client(app) as second:
        response = await second.get(f"/j/{code}", headers={"accept-language": "en"})
    assert response.status_code == 410
    assert await Participant.count() == 1


async def test_it_refuses_a_form_without_csrf_token(app, db):
    code = await make_invite()
    async with app_client(app) as client:
        await client.get(f"/j/{code}/consent", params={"lang": "en"})
        response = await client.post(f"/j/{code}", data={"lang": "en", "consent": "yes"})
    assert response.status_code == 403
    assert await Participant.count() == 0


async def test_it_refuses_an_unknown_language(app, db):
    code = await make_invite()
    async with app_client(app) as client:
        page = await client.get(f"/j/{code}/consent", params={"lang": "en"})
        response = await client.post(f"/j/{code}", data={"_csrf_token": csrf_token(page.text), "lang": "xx",
                                                         "consent": "yes"})
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert await Participant.count() == 0


async def test_it_refuses_an_unknown_municipality_and_keeps_the_old_one(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client, municipality="0101")
        page = await client.get("/settings/municipality")
        response = await client.post("/welcome/municipality", data={"_csrf_token": csrf_token(page.text),
                                                                   "municipality": "9999"})
    assert response.status_code == 400
    row = await Participant.select(Participant.municipality_code).where(Participant.id == participant_id).first()
    assert row["municipality_code"] == "0101"


async def test_it_lets_her_skip_the_municipality(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client, municipality=None)
        page = await client.get("/welcome/municipality")
        response = await client.post("/welcome/municipality", data={"_csrf_token": csrf_token(page.text),
                                                                   "skip": "yes"})
    assert response.status_code == 303
    row = await Participant.select(Participant.municipality_code).where(Participant.id == participant_id).first()
    assert row["municipality_code"] is None


async def test_it_changes_language_and_remembers_it(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client, lang="da")
        page = await client.get("/settings")
        assert '<html lang="da">' in page.text
        response = await client.post("/language", data={"_csrf_token": csrf_token(page.text), "lang": "en",
                                                         "next": "/settings"})
        assert response.status_code == 303
        assert response.headers["location"] == "/settings"
        again = await client.get("/settings")
    assert '<html lang="en">' in again.text
    row = await Participant.select(Participant.language).where(Participant.id == participant_id).first()
    assert row["language"] == "en"


async def test_it_never_redirects_to_another_site_after_a_language_change(app, db):
    async with app_client(app) as client:
        page = await client.get("/")
        response = await client.post("/language", data={"_csrf_token": csrf_token(page.text), "lang": "en",
                                                         "next": "//evil.example/"})
    assert response.headers["location"] == "/"


async def test_it_sends_a_visitor_without_an_invite_to_the_start_page(app, db):
    async with app_client(app) as client:
        response = await client.get("/home")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_it_ignores_a_forged_device_cookie(app, db):
    async with app_client(app) as client:
        client.cookies.set("pusterum", "00000000000000000000000000000000:da:patient.forged")
        response = await client.get("/home")
    assert response.status_code == 303


async def test_it_forgets_a_device_whose_participant_no_longer_exists(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client)
        await Participant.delete().where(Participant.id == participant_id)
        home = await client.get("/home")
        assert home.status_code == 303 and home.headers["location"] == "/"
        start = await client.get("/")  # the expired cookie is gone, so no bounce back to /home
    assert start.status_code == 200
    assert "How do I get started?" in start.text or "Hvordan kommer jeg i gang?" in start.text


async def test_it_reads_cookies_split_over_several_headers_as_http2_sends_them(app, db):
    async with app_client(app) as client:
        await enrol(client)
        device = client.cookies["pusterum"]
        client.cookies.clear()
        response = await client.get("/home", headers=[("cookie", f"pusterum={device}"),
                                                      ("cookie", "pusterum_lang=da")])
    assert response.status_code == 200
