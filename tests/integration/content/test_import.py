"""`pusterum content validate|import`: every problem reported, all or nothing, idempotent, immutable versions."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from server.content.tables import ContentItem, ContentVersion
from tests.conftest import ROOT

EXERCISE = """---
kind: mindfulness
audience: [patient]
minutes: 1
tags: [short]
title: {da: Prøve, en: Trial}
summary: {da: En prøve, en: A trial}
steps:
  - seconds: 30
    da: Første trin.
    en: First step.
  - seconds: 30
    da: Andet trin.
    en: Second step.
---
<!-- da -->
Kort tekst.
<!-- en -->
Short text.
"""


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


@pytest.fixture
def content_dir(tmp_path, database):
    root = tmp_path / "content"
    for folder in ("exercises", "courses", "resources"):
        (root / folder).mkdir(parents=True)
    yield root
    asyncio.run(_forget_test_items())


async def _forget_test_items():
    ids = [r["id"] for r in await ContentItem.select(ContentItem.id).where(ContentItem.slug.like("zz-%"))]
    if ids:
        await ContentVersion.delete().where(ContentVersion.item.is_in(ids))
        await ContentItem.delete().where(ContentItem.id.is_in(ids))


async def _versions(slug: str) -> list[dict]:
    return await ContentVersion.select(ContentVersion.number, ContentVersion.data,
                                       ContentVersion.published_at).where(
        ContentVersion.item.slug == slug).order_by(ContentVersion.number).output(load_json=True)


def test_it_reports_every_problem_as_file_field_reason(content_dir: Path):
    (content_dir / "exercises/zz-broken.md").write_text(
        EXERCISE.replace("kind: mindfulness", "kind: yoga").replace("  en: Trial}", "}").replace(
            "title: {da: Prøve, en: Trial}", "title: {da: Prøve}").replace("    en: Second step.\n", ""))
    (content_dir / "courses/zz-course.yaml").write_text(
        "title: {da: K, en: C}\nsummary: {da: K, en: C}\nweeks:\n  - number: 1\n    theme: {da: T, en: T}\n"
        "    intro: {da: I, en: I}\n    practices: [zz-missing]\n")
    (content_dir / "resources/zz-line.yaml").write_text(
        "category: crisis\nname: {da: L, en: L}\ndescription: {da: D, en: D}\nphone: call me\nurl: http://x.dk\n"
        "colour: red\n")
    result = run_cli("content", "validate", str(content_dir))
    assert result.returncode != 0
    lines = result.stdout.splitlines()
    assert "exercises/zz-broken.md: kind: must be one of mindfulness, pain_coping, micro_pause" in lines
    assert "exercises/zz-broken.md: title.en: missing translation" in lines
    assert "exercises/zz-broken.md: steps[2].en: missing translation" in lines
    assert "courses/zz-course.yaml: weeks[1].practices: no exercise named 'zz-missing'" in lines
    assert "resources/zz-line.yaml: phone: digits and spaces only, optionally starting with +45" in lines
    assert "resources/zz-line.yaml: url: must be a full https:// address" in lines
    assert any(line.startswith("resources/zz-line.yaml: colour: unknown field") for line in lines)


def test_it_imports_nothing_when_any_file_is_invalid(content_dir: Path):
    (content_dir / "exercises/zz-good.md").write_text(EXERCISE)
    (content_dir / "exercises/zz-bad.md").write_text(EXERCISE.replace("minutes: 1", "minutes: 0"))
    result = run_cli("content", "import", str(content_dir))
    assert result.returncode != 0
    assert "nothing was imported" in result.stderr
    assert asyncio.run(_versions("zz-good")) == []


def test_it_is_idempotent_and_publishes_a_new_version_when_a_file_changes(content_dir: Path):
    path = content_dir / "exercises/zz-trial.md"
    path.write_text(EXERCISE)
    assert run_cli("content", "import", str(content_dir)).returncode == 0
    again = run_cli("content", "import", str(content_dir))
    assert "0 new, 0 new version(s), 1 unchanged" in again.stdout
    first = asyncio.run(_versions("zz-trial"))
    assert len(first) == 1

    path.write_text(EXERCISE.replace("Første trin.", "Første trin, i dit eget tempo."))
    changed = run_cli("content", "import", str(content_dir))
    assert "1 new version(s)" in changed.stdout
    versions = asyncio.run(_versions("zz-trial"))
    assert [v["number"] for v in versions] == [1, 2]
    # The published version 1 is untouched: events that name it still mean what she saw.
    assert versions[0] == first[0]
    assert versions[1]["data"]["steps"][0]["text"]["da"] == "Første trin, i dit eget tempo."
    item = asyncio.run(ContentItem.select(ContentItem.published_version).where(
        ContentItem.slug == "zz-trial").first().run())
    latest = asyncio.run(ContentVersion.select(ContentVersion.id).where(
        ContentVersion.item.slug == "zz-trial").order_by(ContentVersion.number, ascending=False).first().run())
    assert item["published_version"] == latest["id"]


def test_it_does_not_publish_a_version_for_formatting_only_changes(content_dir: Path):
    path = content_dir / "exercises/zz-format.md"
    path.write_text(EXERCISE)
    assert run_cli("content", "import", str(content_dir)).returncode == 0
    path.write_text(EXERCISE.replace("title: {da: Prøve, en: Trial}", "title:\n  da: Prøve\n  en: Trial"))
    result = run_cli("content", "import", str(content_dir))
    assert "1 unchanged" in result.stdout
    assert len(asyncio.run(_versions("zz-format"))) == 1


def test_the_repository_content_validates():
    result = run_cli("content", "validate")
    assert result.returncode == 0, result.stdout
