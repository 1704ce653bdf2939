"""Her partner's link, from her Settings: made (rate-limited), shown once, taken back.

The rules of the link itself (single use, seven days, never tied to her once used) live in
``server.participants.partners``; this module adds what needs the accounts' throttle, as the typed codes at
``/join`` do (``server.coordination.join``): making links is counted per patient, before anything is written,
in one atomic step, so simultaneous requests are no faster than one after another. A site with partners off
answers 404 here, whatever is posted: there is nothing to invite to.
"""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from server.accounts import throttle
from server.coordination.services import invite_link
from server.lib.guards import requires_kind
from server.lib.i18n import _, wait_words
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants import partners
from server.participants.guards import DEPENDENCIES, Enrolled

# Three links back to back (a mistyped message, a second try), then one every eight hours: enough for a person,
# too few for a phone left unlocked to hand out links.
PARTNER_LINK = throttle.Budget("partner-link", at_once=3, every=8 * 3600)


def link_keys(participant: Enrolled) -> list[throttle.Key]:
    return [throttle.Key(PARTNER_LINK, throttle.digest(f"partner-link {participant.id.hex}"))]


class PartnerInviteController(Controller):
    path = "/settings/partner"
    guards = [requires_kind("patient")]
    dependencies = DEPENDENCIES
    cache_control = CacheControlHeader(no_store=True)  # the page after making a link shows it: keep no copy

    @post("/", name="coordinate:partner_invite", status_code=200)
    async def invite(self, request: Request, participant: Enrolled) -> Template:
        if not await partners.partners_enabled_for(participant.id):
            raise NotFoundException()
        keys = link_keys(participant)
        if wait := await throttle.take(keys):
            response = page(request, "participants/partner_link.html", status_code=429, link=None,
                            error=_("You have made several links in a short time. Please wait %(wait)s and try "
                                    "again.", wait=wait_words(wait)))
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            code, expires_at = await partners.make_link(participant.id)
        except partners.PartnersOff:
            raise NotFoundException() from None
        return page(request, "participants/partner_link.html", link=invite_link("partner", code),
                    expires_at=expires_at, error=None)

    @post("/revoke", name="coordinate:partner_revoke", status_code=303)
    async def revoke(self, request: Request, participant: Enrolled) -> Redirect:
        await partners.revoke(participant.id)
        return redirect_to(request, "participants:settings", fragment="#partner")
