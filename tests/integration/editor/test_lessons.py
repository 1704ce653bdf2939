"""An editor opens a published e-learning lesson (issue 17), edits its file text, sees it on a phone, and
publishes it as a new version through the same drafts and history as every kind; text that is not a valid
lesson is kept as a draft and never published."""

from __future__ import annotations

import html
import re

import pytest

from server.content.catalog import get_catalog
from tests.learning import fixture_course
from tests.support import csrf_token

LESSON = "test-lesson-two"


@pytest.fixture
async def course(actors):
    async with fixture_course():
        yield


def source_of(page_text: str) -> str:
    return html.unescape(re.search(r'<textarea id="source"[^>]*>(.*?)</textarea>', page_text, re.S).group(1))


async def save(client, source: str, revision: int, action: str = "save"):
    page = await client.get(f"/workspace/content/{LESSON}")
    return await client.post(f"/workspace/content/{LESSON}", data={
        "_csrf_token": csrf_token(page.text), "revision": str(revision), "source": source, "action": action})


async def test_an_editor_opens_previews_and_publishes_a_lesson_as_a_new_version(course, editor, staff_member):
    listing = await editor.get("/workspace/content/", params={"kind": "lesson"})
    assert f'href="/workspace/content/{LESSON}"' in listing.text
    page = await editor.get(f"/workspace/content/{LESSON}")
    assert page.status_code == 200
    source = source_of(page.text)
    assert "title: {da: Efter samtalen, en: After the conversation}" in source
    changed = source.replace("Efter samtalen", "Efter en svær samtale")
    assert (await save(editor, changed, 0)).status_code == 303
    preview = await editor.get(f"/workspace/content/{LESSON}/preview")
    assert preview.status_code == 200 and "Efter en svær samtale" not in preview.text  # English editor
    assert "data-preview" in preview.text and "After the conversation" in preview.text
    assert get_catalog().lessons[LESSON].title["da"] == "Efter samtalen"  # a draft is not published
    published = await save(editor, changed, 1, action="publish")
    assert published.status_code == 303 and "published=" in published.headers["location"]
    lesson = get_catalog().lessons[LESSON]
    assert lesson.title["da"] == "Efter en svær samtale" and lesson.version == 2
    assert get_catalog().lessons["test-lesson-one"].version == 1  # the other lesson is untouched
    history = await editor.get(f"/workspace/content/{LESSON}/history")
    assert history.status_code == 200 and "en svær samtale</ins>" in history.text  # the words that changed
    danish = await staff_member.get(f"/lesson/{LESSON}")
    assert 'data-version="2"' in danish.text


async def test_text_that_is_not_a_valid_lesson_is_kept_as_a_draft_and_not_published(course, editor):
    broken = "title: {da: Halv\nsections: ["
    assert (await save(editor, broken, 0)).status_code == 303
    page = await editor.get(f"/workspace/content/{LESSON}")
    assert source_of(page.text) == broken and "not valid YAML" in page.text
    refused = await save(editor, broken, 1, action="publish")
    assert refused.status_code == 400 and get_catalog().lessons[LESSON].version == 1
    wrong = source_of((await editor.get(f"/workspace/content/{LESSON}")).text)
    assert (await save(editor, "course: test-learning\nminutes: 30\n", 2)).status_code == 303
    refused = await save(editor, "course: test-learning\nminutes: 30\n", 3, action="publish")
    assert refused.status_code == 400 and "Minutes must be between 2 and 10 (it is 30)" in html.unescape(refused.text)
    assert wrong == broken
