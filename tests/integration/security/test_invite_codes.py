"""Invite codes at rest and in addresses: kept sealed, shown only to the people who answer for them, and
never carried in a URL, so a coordinator can reprint a torn-down poster months later.

* At rest (ASVS 6.1.1, 6.2.1, 6.2.2): a code is found by its SHA-256 hash and kept besides only
  encrypted (AES-GCM under a key derived from SECRET_KEY). The row holds neither the code nor the typed
  code; another key opens nothing; a sealed value copied onto another row is not believed.
* Out of addresses (ASVS 8.1.1, 8.3.1): a sheet's address names its site and invite, never the code, so no
  code lands in browser history, proxy logs or a Referer; the address opens the sheet only for those who
  answer for that site, and only the site's own invites (another site's invite id under her site: 404).
* Who sees it (ASVS 4.1.1, 4.2.1): the coordinators of the code's site and admins; another site's
  coordinator gets 404, the other roles 403, and an opened sheet is written to the audit log (the invite,
  never the code; ASVS 7.1.1).

Codes made before codes were kept cannot be shown: their page says so and offers a new code like it.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest

from server.accounts.tables import AuditEntry
from server.coordination import services as coordination
from server.coordination.schemas import InviteForm
from server.participants import services as participants
from server.participants.tables import InviteCode, Participant
from tests.support import csrf_token

BASE = "/workspace/coordinate"


async def site_with_unit(name: str = "Klinikken ved Åen") -> tuple[int, int]:
    site = await participants.ensure_site(coordination.slugify(name), name, "0101")
    unit = await participants.ensure_unit(site, coordination.slugify(name) + "-unit", "Fødegangen")
    return site, unit


async def make_code(client, site: int, **fields: str) -> dict[str, str]:
    """Makes a code as she would, and keeps what the page shows and every address on it."""
    page = await client.get(f"{BASE}/sites/{site}")
    made = await client.post(f"{BASE}/sites/{site}/codes", data={"_csrf_token": csrf_token(page.text), **fields})
    assert made.status_code == 200, made.text
    link = unescape(re.search(r"<code data-invite-link>([^<]+)</code>", made.text).group(1))
    typed = re.search(r"<code data-typed-code>([^<]+)</code>", made.text)
    return {"code": link.rsplit("/", 1)[1], "link": link, "typed": typed.group(1) if typed else "",
            "html": made.text, "sheet": sheet_link(made.text)}


def sheet_link(html: str, invite_id: int | None = None) -> str:
    """The link to a sheet on a page (on the site page: the one in this invite's row)."""
    if invite_id is not None:
        html = re.search(rf'<tr data-invite="{invite_id}">(.*?)</tr>', html, re.S).group(1)
    return unescape(re.search(r'href="([^"]+)" data-sheet-link', html).group(1))


def addresses(html: str) -> list[str]:
    """Every address a page hands the browser: links, forms, scripts, styles, images."""
    return [unescape(a) for a in re.findall(r'(?:href|action|src|hx-get|hx-post)="([^"]*)"', html)]


def secrets_of(made: dict[str, str]) -> list[str]:
    """A code in every spelling that would let someone in."""
    found = [made["code"]]
    if made["typed"]:
        found += [made["typed"], made["typed"].replace("-", "")]
    return found


async def invite_id_of(code: str) -> int:
    return (await InviteCode.select(InviteCode.id).where(
        InviteCode.code_hash == participants.hash_code(code)).first())["id"]


# --- out of addresses ---

@pytest.mark.parametrize("fmt", ["link", "typed"])
async def test_no_address_she_is_given_carries_the_code(actors, fmt):
    """ASVS 8.3.1, 8.1.1: from making a code to printing its sheet, no link, form action or redirect holds
    the code (or the typed code), so none is left in history, proxy logs or a Referer."""
    site, unit = await site_with_unit()
    coordinator = await actors.coordinator(sites=[site])
    made = await make_code(coordinator, site, kind="staff", unit=str(unit), label="Wall", format=fmt)
    at_once = [url for url in addresses(made["html"]) for secret in secrets_of(made) if secret.lower() in url.lower()]
    assert not at_once, at_once  # the page right after making it: its link to the sheet, above all
    listing = await coordinator.get(f"{BASE}/sites/{site}")
    sheet = await coordinator.get(made["sheet"])
    again = await coordinator.get(sheet_link(listing.text, await invite_id_of(made["code"])))
    assert sheet.status_code == 200 and again.status_code == 200
    assert made["link"] in sheet.text and made["link"] in again.text  # the sheet shows it, in its body
    seen = [made["sheet"], *addresses(made["html"]), *addresses(listing.text), *addresses(sheet.text),
            *addresses(again.text)]
    for response in (sheet, again, listing):
        seen += [str(r.url) for r in (*response.history, response)]
    leaked = [url for url in seen for secret in secrets_of(made) if secret.lower() in url.lower()]
    assert not leaked, leaked
    for link in (made["sheet"], sheet_link(listing.text)):  # the address names the site and the invite, no more
        assert re.fullmatch(rf"{BASE}/sites/{site}/codes/\d+/sheet", urlsplit(link).path), link
        assert not urlsplit(link).query


async def test_another_sites_invite_opens_no_sheet_under_her_site(actors):
    """ASVS 4.2.1, 4.1.1: the invite id in the address is looked up within the site of the address, and the
    site within her reach: another site's invite under her own site is 404, as is her site's invite under a
    site that is not hers, and neither answer holds anything of the code or the other site."""
    site, unit = await site_with_unit()
    other, other_unit = await site_with_unit("Hospitalet ved Fjorden")
    theirs = await coordination.create_site_invite(None, other, InviteForm(kind="staff", unit=other_unit))
    mine = await coordination.create_site_invite(None, site, InviteForm(kind="staff", unit=unit))
    coordinator = await actors.coordinator(sites=[site])
    for path in (f"{BASE}/sites/{site}/codes/{theirs.id}/sheet", f"{BASE}/sites/{other}/codes/{theirs.id}/sheet",
                 f"{BASE}/sites/{other}/codes/{mine.id}/sheet"):
        response = await coordinator.get(path)
        assert response.status_code == 404, path
        assert theirs.code not in response.text and mine.code not in response.text
        assert "Fjorden" not in response.text
    assert (await coordinator.get(f"{BASE}/sites/{site}/codes/{mine.id}/sheet")).status_code == 200
    opened = await AuditEntry.select(AuditEntry.target).where(AuditEntry.action == "invite.sheet_opened")
    assert [r["target"] for r in opened] == [f"invite {mine.id}"]


async def test_the_old_token_address_opens_no_sheet(actors):
    """ASVS 8.3.1: the former address with a signed token is gone; nothing answers it with a code."""
    from server.lib.signing import sign

    site, unit = await site_with_unit()
    coordinator = await actors.coordinator(sites=[site])
    made = await make_code(coordinator, site, kind="staff", unit=str(unit))
    invite_id = await invite_id_of(made["code"])
    forged = sign("invite-sheet-open", f"{invite_id}:{int(time.time()) + 600}")
    response = await coordinator.get(f"{BASE}/codes/sheet", params={"token": forged})
    assert response.status_code in (404, 405) and made["code"] not in response.text


# --- reprinted months later, by those who answer for the site ---

async def test_a_coordinator_reprints_a_sheet_months_later(actors):
    """The poster was torn down: half a year after the code was made, another coordinator of the same site
    opens its sheet from the site's page, with the same code, and the code still lets people in."""
    site, unit = await site_with_unit()
    maker = await actors.coordinator(sites=[site])
    made = await make_code(maker, site, kind="staff", unit=str(unit), label="Break room")
    invite_id = await invite_id_of(made["code"])
    await InviteCode.update({InviteCode.created_at: datetime.now(UTC) - timedelta(days=183)}).where(
        InviteCode.id == invite_id)
    colleague = await actors.coordinator(sites=[site])
    listing = await colleague.get(f"{BASE}/sites/{site}")
    sheet = await colleague.get(sheet_link(listing.text, invite_id))
    assert sheet.status_code == 200
    assert made["link"] in sheet.text and "<svg" in sheet.text and "Fødegangen" in sheet.text
    await actors.staff_member(made["code"])
    assert await Participant.count().where(Participant.invite_code == invite_id) == 1


async def test_a_typed_code_is_reprinted_with_its_typed_code(actors):
    """The typed code is kept too: the reprinted sheet shows the same eight characters."""
    site, _unit = await site_with_unit()
    coordinator = await actors.coordinator(sites=[site])
    made = await make_code(coordinator, site, kind="patient", format="typed", label="Reception")
    listing = await coordinator.get(f"{BASE}/sites/{site}")
    sheet = await coordinator.get(sheet_link(listing.text, await invite_id_of(made["code"])))
    assert sheet.status_code == 200 and made["typed"] in sheet.text


@pytest.mark.parametrize("role", ["other site's coordinator", "researcher", "editor"])
async def test_only_her_sites_coordinators_and_admins_see_a_code(actors, role):
    """ASVS 4.1.1, 4.2.1: a valid link to a sheet, in the hands of someone who does not answer for the site,
    shows nothing of the code: 404 to another site's coordinator (as for a sheet that does not exist),
    403 to the other roles; an admin sees it."""
    site, unit = await site_with_unit()
    other, _other_unit = await site_with_unit("Hospitalet ved Fjorden")
    coordinator = await actors.coordinator(sites=[site])
    made = await make_code(coordinator, site, kind="staff", unit=str(unit))
    intruder = (await actors.coordinator(sites=[other]) if role == "other site's coordinator"
                else await actors.new(role))
    response = await intruder.get(made["sheet"])
    assert response.status_code == (404 if role == "other site's coordinator" else 403)
    assert made["code"] not in response.text and "Klinikken" not in response.text
    assert (await (await actors.admin()).get(made["sheet"])).status_code == 200


async def test_opening_a_sheet_is_in_the_audit_log_without_the_code(actors):
    """ASVS 7.1.1, 7.1.2: who saw which invite's code, and when; never the code itself."""
    site, unit = await site_with_unit()
    coordinator = await actors.coordinator(sites=[site])
    made = await make_code(coordinator, site, kind="staff", unit=str(unit), format="typed")
    assert (await coordinator.get(made["sheet"])).status_code == 200
    rows = await AuditEntry.select().where(AuditEntry.action == "invite.sheet_opened")
    assert [(r["actor"], r["target"]) for r in rows] == [
        (coordinator.account_id, f"invite {await invite_id_of(made['code'])}")]
    log = " ".join(f"{r['target']} {r['detail']}" for r in await AuditEntry.select())
    assert not [secret for secret in secrets_of(made) if secret in log]


# --- at rest ---

async def test_the_row_keeps_no_code_in_clear_and_only_our_key_opens_it(actors, settings_env):
    """ASVS 6.1.1, 6.2.2: what a copy of the database holds of a code is its hash and an AES-GCM
    ciphertext; with the key derived from SECRET_KEY it opens, with any other key it does not (and the
    sheet says it cannot be shown rather than failing)."""
    site, _unit = await site_with_unit()
    coordinator = await actors.coordinator(sites=[site])
    made = await make_code(coordinator, site, kind="patient", format="typed")
    row = await InviteCode.select().where(InviteCode.code_hash == participants.hash_code(made["code"])).first()
    stored = " ".join(str(value) for value in row.values())
    assert not [secret for secret in secrets_of(made) if secret.lower() in stored.lower()]
    assert row["code_sealed"] and len(row["code_sealed"]) >= 40
    kept = coordination.unseal(row["code_sealed"], row["code_hash"])
    assert kept is not None and kept.code == made["code"] and coordination.format_typed(kept.typed) == made["typed"]
    settings_env(SECRET_KEY="another-secret-key-that-is-long-enough-for-tests-9876543210")
    assert coordination.unseal(row["code_sealed"], row["code_hash"]) is None


async def test_a_sealed_code_copied_onto_another_row_is_not_shown(actors):
    """ASVS 6.2.1, 4.2.1: someone who can write to the database copies the sealed code of another site's
    invite onto an invite of her own site: her sheet shows neither code, only that it cannot be shown."""
    site, unit = await site_with_unit()
    other, other_unit = await site_with_unit("Hospitalet ved Fjorden")
    theirs = await coordination.create_site_invite(None, other, InviteForm(kind="staff",
                                                                                       unit=other_unit))
    mine = await coordination.create_site_invite(None, site, InviteForm(kind="staff", unit=unit))
    sealed = (await InviteCode.select(InviteCode.code_sealed).where(InviteCode.id == theirs.id).first())
    await InviteCode.update({InviteCode.code_sealed: sealed["code_sealed"]}).where(InviteCode.id == mine.id)
    coordinator = await actors.coordinator(sites=[site])
    response = await coordinator.get(f"{BASE}/sites/{site}/codes/{mine.id}/sheet")
    assert response.status_code == 410 and 'data-reason="not_kept"' in response.text
    assert theirs.code not in response.text and mine.code not in response.text


# --- codes made before codes were kept ---

async def test_a_code_made_before_codes_were_kept_says_so_and_offers_a_new_one_like_it(actors):
    """Its hash is all there is: the site's page and its sheet say it cannot be shown again, and offer a
    new code for the same people, which she makes from a form filled in like the old one."""
    site, unit = await site_with_unit()
    coordinator = await actors.coordinator(sites=[site])
    old_code = await participants.create_invite(kind="staff", site_id=site, unit_id=unit, label="Old wall")
    old_id = await invite_id_of(old_code)
    listing = await coordinator.get(f"{BASE}/sites/{site}")
    row = re.search(rf'<tr data-invite="{old_id}">(.*?)</tr>', listing.text, re.S).group(1)
    assert "data-not-kept" in row and "data-sheet-link" not in row
    sheet = await coordinator.get(f"{BASE}/sites/{site}/codes/{old_id}/sheet")
    assert sheet.status_code == 410 and "made before codes were kept" in sheet.text
    offer = unescape(re.search(r'href="([^"]+)" data-replace-link', sheet.text).group(1))
    form = await coordinator.get(offer)
    assert form.status_code == 200
    assert re.search(rf'<option value="{unit}" selected>', form.text) and 'value="Old wall"' in form.text
    assert re.search(r'id="invite-kind-staff" name="kind" value="staff" checked', form.text)
    new = await coordinator.post(f"{BASE}/sites/{site}/codes", data={
        "_csrf_token": csrf_token(form.text), "kind": "staff", "unit": str(unit), "label": "Old wall"})
    assert new.status_code == 200
    new_id = await invite_id_of(re.search(r"<code data-invite-link>[^<]*/u/([^<]+)</code>", new.text).group(1))
    assert (await coordinator.get(sheet_link(new.text))).status_code == 200
    assert (await InviteCode.select(InviteCode.unit).where(InviteCode.id == new_id).first())["unit"] == unit
    assert (await InviteCode.select(InviteCode.revoked_at).where(InviteCode.id == old_id).first())[
        "revoked_at"] is None  # the old poster keeps working until she revokes it
