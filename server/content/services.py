"""Publishing content: importing validated documents as new immutable versions, and loading the catalog."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Max

from server import db
from server.content.catalog import Catalog, build_catalog, set_catalog
from server.content.loader import Document
from server.content.tables import ContentItem, ContentVersion
from server.lib import errors


class ContentConflict(errors.Conflict):
    """A document cannot be published as it stands (for example, its slug belongs to another kind)."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)  # new items
    updated: list[str] = field(default_factory=list)  # new version of an existing item
    unchanged: int = 0


async def import_documents(documents: list[Document], *, author: str = "import") -> ImportReport:
    """Publish every changed document, all in one transaction: either all of it or nothing."""
    report = ImportReport()
    now = datetime.now(UTC)
    async with db.transaction():
        existing = {
            row["slug"]: row
            for row in await ContentItem.select(ContentItem.id, ContentItem.slug, ContentItem.kind,
                                                ContentItem.published_version)
        }
        published_hashes = {
            row["id"]: row["source_hash"]
            for row in await ContentVersion.select(ContentVersion.id, ContentVersion.source_hash).where(
                ContentVersion.id.is_in([r["published_version"] for r in existing.values()
                                         if r["published_version"]] or [0]))
        }
        for doc in documents:
            row = existing.get(doc.slug)
            if row is not None and row["kind"] != doc.kind:
                raise ContentConflict(f"{doc.path}: slug: {doc.slug!r} is already published as a {row['kind']}")
            if row is not None and published_hashes.get(row["published_version"]) == doc.source_hash:
                report.unchanged += 1
                continue
            if row is None:
                item_id = (await ContentItem.insert(
                    ContentItem(kind=doc.kind, slug=doc.slug, created_at=now)
                ).returning(ContentItem.id))[0]["id"]
                number = 1
                report.created.append(doc.slug)
            else:
                item_id = row["id"]
                latest = await ContentVersion.select(Max(ContentVersion.number, alias="n")).where(
                    ContentVersion.item == item_id).first()
                number = (latest["n"] or 0) + 1
                report.updated.append(doc.slug)
            version_id = (await ContentVersion.insert(ContentVersion(
                item=item_id, number=number, data=json.dumps(doc.data, ensure_ascii=False),
                source_hash=doc.source_hash, created_at=now, published_at=now, created_by=author,
            )).returning(ContentVersion.id))[0]["id"]
            await ContentItem.update({ContentItem.published_version: version_id}).where(
                ContentItem.id == item_id)
    return report


async def content_revision() -> int:
    row = await ContentVersion.select(Max(ContentVersion.id, alias="rev")).first()
    return (row or {}).get("rev") or 0


async def load_catalog() -> Catalog:
    """Read every published document into a fresh in-memory catalog and make it current."""
    revision = await content_revision()
    items = await ContentItem.select(ContentItem.kind, ContentItem.published_version).where(
        ContentItem.published_version.is_not_null())
    kinds = {r["published_version"]: r["kind"] for r in items}
    published: list[tuple[int, int, str, dict[str, Any]]] = []
    if kinds:
        rows = await ContentVersion.select(ContentVersion.id, ContentVersion.number, ContentVersion.data).where(
            ContentVersion.id.is_in(list(kinds))).output(load_json=True)
        published = [(r["id"], r["number"], kinds[r["id"]], r["data"]) for r in rows]
    versions = await ContentVersion.select(ContentVersion.id, ContentVersion.item.slug, ContentVersion.item.kind).where(
        ContentVersion.item.kind.is_in(["exercise", "questionnaire"]))
    # Lessons are few and short: every published version is kept, so an answer is judged by what she read.
    lesson_rows = await ContentVersion.select(ContentVersion.id, ContentVersion.data).where(
        (ContentVersion.item.kind == "lesson") & ContentVersion.published_at.is_not_null()).output(load_json=True)
    catalog = build_catalog(revision, published,
                            {r["id"]: r["item.slug"] for r in versions if r["item.kind"] == "exercise"},
                            {r["id"]: r["item.slug"] for r in versions if r["item.kind"] == "questionnaire"},
                            {r["id"]: r["data"] for r in lesson_rows})
    set_catalog(catalog)
    return catalog
