"""Who sees which figures: researchers (and admins) every site, a coordinator the sites she answers for."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request

from server.accounts.guards import Forbidden, require
from server.accounts.services import AccountView, SessionView, sites_of


@dataclass(frozen=True, slots=True)
class Reader:
    session: SessionView
    scope: tuple[int, ...] | None  # site ids; None: all sites

    @property
    def account(self) -> AccountView:
        return self.session.account


async def reader(request: Request) -> Reader:
    session = await require(request)
    account = session.account
    if account.can("researcher"):
        return Reader(session, None)
    if account.can("coordinator"):
        return Reader(session, await sites_of(account.id))
    raise Forbidden

