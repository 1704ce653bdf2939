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
from server.content.review import is_awaiting
from server.content.schemas import typed
from server.content.tables import ContentItem, ContentVersion
from server.lib import errors


class ContentConflict(errors.Conflict):
    """A document cannot be published as it stands (for example, its slug belongs to another kind)."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)  # new items
    updated: list[str] = field(default_factory=list)  # new version of an existing item
    unchanged: int = 0
    awaiting: list[str] = field(default_factory=list)  # of created/updated: stored, not published (review)


async def import_documents(documents: list[Document], *, author: str = "import") -> ImportReport:
    """Publish every changed document, all in one transaction: either all of it or nothing.

    A document marked ``review: awaiting`` is stored as a new version but not published: what participants
    see stays as it was. It is unchanged (nothing is added) when any version of the item already holds it:
    the workspace carries it on from there (published after review, a check confirmed; see
    ``server/content/review.py``), so importing the same folder again never adds or unpublishes anything."""
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
        seen: dict[int, set[str]] = {}  # item -> the hashes of all its versions
        if any(is_awaiting(doc.data) for doc in documents):
            for v in await ContentVersion.select(ContentVersion.item, ContentVersion.source_hash):
                seen.setdefault(v["item"], set()).add(v["source_hash"])
        for doc in documents:
            row = existing.get(doc.slug)
            awaiting = is_awaiting(doc.data)
            if row is not None and row["kind"] != doc.kind:
                raise ContentConflict(f"{doc.path}: slug: {doc.slug!r} is already published as a {row['kind']}")
            if row is not None and published_hashes.get(row["published_version"]) == doc.source_hash:
                report.unchanged += 1
                continue
            if row is not None and awaiting and doc.source_hash in seen.get(row["id"], ()):
                report.unchanged += 1
                continue
            if row is None:
                item_id = (await ContentItem.insert(
                    ContentItem(kind=doc.kind, slug=doc.slug, created_at=now)
                ).returning(ContentItem.id))[0]["id"]
                number = 1
                report.created.append(doc.slug)
                existing[doc.slug] = {"id": item_id, "slug": doc.slug, "kind": doc.kind, "published_version": None}
            else:
                item_id = row["id"]
                latest = await ContentVersion.select(Max(ContentVersion.number, alias="n")).where(
                    ContentVersion.item == item_id).first()
                number = (latest["n"] or 0) + 1
                report.updated.append(doc.slug)
            version_id = (await ContentVersion.insert(ContentVersion(
                item=item_id, number=number, data=json.dumps(doc.data, ensure_ascii=False),
                source_hash=doc.source_hash, created_at=now, published_at=None if awaiting else now,
                created_by=author,
            )).returning(ContentVersion.id))[0]["id"]
            if awaiting:
                report.awaiting.append(doc.slug)
                continue
            await ContentItem.update({ContentItem.published_version: version_id}).where(
                ContentItem.id == item_id)
    return report


async def publish_reviewed(slug: str, version_id: int, *, author: str) -> tuple[int, int]:
    """Publishes an awaiting version after review: its document without ``review`` becomes a new published
    version; the awaiting one stays in the history as it was (so a re-import of its file adds nothing).
    Returns (the awaiting version's number, the new version's id). Raises NotAwaiting when ``version_id`` is
    not the item's newest version still awaiting review (already published, or superseded meanwhile)."""
    async with db.transaction():
        item = await ContentItem.select(ContentItem.id, ContentItem.kind).where(ContentItem.slug == slug).first()
        if item is None:
            raise errors.NotFound(slug)
        pending = await pending_review(item["id"])
        if pending is None or pending["id"] != version_id:
            raise NotAwaiting(slug)
        data = {k: v for k, v in pending["data"].items() if k != "review"}
        content = typed(item["kind"], data)
        await import_documents([Document(kind=item["kind"], slug=slug, content=content, path=slug)],
                               author=author)
        published = await ContentItem.select(ContentItem.published_version).where(
            ContentItem.id == item["id"]).first()
    return pending["number"], published["published_version"]


class NotAwaiting(errors.Conflict):
    """The version asked for is no longer the one awaiting review (published already, or a newer one came)."""


async def pending_reviews(item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """item id -> its version awaiting review (id, number, data), for the items that have one: each item's
    newest version, if it was stored awaiting review and never published."""
    newest: dict[int, dict[str, Any]] = {}
    for row in await ContentVersion.select(ContentVersion.id, ContentVersion.item, ContentVersion.number,
                                           ContentVersion.published_at).where(
            ContentVersion.item.is_in(item_ids or [0])):
        if row["item"] not in newest or row["number"] > newest[row["item"]]["number"]:
            newest[row["item"]] = row
    unpublished = {r["id"]: item for item, r in newest.items() if r["published_at"] is None}
    if not unpublished:
        return {}
    found = {}
    for row in await ContentVersion.select(ContentVersion.id, ContentVersion.number, ContentVersion.data).where(
            ContentVersion.id.is_in(list(unpublished))).output(load_json=True):
        if is_awaiting(row["data"]):
            found[unpublished[row["id"]]] = row
    return found


async def pending_review(item_id: int) -> dict[str, Any] | None:
    """The item's newest version if it awaits review and was never published (id, number, data), else None."""
    row = await ContentVersion.select(ContentVersion.id, ContentVersion.number, ContentVersion.data,
                                      ContentVersion.published_at).where(
        ContentVersion.item == item_id).order_by(ContentVersion.number, ascending=False).output(
        load_json=True).first()
    if row is None or row["published_at"] is not None or not is_awaiting(row["data"]):
        return None
    return row


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
    # Only versions ever published: an event may name an older one, never one that awaited review unpublished.
    versions = await ContentVersion.select(ContentVersion.id, ContentVersion.item.slug, ContentVersion.item.kind).where(
        ContentVersion.item.kind.is_in(["exercise", "questionnaire"]) & ContentVersion.published_at.is_not_null())
    # Lessons are few and short: every published version is kept, so an answer is judged by what she read.
    lesson_rows = await ContentVersion.select(ContentVersion.id, ContentVersion.data).where(
        (ContentVersion.item.kind == "lesson") & ContentVersion.published_at.is_not_null()).output(load_json=True)
    catalog = build_catalog(revision, published,
                            {r["id"]: r["item.slug"] for r in versions if r["item.kind"] == "exercise"},
                            {r["id"]: r["item.slug"] for r in versions if r["item.kind"] == "questionnaire"},
                            {r["id"]: r["data"] for r in lesson_rows})
    set_catalog(catalog)
    return catalog
