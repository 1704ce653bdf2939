"""A coordinator's local offers under /workspace/coordinate/offers: her area's support resources, drafted in the
editor's own resource form, saved as the editors' drafts, with their history; an editor publishes them.

The door: coordinators (and admins) only (``guards``); her area comes from her linked sites (``local.area_of``).
Any resource outside her area (national, regional, another area's) and anything that is not a resource answers
404, as if it did not exist; a save that would carry an offer outside her area is refused and stores nothing;
there is no publish here, and a form that asks to publish is refused (403).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts.guards import SESSION, SignedIn, requires_role
from server.accounts.services import AccountView
from server.content.schemas import SLUG_RE
from server.editor import local, services
from server.editor.controllers import _edit_page
from server.editor.forms import read_resource_form
from server.editor.messages import describe
from server.lib.errors import Refused
from server.lib.i18n import _
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.municipalities import municipalities

AreaOf = NamedDependency[local.Area]


async def _area(session: SignedIn) -> local.Area:
    return await local.area_of(session.account)


def _choices(area: local.Area) -> list[tuple[str, str]]:
    """The municipalities she may choose for an offer, by name."""
    return [(m.code, m.name) for m in municipalities().values() if area is None or m.code in area]


async def _hers(slug: str, area: local.Area) -> services.Draft:
    if not SLUG_RE.match(slug) or not await local.is_hers(slug, area):
        raise NotFoundException
    return await services.get_draft(slug)


def _read(form: Any) -> tuple[dict[str, Any], str]:
    """The editor's resource form, with her municipalities as checkboxes (``local_municipality``) instead of
    the editor's choice of country, regions or typed codes."""
    data, action = read_resource_form(form)
    data["serves"] = {"municipalities": [str(c)[:4] for c in form.getall("local_municipality", [])][:100]}
    return data, action


class LocalOffersController(Controller):
    path = "/workspace/coordinate/offers"
    cache_control = CacheControlHeader(no_store=True)
    guards = [requires_role("coordinator")]
    dependencies = {"session": SESSION, "area": Provide(_area)}

    async def _list(self, request: Request, account: AccountView, area: local.Area, *, error: str | None = None,
                    status_code: int = 200) -> Template:
        return page(request, "editor/local_offers.html", status_code=status_code, account=account,
                    offers=await local.offers(area), places=_choices(area), every=area is None, error=error)

    def _edit(self, request: Request, account: AccountView, draft: services.Draft, area: local.Area,
              **given: Any) -> Template:
        return _edit_page(request, account, draft, local=True, local_places=_choices(area), **given)

    @get("/", name="local:list")
    async def index(self, request: Request, session: SignedIn, area: AreaOf) -> Template:
        return await self._list(request, session.account, area)

    @post("/new", name="local:new", status_code=303)
    async def new(self, request: Request, session: SignedIn, area: AreaOf) -> Redirect | Template:
        if area is not None and not area:
            return await self._list(request, session.account, area, status_code=400, error=_(
                "None of your sites has a municipality yet. Set it on the site's page first."))
        slug = str((await request.form()).get("slug") or "").strip().lower()[:80]
        try:
            await services.create_draft(slug, session.account.id, "resource", data=local.first_draft(area))
        except (ValueError, FileExistsError) as exc:
            message = (_("That name is taken. Please choose another.") if isinstance(exc, FileExistsError) else
                       _("Use 3 to 60 lowercase letters, digits and dashes, e.g. calm-evening-breath."))
            return await self._list(request, session.account, area, status_code=400, error=message)
        return redirect_to(request, "local:edit", slug=slug)

    @get("/{slug:str}", name="local:edit")
    async def edit(self, request: Request, session: SignedIn, area: AreaOf, slug: FromPath[str],
                   saved: FromQuery[str] = "") -> Template:
        return self._edit(request, session.account, await _hers(slug, area), area, saved=bool(saved))

    @post("/{slug:str}", name="local:save", status_code=200)
    async def save(self, request: Request, session: SignedIn, area: AreaOf,
                   slug: FromPath[str]) -> Response | Template | Redirect:
        """Save (also autosave, as JSON); publishing is the editors' (refused here, nothing stored)."""
        autosave = request.headers.get("x-autosave") == "1"
        current = await _hers(slug, area)
        form = await request.form()
        data, action = _read(form)
        if action == "publish":
            raise PermissionDeniedException
        revision = int(str(form.get("revision"))) if str(form.get("revision") or "").isdigit() else -1
        try:
            local.check_inside(data, area)
        except Refused as refused:
            if autosave:
                return Response({"error": str(refused)}, status_code=400)
            return self._edit(request, session.account, current, area, data=data, status_code=400,
                              local_error=str(refused))
        try:
            new_revision = await services.save_draft(slug, data, revision, session.account.id)
        except services.Stale as stale:
            if autosave:
                return Response({"error": _("Someone else has saved this draft. Reload to see their change."),
                                 "revision": stale.current.revision}, status_code=409)
            return self._edit(request, session.account, stale.current, area, data=data, status_code=409,
                              stale=stale.current)
        if autosave:
            return Response({"revision": new_revision, "missing": services.missing_translations(data),
                             "problems": [describe(p) for p in services.validate(slug, data, "resource")[1]]})
        return redirect_to(request, "local:edit", query="?saved=1", slug=slug)

    @get("/{slug:str}/history", name="local:history")
    async def history(self, request: Request, session: SignedIn, area: AreaOf, slug: FromPath[str]) -> Template:
        """Its published versions, read only: publishing one again is the editors'."""
        await _hers(slug, area)
        try:
            versions = await services.history(slug)
        except services.NotFound:
            versions = []  # a draft that was never published has no versions yet
        return page(request, "editor/history.html", account=session.account, slug=slug, versions=versions,
                    local=True)
