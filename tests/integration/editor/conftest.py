from __future__ import annotations

import asyncio

import pytest

from server.content.services import load_catalog
from server.content.tables import ContentItem, ContentVersion


async def _snapshot() -> tuple[dict[int, int | None], int]:
    items = {r["id"]: r["published_version"] for r in await ContentItem.select(ContentItem.id,
                                                                               ContentItem.published_version)}
    latest = max([r["id"] for r in await ContentVersion.select(ContentVersion.id)] or [0])
    return items, latest


async def _restore(items: dict[int, int | None], latest: int) -> None:
    await ContentVersion.delete().where(ContentVersion.id > latest)
    await ContentItem.delete().where(ContentItem.id.not_in(list(items) or [0]))
    for item_id, version in items.items():
        await ContentItem.update({ContentItem.published_version: version}).where(ContentItem.id == item_id)
    await load_catalog()


@pytest.fixture(autouse=True)
def published_content_restored(db):
    """Editor tests publish and roll back; afterwards the repository's content is as the import left it."""
    items, latest = asyncio.run(_snapshot())
    yield
    asyncio.run(_restore(items, latest))
