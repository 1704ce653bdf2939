"""A patient's link for her partner, attacked (issue 18 item 3): a link opens once and for seven days (ASVS
2.3.1), a site with partners off refuses links however they are asked for (ASVS 4.1.1, 4.1.3), making links
is rate-limited even under simultaneous requests (ASVS 11.1.4), the link carries no id of hers (ASVS 8.3.1),
and a partner reaches nothing of hers by any route (ASVS 4.2.1)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from server.accounts.tables import AuditEntry
from server.participants.tables import Participant, PartnerInvite, Site
from tests.integration.security.test_access import LAST, _samples, concrete, routes
from tests.support import (
    allow_partners,
    csrf_token,
    event,
    exercise_version,
    link_code,
    make_invite,
    partner_link,
    post_events,
)


async def _her_link(actors) -> tuple[object, str]:
    await allow_partners()
    she = await actors.patient(await make_invite())
    made = await partner_link(she)
    assert made.status_code == 200, made.text
    return she, link_code(made.text)


async def _try_to_join(client, code: str) -> tuple[int, int]:
    """The partner's consent form, posted straight at the door: the answers' status codes."""
    token = csrf_token((await client.get("/join")).text)
    opened = await client.get(f"/p/{code}/consent", params={"lang": "en"})
    posted = await client.post(f"/p/{code}", data={"_csrf_token": token, "lang": "en", "consent": "yes"})
    return opened.status_code, posted.status_code


async def test_a_used_link_is_refused_and_creates_nothing(actors):
    """ASVS 2.3.1, 8.3.1: single use; neither the link nor the page naming it carries her id."""
    she, code = await _her_link(actors)
    assert str(she.participant_id) not in code and she.participant_id.hex not in code
    first = await actors.outsider()
    assert await _try_to_join(first, code) == (200, 303)
    people = await Participant.count()
    second = await actors.outsider()
    opened, posted = await _try_to_join(second, code)
    assert (opened, posted) == (404, 404)
    assert await Participant.count() == people
    assert second.cookies.get("pusterum_device") is None and not any("device" in c for c in second.cookies)


async def test_an_expired_link_answers_410_and_creates_nothing(actors):
    """ASVS 2.3.1: a link expires (seven days); after that it says so, and opens nothing."""
    _she, code = await _her_link(actors)
    (row,) = await PartnerInvite.select()
    assert timedelta(days=6, hours=23) < row["expires_at"] - datetime.now(UTC) <= timedelta(days=7)
    await PartnerInvite.update({PartnerInvite.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        PartnerInvite.id == row["id"])
    people = await Participant.count()
    stranger = await actors.outsider()
    opened, posted = await _try_to_join(stranger, code)
    assert (opened, posted) == (410, 410)
    assert "expired" in (await stranger.get(f"/p/{code}")).text
    assert await Participant.count() == people


async def test_a_site_with_partners_off_refuses_links_even_by_direct_post(actors):
    """ASVS 4.1.1, 4.1.3: no invite option, and a hand-made POST is refused (404), with nothing written."""
    await allow_partners(enabled=False)
    she = await actors.patient(await make_invite())
    settings = await she.get("/settings")
    assert "/settings/partner" not in settings.text
    refused = await she.post("/settings/partner", data={"_csrf_token": csrf_token(settings.text)})
    assert refused.status_code == 404 and "/p/" not in refused.text
    assert await PartnerInvite.count() == 0


async def test_switching_partners_off_closes_every_open_link_of_the_site(actors, coordinator):
    """ASVS 4.1.1: the clinic's decision holds at once, also for links already sent."""
    _she, code = await _her_link(actors)
    page = await coordinator.get(f"/workspace/coordinate/sites/{coordinator.site_id}")
    assert 'data-partners="on"' in page.text
    off = await coordinator.post(f"/workspace/coordinate/sites/{coordinator.site_id}/partners",
                                 data={"_csrf_token": csrf_token(page.text), "partners": "off"})
    assert off.status_code == 303
    assert (await Site.select(Site.partners_enabled).where(Site.id == coordinator.site_id).first()) == {
        "partners_enabled": False}
    people = await Participant.count()
    assert (await _try_to_join(await actors.outsider(), code))[1] == 404
    assert await Participant.count() == people
    (entry,) = await AuditEntry.select().where(AuditEntry.action == "site.partners")
    assert entry["actor"] == coordinator.account_id


async def test_only_her_sites_coordinators_switch_partners_and_only_to_on_or_off(actors, coordinator):
    """ASVS 4.1.3, 4.2.1: another site's coordinator cannot switch it (404); a bad value changes nothing."""
    site = await allow_partners(enabled=False)
    other = await actors.coordinator(sites=[await allow_partners("another-site", enabled=False)])
    page = await other.get("/workspace/coordinate")
    tried = await other.post(f"/workspace/coordinate/sites/{site}/partners",
                             data={"_csrf_token": csrf_token(page.text), "partners": "on"})
    assert tried.status_code == 404
    page = await coordinator.get(f"/workspace/coordinate/sites/{site}")
    bad = await coordinator.post(f"/workspace/coordinate/sites/{site}/partners",
                                 data={"_csrf_token": csrf_token(page.text), "partners": "yes please"})
    assert bad.status_code == 400
    assert (await Site.select(Site.partners_enabled).where(Site.id == site).first())["partners_enabled"] is False


async def test_a_partner_or_a_member_of_staff_cannot_make_links(actors):
    """ASVS 4.1.3: only a patient invites; a partner's phone gets 404 (no chain of partners)."""
    partner = await actors.partner()
    nurse = await actors.staff_member()
    before = await PartnerInvite.count()
    for who in (partner, nurse):
        token = csrf_token((await who.get("/settings")).text)
        assert (await who.post("/settings/partner", data={"_csrf_token": token})).status_code == 404
    assert await PartnerInvite.count() == before


async def test_making_links_is_rate_limited_under_simultaneous_requests(actors):
    """ASVS 11.1.4: three links back to back, then one every eight hours; twelve requests sent at once get no
    more than three, and the rest are told when to try again."""
    await allow_partners()
    she = await actors.patient(await make_invite())
    token = csrf_token((await she.get("/settings")).text)
    answers = await asyncio.gather(*(she.post("/settings/partner", data={"_csrf_token": token}) for _ in range(12)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 3 and statuses.count(429) == 9, statuses
    assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)
    assert await PartnerInvite.count() == 1  # each new link replaced the one before


async def test_the_partner_reaches_nothing_of_hers_by_any_route(app, actors):
    """ASVS 4.2.1: every route of the access walk, as her partner: no answer names her, her comment, her
    municipality or her practice, and the partner's own files hold only the partner."""
    samples = await _samples()
    partner = await actors.partner()
    she = partner.invited_by
    secret = "her own words about the night"
    await post_events(she, [event("exercise_completed", exercise_version=exercise_version("breathing-space-3"),
                                  seconds=170),
                            event("rating_given", exercise_version=exercise_version("breathing-space-3"), rating=5,
                                  comment=secret)])
    hers = (await Participant.select().where(Participant.id == she.participant_id).first())
    marks = {str(she.participant_id), she.participant_id.hex, secret}
    token = csrf_token((await partner.get("/settings")).text)
    wrong = []
    for method, name, path in sorted(routes(app), key=lambda r: (r[:2] in LAST, r)):
        if (method, name) in LAST or method not in ("GET", "POST"):
            continue
        url = concrete(path, samples, "partner", name)  # the sheet's address names its site and invite
        response = await (partner.get(url) if method == "GET" else partner.post(
            url, data={"_csrf_token": token}, headers={"X-Pusterum": "1"} if url.startswith("/api/") else {}))
        found = [m for m in marks if m in response.text]
        if found:
            wrong.append(f"{method} {url}: {found}")
    assert not wrong, wrong
    own = json.loads((await partner.get("/settings/my-data.json")).text)
    assert own["participant"]["id"] == str(partner.participant_id)
    assert own["participant"]["municipality_code"] is None and hers["municipality_code"] == "0101"
    assert not [e for e in own["events"] if e.get("exercise") == "breathing-space-3"]
