"""Withdrawal: she chooses what happens to her records, her phone forgets her, and nothing new is accepted."""

from __future__ import annotations

from server.engagement.tables import Event
from server.participants.tables import Participant
from tests.support import app_client, csrf_token, enrol, event, post_events


async def _withdraw(client, choice: str):
    form = await client.get("/settings/withdraw")
    assert form.status_code == 200
    return await client.post("/settings/withdraw", data={"_csrf_token": csrf_token(form.text), "choice": choice})


async def test_keeping_the_records_stops_new_ones_and_clears_the_phone(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client, lang="en")
        assert (await post_events(client, [event("app_opened")])).status_code == 200
        response = await _withdraw(client, "keep")
        assert response.status_code == 200
        assert "stopped using Pusterum" in response.text
        assert response.headers["clear-site-data"] == '"cache", "storage"'
        assert any(c.startswith("pusterum=;") or 'pusterum=""' in c
                   for c in response.headers.get_list("set-cookie"))
        # A phone that still sends with the old cookie is told she has withdrawn, and nothing is stored.
        client.cookies.clear()
    row = await Participant.select(Participant.withdrawn_at, Participant.municipality_code).where(
        Participant.id == participant_id).first()
    assert row["withdrawn_at"] is not None and row["municipality_code"] == "0101"
    assert await Event.count().where(Event.participant == participant_id) == 1


async def test_deleting_removes_her_records_and_later_events_get_410(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client)
        await post_events(client, [event("app_opened"), event("app_opened")])
        cookie = dict(client.cookies)
        response = await _withdraw(client, "delete")
        assert response.status_code == 200
        client.cookies.update(cookie)  # an old phone that kept the cookie
        late = await post_events(client, [event("app_opened")])
        assert late.status_code == 410
        home = await client.get("/home")
        assert home.status_code in (302, 303)
    assert await Event.count().where(Event.participant == participant_id) == 0
    row = await Participant.select(Participant.municipality_code, Participant.withdrawn_at).where(
        Participant.id == participant_id).first()
    assert row["municipality_code"] is None and row["withdrawn_at"] is not None


async def test_no_choice_is_a_kind_error_and_changes_nothing(app, db):
    async with app_client(app) as client:
        participant_id = await enrol(client, lang="en")
        response = await _withdraw(client, "")
        assert response.status_code == 400
        assert "Please choose" in response.text
    assert (await Participant.select(Participant.withdrawn_at).where(
        Participant.id == participant_id).first())["withdrawn_at"] is None
