"""The fixture e-learning course for the tests (``tests/fixtures/learning``): two short lessons, imported into
the test database for one test and removed after it, so content/ and the other tests never see it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "learning"
COURSE = "test-learning"
LESSONS = ("test-lesson-one", "test-lesson-two")


async def import_fixture_course() -> None:
    """Publish the fixture course (again: an unchanged file adds no version) and load the catalog."""
    from server.content.loader import load_content_dir
    from server.content.services import import_documents, load_catalog

    loaded = load_content_dir(FIXTURE)
    assert loaded.ok, loaded.problems
    await import_documents(loaded.documents)
    await load_catalog()


async def remove_fixture_course() -> None:
    from server.content.services import load_catalog
    from server.content.tables import ContentItem, ContentVersion
    from server.editor.tables import ContentDraft
    from server.engagement.tables import Event

    await ContentDraft.delete().where(ContentDraft.slug.is_in([COURSE, *LESSONS]))
    items = [r["id"] for r in await ContentItem.select(ContentItem.id).where(
        ContentItem.slug.is_in([COURSE, *LESSONS]))]
    if items:
        versions = [r["id"] for r in await ContentVersion.select(ContentVersion.id).where(
            ContentVersion.item.is_in(items))]
        if versions:
            await Event.delete().where(Event.content_version.is_in(versions))
            await ContentVersion.delete().where(ContentVersion.id.is_in(versions))
        await ContentItem.delete().where(ContentItem.id.is_in(items))
    await load_catalog()


@contextlib.asynccontextmanager
async def fixture_course() -> AsyncIterator[None]:
    await import_fixture_course()
    try:
        yield
    finally:
        await remove_fixture_course()
