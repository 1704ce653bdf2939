"""The questionnaires (WHO-5, app satisfaction) are patients' own: a member of staff's cookie neither opens
them nor stores an answer, so no staff answer is ever counted as a patient's wellbeing. The same for where
she lives (the municipality pages): asked of patients only.

ASVS 4.0.3 checked here: 4.1.3 (least privilege: each kind of participant reaches only her own functions),
4.2.1 (a record of another kind cannot be created by sending it directly to the API).
"""

from __future__ import annotations

import pytest

from server.content.catalog import get_catalog
from server.engagement.tables import Event
from tests.support import csrf_token, event, post_events

PAGES = ("/wellbeing/checkin", "/wellbeing/feedback", "/wellbeing/")


@pytest.mark.parametrize("path", PAGES)
async def test_staff_cannot_open_a_patient_questionnaire(staff_member, path):
    """ASVS 4.1.3: 404, as for any page that is not there for her."""
    assert (await staff_member.get(path)).status_code == 404


@pytest.mark.parametrize("path", PAGES)
async def test_a_patient_opens_her_questionnaires(patient, path):
    """ASVS 4.1.3: the same pages still open for the people they are for."""
    assert (await patient.get(path)).status_code == 200


async def test_staff_cannot_post_an_answer_by_form_or_by_the_api(staff_member):
    """ASVS 4.2.1: neither the form nor the outbox's API stores a staff member's WHO-5."""
    token = csrf_token((await staff_member.get("/workspace/login")).text)
    answers = {f"item{i}": "3" for i in range(5)}
    form = await staff_member.post("/wellbeing/checkin", data={"_csrf_token": token, **answers})
    assert form.status_code == 404
    who5 = get_catalog().questionnaires["who-5"].version_id
    api = await post_events(staff_member, [event("questionnaire_answered", questionnaire_version=who5,
                                                 answers=[3, 3, 3, 3, 3])])
    assert api.status_code == 422 and "patients only" in api.json()["detail"]
    assert await Event.count().where(Event.type == "questionnaire_answered") == 0


async def test_staff_settings_do_not_offer_check_ins(staff_member, patient):
    """ASVS 4.1.3: her settings page links only to what she may open."""
    assert 'href="/wellbeing' not in (await staff_member.get("/settings")).text
    assert 'href="/wellbeing' in (await patient.get("/settings")).text


async def test_staff_cannot_open_or_set_a_municipality(staff_member):
    """ASVS 4.1.3: where she lives is asked of patients only; the staff phone gets 404 and nothing is stored."""
    from server.participants.tables import Participant

    for path in ("/welcome/municipality", "/settings/municipality"):
        assert (await staff_member.get(path)).status_code == 404, path
    token = csrf_token((await staff_member.get("/workspace/login")).text)
    posted = await staff_member.post("/welcome/municipality", data={"_csrf_token": token, "municipality": "0101"})
    assert posted.status_code == 404
    row = await Participant.select(Participant.municipality_code).where(
        Participant.id == staff_member.participant_id).first()
    assert row["municipality_code"] is None
