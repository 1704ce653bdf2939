"""The ward's and the clinic's numbers a coordinator keeps become ``tel:`` links on her patients' phones, so
only a phone number gets through (ASVS 5.1.3: input checked against what it may be, an allow-list of digits,
spaces and a leading +; nothing a browser would read as markup or another link scheme reaches the page).
That only her own site's numbers can be set is held with the rest of her scope, in
``test_coordinator_scope.py``.

A number that is not digits and spaces (with an optional leading +) is refused with a message in her
language (400) and nothing changes; the page never turns what she typed into a link of another kind.
"""

from __future__ import annotations

from html import unescape

import pytest

from server.participants.tables import Site
from tests.support import csrf_token, make_invite

BASE = "/workspace/coordinate"
SITE_FORM = {"name": "Test clinic", "kind": "clinic", "municipality": "0101", "checkin_every": "14"}


async def numbers(site_id: int) -> dict:
    return await Site.select(Site.ward_phone, Site.clinic_phone).where(Site.id == site_id).first()


async def save(coordinator, **fields: str):
    page = await coordinator.get(f"{BASE}/sites/{coordinator.site_id}")
    return await coordinator.post(f"{BASE}/sites/{coordinator.site_id}", data={
        "_csrf_token": csrf_token(page.text), **SITE_FORM, **fields})


@pytest.mark.parametrize("typed", [
    "ring mig", "javascript:alert(1)", "112;1813", "+45 38 63 50 00 <script>", "38-63-50-00", "++4538635000",
    "1" * 21, "12", "+ 38 63", "tel:112", "38 63 50 00\n1813",
])
@pytest.mark.parametrize("field", ["ward_phone", "clinic_phone"])
async def test_it_refuses_a_number_that_is_not_a_phone_number_and_changes_nothing(coordinator, field, typed):
    """ASVS 5.1.3: refused with a message she can act on; the site keeps its numbers."""
    kept = await save(coordinator, ward_phone="38 63 50 00", clinic_phone="38 63 50 10")
    assert kept.status_code == 303
    before = await numbers(coordinator.site_id)
    refused = await save(coordinator, **{field: typed})
    assert refused.status_code == 400, refused.status_code
    alert = unescape(refused.text.split('role="alert"')[1][:300])
    assert "digits and spaces" in alert
    assert await numbers(coordinator.site_id) == before


async def test_an_accepted_number_reaches_the_page_only_as_a_tel_link_of_digits(actors, coordinator):
    """ASVS 5.1.3: the link holds the digits (and a leading +) and nothing else."""
    mother = await actors.patient(await make_invite())
    assert (await save(coordinator, ward_phone="+45 38 63 50 00", clinic_phone="")).status_code == 303
    assert await numbers(coordinator.site_id) == {"ward_phone": "+45 38 63 50 00", "clinic_phone": None}
    page = (await mother.get("/support")).text
    assert 'href="tel:+4538635000"' in page
    assert "Call the clinic" not in page  # no number, no button
