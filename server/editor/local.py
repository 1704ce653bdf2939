"""A coordinator's local offers: the support resources of the municipalities where her sites lie.

Her area is the municipalities of the sites she is linked to (an admin's: every municipality). Inside it she
drafts and edits resources whose ``serves`` names only municipalities of her area, with the editors' drafts,
versions and history; she never publishes (an editor does, from the editor), and she never reaches a
national or regional resource, another area's resource, an exercise or a course. A resource counts as hers
only if both its draft and its published version (where they exist) lie wholly inside her area: a resource
that also serves another municipality belongs to that area too, so it stays with the editors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.accounts.services import AccountView, sites_of
from server.content.schemas import upgrade_resource
from server.content.tables import ContentItem, ContentVersion
from server.editor.tables import ContentDraft
from server.lib.errors import Refused
from server.lib.i18n import _
from server.participants.municipalities import municipalities
from server.participants.tables import Site
from server.settings import LANGUAGES

Area = frozenset[str] | None  # municipality codes; None: every municipality (an admin)


async def area_of(account: AccountView) -> Area:
    """The municipalities of her linked sites (sites without one add nothing)."""
    if "admin" in account.roles:
        return None
    linked = await sites_of(account.id)
    if not linked:
        return frozenset()
    rows = await Site.select(Site.municipality_code).where(Site.id.is_in(list(linked)))
    return frozenset(r["municipality_code"] for r in rows if r["municipality_code"])


def places(data: dict[str, Any] | None) -> tuple[str, ...] | None:
    """The municipalities a resource document serves, or None if it serves the country or regions (or
    nothing readable): only a purely municipal resource can be a local offer."""
    serves = (data or {}).get("serves")
    if not isinstance(serves, dict) or serves.get("country") or serves.get("regions"):
        return None
    codes = serves.get("municipalities")
    if not isinstance(codes, list) or not codes:
        return None
    return tuple(str(code) for code in codes)


def inside(data: dict[str, Any] | None, area: Area) -> bool:
    codes = places(data)
    return codes is not None and (area is None or all(code in area for code in codes))


def check_inside(data: dict[str, Any], area: Area) -> None:
    """Refuses a draft she may not keep: a local offer serves municipalities of her area only."""
    if not inside(data, area):
        raise Refused(_("A local offer can only serve the municipalities where your sites are. Choose one or more "
                        "of them."))


def first_draft(area: Area) -> dict[str, Any]:
    """A new local offer: for the municipalities of her area (she may narrow it), to be checked."""
    blank = {lang: "" for lang in LANGUAGES}
    codes = sorted(area) if area else []
    return {"kind": "family", "audience": ["patient"], "serves": {"municipalities": codes}, "order": 100,
            "name": dict(blank), "description": dict(blank), "hours": dict(blank), "phone": None,
            "site_phone": None, "url": None, "verify": True}


async def published_data(slug: str) -> dict[str, Any] | None:
    item = await ContentItem.select(ContentItem.kind, ContentItem.published_version).where(
        ContentItem.slug == slug).first()
    if item is None or item["published_version"] is None:
        return None
    row = await ContentVersion.select(ContentVersion.data).where(
        ContentVersion.id == item["published_version"]).output(load_json=True).first()
    return upgrade_resource(row["data"]) if row else None


async def is_hers(slug: str, area: Area) -> bool:
    """True only for a resource whose draft and published version (those that exist) lie in her area."""
    item = await ContentItem.select(ContentItem.kind).where(ContentItem.slug == slug).first()
    draft = await ContentDraft.select(ContentDraft.kind, ContentDraft.data).where(
        ContentDraft.slug == slug).output(load_json=True).first()
    if item is None and draft is None:
        return False
    if (item and item["kind"] != "resource") or (draft and draft["kind"] != "resource"):
        return False
    published = await published_data(slug)
    found = [data for data in (published, upgrade_resource(draft["data"]) if draft else None) if data is not None]
    return bool(found) and all(inside(data, area) for data in found)


@dataclass(frozen=True, slots=True)
class Offer:
    slug: str
    name: dict[str, str]
    places: tuple[str, ...]  # municipality names
    published: bool
    draft: bool
    updated_at: datetime | None


async def offers(area: Area) -> list[Offer]:
    """Her area's local offers, published or only drafted, by name."""
    items = await ContentItem.select(ContentItem.slug, ContentItem.published_version).where(
        ContentItem.kind == "resource")
    versions = {r["id"]: upgrade_resource(r["data"]) for r in await ContentVersion.select(
        ContentVersion.id, ContentVersion.data).where(
        ContentVersion.id.is_in([i["published_version"] for i in items if i["published_version"]] or [0])
    ).output(load_json=True)}
    published = {i["slug"]: versions.get(i["published_version"]) for i in items}
    drafts = {r["slug"]: r for r in await ContentDraft.select(
        ContentDraft.slug, ContentDraft.data, ContentDraft.updated_at).where(
        ContentDraft.kind == "resource").output(load_json=True)}
    names = municipalities()
    found = []
    for slug in sorted(set(published) | set(drafts)):
        draft = upgrade_resource(drafts[slug]["data"]) if slug in drafts else None
        shown = [data for data in (published.get(slug), draft) if data is not None]
        if not shown or not all(inside(data, area) for data in shown):
            continue
        current = draft or shown[0]
        found.append(Offer(slug, current.get("name") or {}, tuple(
            names[c].name if c in names else c for c in places(current) or ()), published.get(slug) is not None,
            draft is not None, drafts[slug]["updated_at"] if slug in drafts else None))
    return sorted(found, key=lambda o: (o.name.get("da") or o.slug).lower())

