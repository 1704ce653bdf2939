"""Who sees which figures: researchers (and admins) every site, a coordinator the sites she answers for."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency, Provide

from server.accounts.guards import SignedIn, requires_role
from server.accounts.services import AccountView, SessionView, sites_of

READERS = requires_role("researcher", "coordinator")  # the guard of every report page


@dataclass(frozen=True, slots=True)
class Reader:
    session: SessionView
    scope: tuple[int, ...] | None  # site ids; None: all sites

    @property
    def account(self) -> AccountView:
        return self.session.account


async def _reader(session: SignedIn) -> Reader:
    if session.account.can("researcher"):
        return Reader(session, None)
    return Reader(session, await sites_of(session.account.id))  # a coordinator, as READERS let in


READER = Provide(_reader)  # dependencies = {"session": SESSION, "who": READER}, behind READERS
ReaderOf = NamedDependency[Reader]  # a handler's ``who: ReaderOf``

