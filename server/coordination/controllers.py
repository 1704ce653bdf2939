"""The coordinator's pages under /workspace/coordinate: sites, units, course groups and invite codes.

Only coordinators (and admins) come in (``guards``), and each handler receives its site, unit or course
group from ``scope``: a coordinator reaches only the sites she is linked to, anything else is 404. Every
page is no-store: the page right after making an invite and its printable sheet show a code, and nothing
may keep a copy. No address carries a code: a sheet's address names its site and invite, and it opens
whenever it is asked for while the code is in use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import segno
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts.guards import SESSION, SignedIn, requires_role
from server.accounts.services import AccountView
from server.content.catalog import get_catalog
from server.content.schemas import PublishedExercise
from server.coordination import scope, services
from server.coordination.schemas import GroupForm, InviteForm, NameForm, PartnersForm, SiteForm
from server.coordination.scope import Reach, ReachOf, Row
from server.lib.errors import Refused, status_of
from server.lib.forms import FormOf, blank, form_of, valid
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.municipalities import municipalities

SITE_FORM, NAME_FORM, GROUP_FORM, INVITE_FORM = (form_of(SiteForm), form_of(NameForm), form_of(GroupForm),
                                                  form_of(InviteForm))
PARTNERS_FORM = form_of(PartnersForm)


def _qr_svg(link: str) -> str:
    return segno.make(link, error="q").svg_inline(scale=8, border=2, dark="#000", light="#fff", omitsize=True,
                                                   title=link)


def _courses() -> dict[str, Any]:
    return get_catalog().courses


# The staff pause that happens at the sink: printed there, the phone stays in the pocket.
SINK_TAG = "hand_washing"


def _sink_pause() -> PublishedExercise | None:
    """The published staff pause for the sink, or None (an editor may unpublish it)."""
    return next((e for e in sorted(get_catalog().for_audience("staff"), key=lambda e: e.slug)
                 if SINK_TAG in e.tags), None)


class CoordinationController(Controller):
    path = "/workspace/coordinate"
    cache_control = CacheControlHeader(no_store=True)
    guards = [requires_role("coordinator")]
    dependencies = {"session": SESSION, **scope.DEPENDENCIES}

    # --- sites ---

    async def _index(self, request: Request, account: AccountView, reach: Reach, *, error: str | None = None,
                     form: Any = None, status_code: int = 200) -> Template:
        return page(request, "workspace/coordinate/index.html", status_code=status_code, account=account,
                    sites=await services.list_sites(reach.sites), municipalities=municipalities(), error=error,
                    form=form or blank(SiteForm, kind="clinic"))

    @get("/", name="coordinate:index")
    async def index(self, request: Request, session: SignedIn, reach: ReachOf) -> Template:
        return await self._index(request, session.account, reach)

    @post("/sites", name="coordinate:site_create", status_code=303, dependencies={"form": SITE_FORM})
    async def create_site(self, request: Request, session: SignedIn, reach: ReachOf,
                          form: FormOf[SiteForm]) -> Template | Redirect:
        try:
            # A coordinator answers for the site she makes; an admin links coordinators to it afterwards.
            site_id = await services.create_site(session.account.id, valid(form), link_to_actor=reach.sites is not None)
        except Refused as problem:  # a field, or a rule of the site (both in her words)
            return await self._index(request, session.account, reach, error=str(problem), form=form.raw,
                                     status_code=400)
        return redirect_to(request, "coordinate:site", site_id=site_id)

    async def _site_page(self, request: Request, account: AccountView, site: dict[str, Any], *,
                         errors: dict[str, str] | None = None, forms: dict[str, Any] | None = None,
                         like: dict[str, Any] | None = None, status_code: int = 200) -> Template:
        """``like``: a code to replace (one made before codes were kept): the new code's form starts from it."""
        forms = forms or {}
        units, groups, partners = await services.site_counts(site["id"])
        invites = await services.invites_of(site["id"])
        invite_form = forms.get("invite") or (
            blank(InviteForm, kind=like["kind"], unit=like["unit"], group=like["course_group"], label=like["label"])
            if like else blank(InviteForm, kind="patient"))
        return page(
            request, "workspace/coordinate/site.html", status_code=status_code, account=account, site=site,
            units=units, groups=groups, partners=partners, invites=invites, courses=_courses(),
            municipalities=municipalities(),
            errors=errors or {}, replacing=like is not None,
            site_form=forms.get("site") or blank(SiteForm, name=site["name"], kind=site["kind"],
                                                 municipality=site["municipality_code"],
                                                 checkin_every=site["checkin_every_days"],
                                                 ward_phone=site["ward_phone"] or "",
                                                 clinic_phone=site["clinic_phone"] or ""),
            unit_form=forms.get("unit") or blank(NameForm),
            group_form=forms.get("group") or blank(GroupForm, course=next(iter(_courses()), "")),
            invite_form=invite_form,
        )

    @get("/sites/{site_id:int}", name="coordinate:site")
    async def site_page(self, request: Request, session: SignedIn, site: Row,
                        like: FromQuery[int | None] = None) -> Template:
        replacing = await services.invite_like(site["id"], like) if like is not None else None
        return await self._site_page(request, session.account, site, like=replacing)

    @post("/sites/{site_id:int}", name="coordinate:site_update", status_code=303, dependencies={"form": SITE_FORM})
    async def update_site(self, request: Request, session: SignedIn, site: Row,
                          form: FormOf[SiteForm]) -> Template | Redirect:
        try:
            await services.update_site(session.account.id, site, valid(form))
        except Refused as problem:
            return await self._site_page(request, session.account, site, errors={"site": str(problem)},
                                         forms={"site": form.raw}, status_code=400)
        return redirect_to(request, "coordinate:site", query="?saved=1", site_id=site["id"])

    @post("/sites/{site_id:int}/partners", name="coordinate:site_partners", status_code=303,
          dependencies={"form": PARTNERS_FORM})
    async def site_partners(self, request: Request, session: SignedIn, site: Row,
                            form: FormOf[PartnersForm]) -> Template | Redirect:
        """Whether the site's patients may invite a partner: the clinic's safety decision (README)."""
        try:
            chosen = valid(form)
        except Refused as problem:
            return await self._site_page(request, session.account, site, errors={"partners": str(problem)},
                                         status_code=400)
        await services.set_partners(session.account.id, site, chosen.partners == "on")
        return redirect_to(request, "coordinate:site", query="?saved=1", fragment="#partners", site_id=site["id"])

    # --- units ---

    @post("/sites/{site_id:int}/units", name="coordinate:unit_create", status_code=303,
          dependencies={"form": NAME_FORM})
    async def create_unit(self, request: Request, session: SignedIn, site: Row,
                          form: FormOf[NameForm]) -> Template | Redirect:
        try:
            await services.create_unit(session.account.id, site["id"], valid(form).name)
        except Refused as problem:
            return await self._site_page(request, session.account, site, errors={"unit": str(problem)},
                                         forms={"unit": form.raw}, status_code=400)
        return redirect_to(request, "coordinate:site", fragment="#units", site_id=site["id"])

    def _unit_page(self, request: Request, account: AccountView, unit: dict[str, Any], site: dict[str, Any], *,
                   form: dict[str, Any] | None = None, error: str | None = None, status_code: int = 200) -> Template:
        return page(request, "workspace/coordinate/unit.html", status_code=status_code, account=account,
                    unit=unit, site=site, form=form or blank(NameForm, name=unit["name"]), error=error,
                    sink_pause=_sink_pause())

    @get("/units/{unit_id:int}/poster", name="coordinate:unit_poster")
    async def unit_poster(self, request: Request, session: SignedIn, unit: Row, lang: FromQuery[str] = "") -> Template:
        """The hand-washing pause as an A4 poster for the unit's sinks: its steps in large type, in the
        language chosen for the poster (the page's own by default)."""
        exercise = _sink_pause()
        if exercise is None:
            raise NotFoundException()
        poster_lang = lang if lang in ("da", "en") else request.state.language
        return page(request, "workspace/coordinate/poster.html", account=session.account, unit=unit,
                    site=await services.get_site(unit["site"]), exercise=exercise, poster_lang=poster_lang)

    @get("/units/{unit_id:int}", name="coordinate:unit")
    async def unit_page(self, request: Request, session: SignedIn, unit: Row) -> Template:
        return self._unit_page(request, session.account, unit, await services.get_site(unit["site"]))

    @post("/units/{unit_id:int}", name="coordinate:unit_update", status_code=303, dependencies={"form": NAME_FORM})
    async def update_unit(self, request: Request, session: SignedIn, unit: Row,
                          form: FormOf[NameForm]) -> Template | Redirect:
        try:
            await services.update_unit(session.account.id, unit, valid(form).name)
        except Refused as problem:
            return self._unit_page(request, session.account, unit, await services.get_site(unit["site"]),
                                   form=form.raw, error=str(problem), status_code=400)
        return redirect_to(request, "coordinate:site", fragment="#units", site_id=unit["site"])

    # --- course groups ---

    @post("/sites/{site_id:int}/groups", name="coordinate:group_create", status_code=303,
          dependencies={"form": GROUP_FORM})
    async def create_group(self, request: Request, session: SignedIn, site: Row,
                           form: FormOf[GroupForm]) -> Template | Redirect:
        try:
            await services.create_group(session.account.id, site["id"], valid(form))
        except Refused as problem:
            return await self._site_page(request, session.account, site, errors={"group": str(problem)},
                                         forms={"group": form.raw}, status_code=400)
        return redirect_to(request, "coordinate:site", fragment="#groups", site_id=site["id"])

    def _group_page(self, request: Request, account: AccountView, group: dict[str, Any], site: dict[str, Any], *,
                    form: dict[str, Any] | None = None, error: str | None = None, status_code: int = 200) -> Template:
        form = form or blank(GroupForm, name=group["name"], course=group["course_slug"],
                             starts_on=group["starts_on"].isoformat())
        return page(request, "workspace/coordinate/group.html", status_code=status_code, account=account,
                    group=group, site=site, courses=_courses(), form=form, error=error)

    @get("/groups/{group_id:int}", name="coordinate:group")
    async def group_page(self, request: Request, session: SignedIn, group: Row) -> Template:
        return self._group_page(request, session.account, group, await services.get_site(group["site"]))

    @post("/groups/{group_id:int}", name="coordinate:group_update", status_code=303,
          dependencies={"form": GROUP_FORM})
    async def update_group(self, request: Request, session: SignedIn, group: Row,
                           form: FormOf[GroupForm]) -> Template | Redirect:
        try:
            await services.update_group(session.account.id, group, valid(form))
        except Refused as problem:
            return self._group_page(request, session.account, group, await services.get_site(group["site"]),
                                    form=form.raw, error=str(problem), status_code=400)
        return redirect_to(request, "coordinate:site", fragment="#groups", site_id=group["site"])

    # --- invite codes ---

    @post("/sites/{site_id:int}/codes", name="coordinate:invite_create", status_code=200,
          dependencies={"form": INVITE_FORM})
    async def create_invite(self, request: Request, session: SignedIn, site: Row,
                            form: FormOf[InviteForm]) -> Template:
        try:
            invite = await services.create_site_invite(session.account.id, site["id"], valid(form))
        except Refused as problem:
            return await self._site_page(request, session.account, site, errors={"invite": str(problem)},
                                         forms={"invite": form.raw}, status_code=400)
        # The code is shown here, to the one who made it, and later only on its sheet (to her site's coordinators).
        return page(request, "workspace/coordinate/invite_created.html", account=session.account, site=site,
                    invite=invite, link=services.invite_link(invite.kind, invite.code),
                    typed=services.format_typed(invite.typed) if invite.typed else None,
                    join_address=services.join_address())

    @post("/sites/{site_id:int}/codes/{invite_id:int}/revoke", name="coordinate:invite_revoke", status_code=303)
    async def revoke_invite(self, request: Request, session: SignedIn, site: Row,
                            invite_id: FromPath[int]) -> Redirect:
        await services.revoke_invite(session.account.id, site["id"], invite_id)
        return redirect_to(request, "coordinate:site", fragment="#codes", site_id=site["id"])

    @get("/sites/{site_id:int}/codes/{invite_id:int}/sheet", name="coordinate:invite_sheet")
    async def sheet(self, request: Request, session: SignedIn, site: Row, invite_id: FromPath[int]) -> Template:
        """The printable sheet of one of her site's codes, at any time while the code is in use (``site``: only
        within her reach, else 404; an invite of another site: 404 too)."""
        try:
            sheet = await services.open_sheet(site["id"], invite_id, actor=session.account.id)
        except services.SheetGone as problem:
            reason = (problem.status.replace(" ", "_") if isinstance(problem, services.CodeNotInUse)
                      else "not_kept")
            return page(request, "workspace/coordinate/sheet_problem.html", status_code=status_of(problem),
                        account=session.account, reason=reason, problem=problem)
        return page(request, "workspace/coordinate/sheet.html", account=session.account, sheet=sheet,
                    qr_svg=_qr_svg(sheet.link), join_address=services.join_address(),
                    printed_on=datetime.now(UTC))
