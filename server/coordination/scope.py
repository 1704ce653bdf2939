"""A coordinator's reach, decided at the door: the sites she is linked to (an admin's: every site).

Every coordination handler receives its site, unit or course group through these dependencies, which
answer 404 for anything outside her reach, exactly as for something that does not exist, so a page
cannot tell her what other sites hold, and no action can touch them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from server.accounts.guards import SignedIn
from server.accounts.services import sites_of
from server.coordination import services
from server.db import row_id


@dataclass(frozen=True, slots=True)
class Reach:
    sites: frozenset[int] | None  # None: every site (an admin)

    def covers(self, site_id: int | None) -> bool:
        return site_id is not None and (self.sites is None or site_id in self.sites)


ReachOf = NamedDependency[Reach]
Row = NamedDependency[dict[str, Any]]  # a handler's ``site: Row`` (also ``unit``, ``group``)


async def _reach(session: SignedIn) -> Reach:
    if "admin" in session.account.roles:
        return Reach(None)
    return Reach(frozenset(await sites_of(session.account.id)))


def _within(row: dict[str, Any] | None, site_id: int | None, reach: Reach) -> dict[str, Any]:
    if row is None or not reach.covers(site_id):
        raise NotFoundException
    return row


async def _site(site_id: FromPath[int], reach: ReachOf) -> dict[str, Any]:
    return _within(await services.get_site(site_id) if row_id(site_id) else None, site_id, reach)


async def _unit(unit_id: FromPath[int], reach: ReachOf) -> dict[str, Any]:
    unit = await services.get_unit(unit_id) if row_id(unit_id) else None
    return _within(unit, unit and unit["site"], reach)


async def _group(group_id: FromPath[int], reach: ReachOf) -> dict[str, Any]:
    group = await services.get_group(group_id) if row_id(group_id) else None
    return _within(group, group and group["site"], reach)


DEPENDENCIES = {"reach": Provide(_reach), "site": Provide(_site), "unit": Provide(_unit), "group": Provide(_group)}
