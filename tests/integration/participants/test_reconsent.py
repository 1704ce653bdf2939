"""A new consent version: it names everything stored (the WHO-5 answers and who sees them). Someone who agreed
to the earlier text reads the new one once, at her next visit, and goes on (the new version is recorded) or
stops (the withdrawal she already knows)."""

from __future__ import annotations

from server.participants.services import CONSENT_VERSION
from server.participants.tables import Participant
from tests.support import csrf_token

EARLIER = "2026-11-v1"


async def consented_to_the_earlier_text(client) -> None:
    await Participant.update({Participant.consent_version: EARLIER}).where(Participant.id == client.participant_id)


async def version_of(client) -> str:
    row = await Participant.select(Participant.consent_version).where(Participant.id == client.participant_id).first()
    return row["consent_version"]


async def test_the_consent_names_the_wellbeing_answers_and_who_sees_them(outsider):
    from tests.support import make_invite

    page = await outsider.get(f"/j/{await make_invite()}/consent", params={"lang": "da"})
    assert "Det registrerer vi – og det gør vi ikke" in page.text
    assert "Dine svar på de fem spørgsmål om, hvordan du har haft det (WHO-5)" in page.text
    assert "ser tal for grupper af mennesker, beskyttet, så ingen kan udpeges" in page.text
    assert "under en kode i stedet for dit nummer" in page.text  # the research files, said plainly
    assert "Ingen fra hospitalet følger med, mens du bruger Pusterum" in page.text


async def test_someone_who_agreed_to_the_earlier_text_reads_the_new_one_once_and_goes_on(patient):
    await consented_to_the_earlier_text(patient)
    home = await patient.get("/home")
    assert home.status_code == 303 and home.headers["location"] == "/consent"
    page = await patient.get("/consent")
    assert page.status_code == 200 and "WHO-5" in page.text
    assert 'href="/settings/withdraw"' in page.text  # she may stop instead
    refused = await patient.post("/consent", data={"_csrf_token": csrf_token(page.text)})
    assert refused.status_code == 400 and "tick the box" in refused.text
    assert await version_of(patient) == EARLIER  # nothing changes without her yes
    going_on = await patient.post("/consent", data={"_csrf_token": csrf_token(page.text), "consent": "yes"})
    assert going_on.status_code == 303 and going_on.headers["location"] == "/home"
    assert await version_of(patient) == CONSENT_VERSION
    assert (await patient.get("/home")).status_code == 200  # not shown again
    again = await patient.get("/consent")
    assert again.status_code == 303 and again.headers["location"] == "/home"


async def test_she_can_stop_from_the_new_text_instead(patient):
    await consented_to_the_earlier_text(patient)
    page = await patient.get("/consent")
    form = await patient.get("/settings/withdraw")
    stopped = await patient.post("/settings/withdraw", data={"_csrf_token": csrf_token(form.text), "choice": "delete"})
    assert "/settings/withdraw" in page.text and stopped.status_code == 200
    row = await Participant.select(Participant.withdrawn_at, Participant.consent_version).where(
        Participant.id == patient.participant_id).first()
    assert row["withdrawn_at"] is not None and row["consent_version"] == EARLIER


async def test_a_new_participant_agrees_to_the_new_version_and_is_not_asked_again(patient):
    assert await version_of(patient) == CONSENT_VERSION
    assert (await patient.get("/home")).status_code == 200


async def test_staff_are_asked_again_because_the_new_text_names_the_e_learning_answers(staff_member):
    """v3 (issue 17) records a member of staff's lessons and check answers: she reads the new text once."""
    await Participant.update({Participant.consent_version: "2026-12-v2"}).where(
        Participant.id == staff_member.participant_id)
    assert (await staff_member.get("/pause")).status_code == 200  # the pauses are cookie-only, as before
    assert (await staff_member.get("/learn")).headers["location"] == "/consent"  # the e-learning's way in
    page = await staff_member.get("/consent")
    assert page.status_code == 200 and "knowledge checks" in page.text and "stays on your phone" in page.text
    going_on = await staff_member.post("/consent", data={"_csrf_token": csrf_token(page.text), "consent": "yes"})
    assert going_on.status_code == 303 and await version_of(staff_member) == CONSENT_VERSION


async def test_patients_who_agreed_to_v2_are_not_asked_again_because_nothing_new_is_recorded_about_them(patient):
    await Participant.update({Participant.consent_version: "2026-12-v2"}).where(
        Participant.id == patient.participant_id)
    assert (await patient.get("/home")).status_code == 200
