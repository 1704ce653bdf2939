"""Every route, as every kind of person: each answer is compared with an explicit allow-list (ASVS 4.1.1,
4.1.3, 4.2.1).

A route missing from ROUTES fails the test, so nobody adds a page without deciding who may use it.
"Allowed" means the page did its work (any answer but a refusal); "refused" means 401, 403, 404 or a
redirect to a login or start page. POSTs carry a valid CSRF token and an empty form: allowed actors get
their validation messages (4xx that are not refusals), and nothing of consequence changes.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from server.accounts import services as accounts
from server.content.tables import ContentVersion
from server.coordination import services as coordination
from server.coordination.schemas import InviteForm
from server.editor import local
from server.editor import services as editor_services
from server.participants import partners
from server.participants import services as participants
from tests.learning import COURSE, LESSONS, fixture_course
from tests.support import (
    PARTNER_FIXTURE,
    WORKSPACE_PASSWORD,
    Actor,
    Actors,
    allow_partners,
    csrf_token,
    make_invite,
    make_staff_code,
    publish_partner_fixture,
)

# "coordinator" is linked to the site whose ids the walk uses; "outside_coordinator" to another site only.
EVERYONE = {"anonymous", "patient", "staff", "partner", "editor", "coordinator", "outside_coordinator", "researcher",
            "admin"}
PARTICIPANTS = {"patient", "staff", "partner"}
ACCOUNTS = {"editor", "coordinator", "outside_coordinator", "researcher", "admin"}
SIGNED_IN = PARTICIPANTS | ACCOUNTS  # anyone the app knows; for pages open to all, use EVERYONE

# (method, route name) -> who may use it
ROUTES: dict[tuple[str, str], set[str]] = {
    ("GET", "content:start"): EVERYONE, ("GET", "content:support"): EVERYONE, ("GET", "content:about"): EVERYONE,
    ("GET", "journeys:home"): PARTICIPANTS,  # staff are sent on to /pause
    ("GET", "content:library"): PARTICIPANTS, ("GET", "content:exercise"): PARTICIPANTS,
    ("GET", "content:play"): PARTICIPANTS, ("GET", "content:done"): PARTICIPANTS,
    ("GET", "content:thanks"): PARTICIPANTS, ("GET", "content:audio"): EVERYONE,
    ("GET", "content:revision"): EVERYONE,  # one number, the same for everyone (the service worker asks)
    ("GET", "journeys:course"): {"patient"},
    ("GET", "participants:join"): EVERYONE, ("POST", "participants:enrol"): EVERYONE,
    ("GET", "participants:consent"): EVERYONE,
    # Where she lives is asked of patients only: a member of staff's phone gets 404 (issue 15).
    ("GET", "participants:municipality"): {"patient"}, ("POST", "participants:set_municipality"): {"patient"},
    ("GET", "participants:settings"): PARTICIPANTS, ("GET", "participants:change_municipality"): {"patient"},
    ("POST", "participants:language"): EVERYONE,
    ("GET", "journeys:data_json"): PARTICIPANTS, ("GET", "journeys:data_csv"): PARTICIPANTS,
    ("GET", "journeys:data_page"): PARTICIPANTS,
    ("GET", "journeys:welcome"): PARTICIPANTS,  # staff are sent on to /pause
    ("GET", "participants:reconsent"): PARTICIPANTS, ("POST", "participants:renew_consent"): PARTICIPANTS,
    ("GET", "journeys:withdraw_form"): PARTICIPANTS,
    # Patients' own questionnaires: never a member of staff's (tests/integration/security/test_questionnaires.py).
    ("GET", "wellbeing:checkin"): {"patient"}, ("POST", "wellbeing:checkin_post"): {"patient"},
    ("GET", "wellbeing:history"): {"patient"},
    ("GET", "wellbeing:feedback"): {"patient"}, ("POST", "wellbeing:feedback_post"): {"patient"},
    ("POST", "journeys:withdraw"): PARTICIPANTS,
    ("GET", "coordinate:join"): EVERYONE, ("POST", "coordinate:join_post"): EVERYONE,
    ("POST", "engagement:events"): PARTICIPANTS, ("POST", "engagement:rate"): PARTICIPANTS,
    ("GET", "staff:home"): {"staff"}, ("GET", "staff:go"): {"staff"}, ("GET", "staff:pause"): {"staff"},
    ("POST", "staff:done"): {"staff"}, ("GET", "staff:mine"): {"staff"}, ("GET", "staff:unit"): {"staff"},
    ("GET", "staff:support"): {"staff"},
    # The staff e-learning course (issue 17): staff only, like the pauses.
    ("GET", "learning:courses"): {"staff"}, ("GET", "learning:course"): {"staff"},
    ("GET", "learning:lesson"): {"staff"}, ("GET", "learning:certificate"): {"staff"},
    ("POST", "learning:case"): {"staff"}, ("POST", "learning:check"): {"staff"},
    ("GET", "reminders:page"): PARTICIPANTS, ("POST", "reminders:save"): PARTICIPANTS,
    ("POST", "reminders:off"): PARTICIPANTS, ("POST", "reminders:not_today"): PARTICIPANTS,
    ("POST", "reminders:subscribe"): PARTICIPANTS, ("POST", "reminders:action"): PARTICIPANTS,
    ("GET", "reminders:now"): PARTICIPANTS, ("POST", "reminders:later"): PARTICIPANTS,
    ("POST", "reminders:renew"): PARTICIPANTS, ("POST", "reminders:test"): PARTICIPANTS,
    ("GET", "reminders:key"): EVERYONE,  # the server's public VAPID key: public by nature
    ("GET", "workspace:login"): EVERYONE, ("POST", "workspace:login_post"): EVERYONE,
    ("GET", "workspace:code"): ACCOUNTS, ("POST", "workspace:code_post"): ACCOUNTS,
    ("POST", "workspace:logout"): EVERYONE,
    ("GET", "workspace:home"): ACCOUNTS,
    ("GET", "workspace:totp_setup"): ACCOUNTS, ("POST", "workspace:totp_confirm"): ACCOUNTS,
    ("GET", "workspace:invite"): EVERYONE, ("POST", "workspace:invite_accept"): EVERYONE,
    ("GET", "workspace:account"): ACCOUNTS, ("POST", "workspace:password_change"): ACCOUNTS,
    ("POST", "workspace:totp_replace"): ACCOUNTS, ("POST", "workspace:totp_remove"): ACCOUNTS,
    ("GET", "workspace:reset"): EVERYONE, ("POST", "workspace:reset_post"): EVERYONE,  # the token decides
    ("GET", "admin:accounts"): {"admin"}, ("POST", "admin:invite"): {"admin"},
    ("POST", "admin:account_action"): {"admin"}, ("POST", "admin:account_sites"): {"admin"},
    ("POST", "admin:password_reset"): {"admin"}, ("POST", "admin:second_factor_reset"): {"admin"},
    ("GET", "admin:audit"): {"admin"},
    ("GET", "editor:list"): {"editor", "admin"}, ("POST", "editor:new"): {"editor", "admin"},
    ("GET", "editor:edit"): {"editor", "admin"}, ("POST", "editor:save"): {"editor", "admin"},
    ("GET", "editor:preview"): {"editor", "admin"}, ("GET", "editor:history"): {"editor", "admin"},
    ("POST", "editor:rollback"): {"editor", "admin"}, ("POST", "editor:audio"): {"editor", "admin"},
    ("POST", "editor:publish_reviewed"): {"editor", "admin"},
    ("GET", "editor:checks"): {"editor", "admin"}, ("POST", "editor:confirm"): {"editor", "admin"},
    ("GET", "coordinate:index"): {"coordinator", "outside_coordinator", "admin"},
    ("POST", "coordinate:site_create"): {"coordinator", "outside_coordinator", "admin"},
    ("GET", "coordinate:site"): {"coordinator", "admin"}, ("POST", "coordinate:site_update"): {"coordinator", "admin"},
    ("POST", "coordinate:unit_create"): {"coordinator", "admin"}, ("GET", "coordinate:unit"): {"coordinator", "admin"},
    ("GET", "coordinate:unit_poster"): {"coordinator", "admin"},
    ("POST", "coordinate:unit_update"): {"coordinator", "admin"},
    ("POST", "coordinate:group_create"): {"coordinator", "admin"},
    ("GET", "coordinate:group"): {"coordinator", "admin"},
    ("POST", "coordinate:group_update"): {"coordinator", "admin"},
    ("POST", "coordinate:invite_create"): {"coordinator", "admin"},
    ("POST", "coordinate:invite_revoke"): {"coordinator", "admin"},
    # Partners (issue 18): the site's switch is its coordinators'; only a patient (at a site with it on) makes
    # or takes back her partner's link (tests/integration/security/test_partner_links.py).
    ("POST", "coordinate:site_partners"): {"coordinator", "admin"},
    ("POST", "coordinate:partner_invite"): {"patient"}, ("POST", "coordinate:partner_revoke"): {"patient"},
    ("GET", "coordinate:invite_sheet"): {"coordinator", "admin"},  # the site's own invite, by its id
    # Local offers: a coordinator's area is her sites' municipalities; the outside coordinator's site lies elsewhere.
    ("GET", "local:list"): {"coordinator", "outside_coordinator", "admin"},
    ("POST", "local:new"): {"coordinator", "outside_coordinator", "admin"},
    ("GET", "local:edit"): {"coordinator", "admin"}, ("POST", "local:save"): {"coordinator", "admin"},
    ("GET", "local:history"): {"coordinator", "admin"},
    ("GET", "reports:dashboard"): {"coordinator", "outside_coordinator", "researcher", "admin"},
    ("GET", "reports:annual"): {"coordinator", "outside_coordinator", "researcher", "admin"},
    ("POST", "reports:annual_notes"): {"coordinator", "outside_coordinator", "admin"},
    ("GET", "reports:exports"): {"researcher", "admin"}, ("GET", "reports:export_file"): {"researcher", "admin"},
    ("GET", "pwa:service_worker"): EVERYONE, ("GET", "pwa:manifest"): EVERYONE, ("GET", "pwa:offline"): EVERYONE,
    ("GET", "static"): EVERYONE,
    ("HEAD", "static/head"): EVERYONE, ("GET", "ops:health"): EVERYONE, ("GET", "ops:ready"): EVERYONE,
}
# Routes that end the session they are called with: walked last for each actor.
LAST = {("POST", "workspace:logout"), ("POST", "journeys:withdraw")}
# Logging out always ends on the login page: for it, that is the work done, not a refusal.
ENDS_AT_LOGIN = {("POST", "workspace:logout")}
# Decided above but not walked here, with the reason.
NOT_WALKED = {
    ("GET", "content:audio"): "the repository's content has no recording yet; tests/browser/test_offline.py "
                              "publishes one and checks it is served, with ranges, also offline",
}


def routes(app) -> list[tuple[str, str, str]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            name = handler.name
            if name is None or name.endswith("_litestar_openapi_json") or route.path.startswith("/api/schema"):
                continue
            for method in sorted(handler.http_methods):
                if method != "OPTIONS":
                    found.append((method, name, route.path))
    return found


def test_every_route_has_an_entry_in_the_allow_list(app):
    missing = sorted({(m, n) for m, n, _p in routes(app)} - set(ROUTES))
    assert not missing, f"routes without an access rule (add them to ROUTES): {missing}"


def refused(response, actor: str) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("location", "")
    return response.status_code in (302, 303) and (
        location.startswith("/workspace/login") or location == "/" or location.startswith("/workspace/account/code"))


async def _samples() -> dict[str, str]:
    site = await participants.ensure_site("access-site", "Access clinic", "0101")
    unit = await participants.ensure_unit(site, "access-unit", "Access unit")
    group = await participants.ensure_group(site, "access-group", "Access group", "mbsr-8-weeks", date.today())
    invite = await participants.create_invite(kind="patient", site_id=site)
    # A code of the site as a coordinator makes it (kept sealed), whose id the invite routes use.
    made = await coordination.create_site_invite(None, site, InviteForm(kind="patient", label="Access poster"))
    bystander = await accounts.create_account("bystander@example.org", WORKSPACE_PASSWORD, ("editor",))
    # A local offer for the site's municipality, drafted as its coordinator would (the local: routes use it).
    await editor_services.create_draft("access-local-offer", bystander, "resource",
                                       data=local.first_draft(frozenset({"0101"})))
    version = await ContentVersion.select(ContentVersion.id).where(
        ContentVersion.item.slug == "breathing-space-3").first()
    # The test clinic has partners on (the patient actor's site), and one of its patients has a link open: the
    # partner's door (/p/<code>) is walked with it (a GET or an empty form never uses it up).
    await allow_partners()
    await publish_partner_fixture()
    her, _kind = await participants.enrol(await make_invite(), language="da", client="192.0.2.1")
    partner_code, _until = await partners.make_link(her)
    return {"slug": "breathing-space-3", "code": invite, "partner_code": partner_code,
            "token": "no-such-invitation-token", "name": "missing.mp3",
            "account_id": str(bystander), "action": "revoke", "version_id": str(version["id"]),
            "site_id": str(site), "unit_id": str(unit), "group_id": str(group), "invite_id": str(made.id),
            "file_path": "css/app.css"}


def concrete(path: str, samples: dict[str, str], actor: str, name: str) -> str:
    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key == "slug" and name.startswith("local:"):
            return "access-local-offer"
        if key == "slug" and name.startswith("staff:"):
            return "doorway-pause"
        if key == "slug" and name.startswith("learning:"):  # the fixture course (tests/learning.py)
            return LESSONS[0] if name in ("learning:lesson", "learning:case", "learning:check") else COURSE
        if key == "slug" and actor == "staff" and name.startswith("content:"):
            return "sixty-second-breath"  # a practice meant for staff too
        if key == "slug" and actor == "partner" and name.startswith("content:"):
            return PARTNER_FIXTURE  # a practice meant for partners
        if key == "code" and path.startswith("/p/"):
            return samples["partner_code"]
        return samples[key]
    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


async def _actor(actors: Actors, actor: str, samples: dict[str, str]) -> Actor:
    if actor == "anonymous":
        return await actors.outsider()
    if actor == "staff":
        return await actors.staff_member(await make_staff_code("access-unit-2"))
    if actor == "partner":
        return await actors.partner()
    if actor == "coordinator":
        return await actors.coordinator(sites=[int(samples["site_id"])])
    if actor == "outside_coordinator":
        return await actors.coordinator(sites=[await participants.ensure_site("other-site", "Another clinic", "0751")])
    return await actors.new(actor)


@pytest.fixture
async def learning(actors):
    async with fixture_course():
        yield


@pytest.mark.parametrize("actor", sorted(EVERYONE))
async def test_each_actor_reaches_exactly_what_the_allow_list_says(app, actors, learning, actor):
    samples = await _samples()
    client = await _actor(actors, actor, samples)
    token = csrf_token((await client.get("/workspace/login")).text)
    wrong = []
    for method, name, path in sorted(routes(app), key=lambda r: (r[:2] in LAST, r)):
        if (method, name) in NOT_WALKED:
            continue
        url = concrete(path, samples, actor, name)
        if method == "POST":
            response = await client.post(url, data={"_csrf_token": token},
                                         headers={"X-Pusterum": "1"} if url.startswith("/api/") else {})
        else:
            response = await client.request(method, url)
        allowed = actor in ROUTES[(method, name)]
        was_refused = refused(response, actor) and (method, name) not in ENDS_AT_LOGIN
        if response.status_code >= 500 or allowed == was_refused:
            wrong.append(f"{method} {url} ({name}): {response.status_code} "
                         f"{response.headers.get('location', '')}")
    assert not wrong, f"{actor}: " + "; ".join(wrong)
