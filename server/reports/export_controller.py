"""The researchers' exports under /workspace/reports/exports: a page to choose the period and sites, and
each file as a streamed, pseudonymised CSV download.

Only researchers (and admins) come in (``guards``). Every download is written
to the audit log before its first byte is sent; nothing here is cached anywhere.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader
from litestar.response import Stream, Template

from server.accounts.guards import SESSION, SignedIn, requires_role
from server.accounts.services import AccountView, audit
from server.lib.i18n import _
from server.lib.localtime import today
from server.lib.templates import page
from server.reports import exports


class ExportController(Controller):
    path = "/workspace/reports/exports"
    cache_control = CacheControlHeader(no_store=True)
    guards = [requires_role("researcher")]
    dependencies = {"session": SESSION}

    async def _page(self, request: Request, account: AccountView, *, error: str | None = None,
                    status_code: int = 200) -> Template:
        start, end = exports.default_period(today())
        params = request.query_params
        form: dict[str, Any] = {"from": params.get("from", start.isoformat())[:40],
                                "to": params.get("to", end.isoformat())[:40],
                                "sites": set(params.getall("site", []))} if error else {
            "from": start.isoformat(), "to": end.isoformat(), "sites": set()}
        return page(request, "reports/exports.html", status_code=status_code, account=account, error=error,
                    form=form, sites=await exports.site_choices(), files=list(exports.FILES.values()))

    @get("/", name="reports:exports")
    async def index(self, request: Request, session: SignedIn) -> Template:
        return await self._page(request, session.account)

    @get("/download", name="reports:export_file")
    async def download(self, request: Request, session: SignedIn) -> Template | Stream:
        params = request.query_params
        file = exports.FILES.get(params.get("file") or "")
        try:
            if file is None:
                raise exports.ExportError(_("Please choose one of the files below."))
            wanted = await exports.parse_request(params.get("from"), params.get("to"), params.getall("site", []))
        except exports.ExportError as problem:
            return await self._page(request, session.account, error=str(problem), status_code=400)
        await audit(session.account.id, "export.downloaded", file.name, period=wanted.period, sites=list(wanted.sites))
        # no-store comes from the controller's cache_control (once: a second header would repeat it).
        return Stream(exports.stream(file, wanted), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{exports.download_name(file, wanted)}"'})
