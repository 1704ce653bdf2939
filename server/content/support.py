"""Which support resources a person sees, where she is: the rule behind the patients' and the staff's support pages.

A resource serves the whole country, some regions or some municipalities (``Resource.serves``). Her place is
the municipality she gave, else her site's; its region follows from it. A regional line (1813 serves only
Region Hovedstaden) is shown only in its region; when the page cannot tell where she is (no municipality
given, a site without one, a visitor with no code) every region's line is shown, each named by its region,
so no one is left without the number that applies to her. Within a kind, local help comes first, then
regional, then national (issue 18 builds municipal offers on this order).

Nothing is hidden for being unconfirmed: a ``verify: true`` resource not yet ``confirmed_on`` a date is shown
with a short "being checked" note, and emergency and crisis lines are shown whatever else is true.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.content.schemas import RESOURCE_KINDS, Resource
from server.participants.municipalities import region_of


@dataclass(frozen=True, slots=True)
class Place:
    municipality: str | None = None  # four-digit code
    region: str | None = None  # 1081–1085

    @property
    def known(self) -> bool:
        return self.region is not None


def place_of(municipality_code: str | None, site_municipality_code: str | None = None) -> Place:
    """Her municipality wins over her site's: help is where she lives, not where she is treated."""
    for code in (municipality_code, site_municipality_code):
        region = region_of(code)
        if region is not None:
            return Place(municipality=code, region=region)
    return Place()


def serves(resource: Resource, place: Place) -> bool:
    where = resource.serves
    if where.municipalities:
        return place.municipality in where.municipalities
    if where.regions:
        return not place.known or place.region in where.regions
    return True


@dataclass(frozen=True, slots=True)
class Section:
    kind: str
    resources: tuple[Resource, ...]


def sections(resources: tuple[Resource, ...] | list[Resource], audience: str, place: Place,
             lead: tuple[str, ...] = ("emergency",)) -> list[Section]:
    """Her resources, grouped by kind in the order of ``RESOURCE_KINDS`` after the kinds in ``lead`` (staff
    see their workplace's support right after the emergency number); empty kinds are left out. The catalog
    keeps resources sorted by kind, level (local first) and order already."""
    chosen: dict[str, list[Resource]] = {kind: [] for kind in (*lead, *RESOURCE_KINDS)}
    for resource in resources:
        if audience in resource.audience and serves(resource, place):
            chosen[resource.kind].append(resource)
    return [Section(kind, tuple(found)) for kind, found in chosen.items() if found]
