"""The coordinator's pages under /workspace/coordinate: sites, units, course groups and invite codes.

Every handler asks ``require(request, "coordinator")`` first (admins pass too). Every page is no-store:
the page right after making an invite shows its code once, and nothing may keep a copy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import segno
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts.guards import require
from server.content.catalog import get_catalog
from server.coordination import services
from server.lib.templates import page
from server.participants.municipalities import municipalities

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
ROLE = "coordinator"
Text = Annotated[str, msgspec.Meta(max_length=400)]


class SiteForm(msgspec.Struct, frozen=True):
    name: Text = ""
    kind: Text = ""
    municipality: Text = ""
    checkin_every: Text = ""


class NameForm(msgspec.Struct, frozen=True):
    name: Text = ""


class GroupForm(msgspec.Struct, frozen=True):
    name: Text = ""
    course: Text = ""
    starts_on: Text = ""


class InviteForm(msgspec.Struct, frozen=True):
    kind: Text = ""
    unit: Text = ""
    group: Text = ""
    label: Text = ""
    days: Text = ""
    max_uses: Text = ""
    format: Text = "link"


def _qr_svg(link: str) -> str:
    return segno.make(link, error="q").svg_inline(scale=8, border=2, dark="#000", light="#fff", omitsize=True,
                                                   title=link)


def _courses() -> dict[str, Any]:
    return get_catalog().courses


async def _site_or_404(site_id: int) -> dict[str, Any]:
    site = await services.get_site(site_id)
    if site is None:
        raise NotFoundException
    return site


class CoordinationController(Controller):
    path = "/workspace/coordinate"
    cache_control = CacheControlHeader(no_store=True)

    # --- sites ---

    async def _index(self, request: Request, account, *, error: str | None = None, form: Any = None,
                     status_code: int = 200) -> Template:
        return page(request, "workspace/coordinate/index.html", status_code=status_code, account=account,
                    sites=await services.list_sites(), municipalities=municipalities(), error=error,
                    form=form or SiteForm(kind="clinic", checkin_every=str(services.DEFAULT_CHECKIN_EVERY)))

    @get("/", name="coordinate:index")
    async def index(self, request: Request) -> Template:
        session = await require(request, ROLE)
        return await self._index(request, session.account)

    @post("/sites", name="coordinate:site_create", status_code=303)
    async def create_site(self, request: Request, data: Annotated[SiteForm, Form]) -> Template | Redirect:
        session = await require(request, ROLE)
        try:
            site_id = await services.create_site(session.account.id, data.name, data.kind, data.municipality,
                                                 data.checkin_every)
        except services.CoordinationError as problem:
            return await self._index(request, session.account, error=str(problem), form=data, status_code=400)
        return Redirect(f"/workspace/coordinate/sites/{site_id}", status_code=303)

    async def _site_page(self, request: Request, account, site: dict[str, Any], *, errors: dict[str, str] | None = None,
                         forms: dict[str, Any] | None = None, status_code: int = 200) -> Template:
        forms = forms or {}
        return page(
            request, "workspace/coordinate/site.html", status_code=status_code, account=account, site=site,
            units=await services.units_of(site["id"]), groups=await services.groups_of(site["id"]),
            invites=await services.invites_of(site["id"]), courses=_courses(), municipalities=municipalities(),
            errors=errors or {},
            site_form=forms.get("site") or SiteForm(name=site["name"], kind=site["kind"],
                                                    municipality=site["municipality_code"] or "",
                                                    checkin_every=str(site["checkin_every_days"])),
            unit_form=forms.get("unit") or NameForm(),
            group_form=forms.get("group") or GroupForm(course=next(iter(_courses()), "")),
            invite_form=forms.get("invite") or InviteForm(kind="patient"),
        )

    @get("/sites/{site_id:int}", name="coordinate:site")
    async def site(self, request: Request, site_id: FromPath[int]) -> Template:
        session = await require(request, ROLE)
        return await self._site_page(request, session.account, await _site_or_404(site_id))

    @post("/sites/{site_id:int}", name="coordinate:site_update", status_code=303)
    async def update_site(self, request: Request, site_id: FromPath[int],
                          data: Annotated[SiteForm, Form]) -> Template | Redirect:
        session = await require(request, ROLE)
        site = await _site_or_404(site_id)
        try:
            await services.update_site(session.account.id, site_id, data.name, data.kind, data.municipality,
                                       data.checkin_every)
        except services.CoordinationError as problem:
            return await self._site_page(request, session.account, site, errors={"site": str(problem)},
                                         forms={"site": data}, status_code=400)
        return Redirect(f"/workspace/coordinate/sites/{site_id}?saved=1", status_code=303)

    # --- units ---

    @post("/sites/{site_id:int}/units", name="coordinate:unit_create", status_code=303)
    async def create_unit(self, request: Request, site_id: FromPath[int],
                          data: Annotated[NameForm, Form]) -> Template | Redirect:
        session = await require(request, ROLE)
        site = await _site_or_404(site_id)
        try:
            await services.create_unit(session.account.id, site_id, data.name)
        except services.CoordinationError as problem:
            return await self._site_page(request, session.account, site, errors={"unit": str(problem)},
                                         forms={"unit": data}, status_code=400)
        return Redirect(f"/workspace/coordinate/sites/{site_id}#units", status_code=303)

    @get("/units/{unit_id:int}", name="coordinate:unit")
    async def unit(self, request: Request, unit_id: FromPath[int]) -> Template:
        session = await require(request, ROLE)
        unit = await services.get_unit(unit_id)
        if unit is None:
            raise NotFoundException
        return page(request, "workspace/coordinate/unit.html", account=session.account, unit=unit,
                    site=await _site_or_404(unit["site"]), form=NameForm(name=unit["name"]), error=None)

    @post("/units/{unit_id:int}", name="coordinate:unit_update", status_code=303)
    async def update_unit(self, request: Request, unit_id: FromPath[int],
                          data: Annotated[NameForm, Form]) -> Template | Redirect:
        session = await require(request, ROLE)
        unit = await services.get_unit(unit_id)
        if unit is None:
            raise NotFoundException
        try:
            await services.update_unit(session.account.id, unit_id, data.name)
        except services.CoordinationError as problem:
            return page(request, "workspace/coordinate/unit.html", status_code=400, account=session.account,
                        unit=unit, site=await _site_or_404(unit["site"]), form=data, error=str(problem))
        return Redirect(f"/workspace/coordinate/sites/{unit['site']}#units", status_code=303)

    # --- course groups ---

    @post("/sites/{site_id:int}/groups", name="coordinate:group_create", status_code=303)
    async def create_group(self, request: Request, site_id: FromPath[int],
                           data: Annotated[GroupForm, Form]) -> Template | Redirect:
        session = await require(request, ROLE)
        site = await _site_or_404(site_id)
        try:
            await services.create_group(session.account.id, site_id, data.name, data.course, data.starts_on)
        except services.CoordinationError as problem:
            return await self._site_page(request, session.account, site, errors={"group": str(problem)},
                                         forms={"group": data}, status_code=400)
        return Redirect(f"/workspace/coordinate/sites/{site_id}#groups", status_code=303)

    @get("/groups/{group_id:int}", name="coordinate:group")
    async def group(self, request: Request, group_id: FromPath[int]) -> Template:
        session = await require(request, ROLE)
        group = await services.get_group(group_id)
        if group is None:
            raise NotFoundException
        form = GroupForm(name=group["name"], course=group["course_slug"], starts_on=group["starts_on"].isoformat())
        return page(request, "workspace/coordinate/group.html", account=session.account, group=group,
                    site=await _site_or_404(group["site"]), courses=_courses(), form=form, error=None)

    @post("/groups/{group_id:int}", name="coordinate:group_update", status_code=303)
    async def update_group(self, request: Request, group_id: FromPath[int],
                           data: Annotated[GroupForm, Form]) -> Template | Redirect:
        session = await require(request, ROLE)
        group = await services.get_group(group_id)
        if group is None:
            raise NotFoundException
        try:
            await services.update_group(session.account.id, group_id, data.name, data.course, data.starts_on)
        except services.CoordinationError as problem:
            return page(request, "workspace/coordinate/group.html", status_code=400, account=session.account,
                        group=group, site=await _site_or_404(group["site"]), courses=_courses(), form=data,
                        error=str(problem))
        return Redirect(f"/workspace/coordinate/sites/{group['site']}#groups", status_code=303)

    # --- invite codes ---

    @post("/sites/{site_id:int}/codes", name="coordinate:invite_create", status_code=200)
    async def create_invite(self, request: Request, site_id: FromPath[int],
                            data: Annotated[InviteForm, Form]) -> Template:
        session = await require(request, ROLE)
        site = await _site_or_404(site_id)
        try:
            invite = await services.create_site_invite(
                session.account.id, site_id, kind=data.kind, unit=data.unit, group=data.group, label=data.label,
                expiry_days=data.days, max_uses=data.max_uses, typed=data.format == "typed")
        except services.CoordinationError as problem:
            return await self._site_page(request, session.account, site, errors={"invite": str(problem)},
                                         forms={"invite": data}, status_code=400)
        # The only moment the code exists outside the phone that uses it: shown once, never stored.
        return page(request, "workspace/coordinate/invite_created.html", account=session.account, site=site,
                    invite=invite, link=services.invite_link(invite.kind, invite.code),
                    typed=services.format_typed(invite.typed) if invite.typed else None,
                    join_address=services.join_address(), sheet_token=services.sheet_token(invite),
                    valid_minutes=services.SHEET_VALID_SECONDS // 60)

    @post("/sites/{site_id:int}/codes/{invite_id:int}/revoke", name="coordinate:invite_revoke", status_code=303)
    async def revoke_invite(self, request: Request, site_id: FromPath[int], invite_id: FromPath[int]) -> Redirect:
        session = await require(request, ROLE)
        await _site_or_404(site_id)
        await services.revoke_invite(session.account.id, site_id, invite_id)
        return Redirect(f"/workspace/coordinate/sites/{site_id}#codes", status_code=303)

    @get("/codes/sheet", name="coordinate:invite_sheet")
    async def sheet(self, request: Request, token: FromQuery[str] = "") -> Template:
        session = await require(request, ROLE)
        try:
            sheet = await services.open_sheet(token[:400])
        except services.SheetProblem as problem:
            return page(request, "workspace/coordinate/sheet_problem.html", status_code=problem.status,
                        account=session.account, expired=problem.status == 410)
        return page(request, "workspace/coordinate/sheet.html", account=session.account, sheet=sheet,
                    qr_svg=_qr_svg(sheet.link), join_address=services.join_address(),
                    printed_on=datetime.now(UTC))
