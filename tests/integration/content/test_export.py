"""`pusterum content export`: every published document back to files that import as "unchanged"."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from server.content import export as export_module
from server.content.export import FILE_TEXT, FOLDER_OF, export_content, published_documents
from server.content.loader import Document, LoadResult, load_content_dir, load_file
from server.content.services import import_documents
from server.content.tables import ContentItem, ContentVersion
from tests.conftest import ROOT
from tests.integration.content.test_import import EXERCISE, _forget_test_items, run_cli


def _repository_files() -> list[Path]:
    return [p for folder, (_kind, suffix) in export_module.FOLDERS.items()
            for p in (ROOT / "content" / folder).glob(f"*{suffix}")]


async def _stored_hashes() -> dict[str, str]:
    """Each item's hash as the export chooses it: the published version, or a newer one awaiting review."""
    items = {r["id"]: r for r in await ContentItem.select(ContentItem.id, ContentItem.slug,
                                                           ContentItem.published_version)}
    newest: dict[int, dict] = {}
    published: dict[int, str] = {}
    for r in await ContentVersion.select(ContentVersion.id, ContentVersion.item, ContentVersion.number,
                                         ContentVersion.published_at, ContentVersion.source_hash):
        if r["item"] not in newest or r["number"] > newest[r["item"]]["number"]:
            newest[r["item"]] = r
        if r["id"] == items[r["item"]]["published_version"]:
            published[r["item"]] = r["source_hash"]
    return {items[i]["slug"]: (v["source_hash"] if v["published_at"] is None else published[i])
            for i, v in newest.items() if v["published_at"] is None or i in published}


@pytest.fixture
async def forget_test_items(db):
    yield
    await _forget_test_items()


async def test_every_published_document_reads_back_as_exactly_the_stored_data(db, tmp_path):
    published = await published_documents()
    # 52 exercises, 1 course, 22 resources, WHO-5 and the app-satisfaction check, the e-learning course and its
    # 7 lessons; a file awaiting review is exported as its awaiting version
    assert len(published) >= len(_repository_files()) == 85
    hashes = await _stored_hashes()
    for kind, slug, data in published:
        folder, suffix = FOLDER_OF[kind]
        path = tmp_path / folder / f"{slug}{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_text(FILE_TEXT[kind](data), encoding="utf-8")
        result = LoadResult()
        load_file(path, kind, f"{folder}/{path.name}", result)
        assert result.problems == [], (slug, result.problems)
        [doc] = result.documents
        assert doc.content == data, slug
        # An empty database importing this file would hold the same document, hence the same hash.
        assert doc.source_hash == hashes[slug] == Document(kind, slug, data, "").source_hash


async def test_export_then_import_changes_nothing(db, tmp_path):
    report = await export_content(tmp_path)
    total = len(await published_documents())
    assert sum(report.counts.values()) == total
    assert len(report.written) == total and report.unchanged == [] and report.left_alone == []
    result = load_content_dir(tmp_path)
    assert result.problems == []
    imported = await import_documents(result.documents)
    assert (imported.created, imported.updated, imported.unchanged) == ([], [], total)

    again = await export_content(tmp_path)  # a second export finds every file already up to date
    assert again.written == [] and len(again.unchanged) == total


async def test_exporting_over_the_repository_content_keeps_every_hand_written_file(db, tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    before = {p: p.read_bytes() for p in (tmp_path / "content").rglob("*") if p.is_file()}
    report = await export_content(tmp_path / "content")
    assert report.written == []
    assert {p: p.read_bytes() for p in (tmp_path / "content").rglob("*") if p.is_file()} == before


async def test_it_writes_the_newly_published_version_and_leaves_unpublished_files_alone(forget_test_items,
                                                                                        tmp_path):
    source = tmp_path / "source"
    (source / "exercises").mkdir(parents=True)
    (source / "exercises/zz-export.md").write_text(EXERCISE, encoding="utf-8")
    await import_documents(load_content_dir(source).documents)
    target = tmp_path / "target"
    await export_content(target)
    assert "Første trin." in (target / "exercises/zz-export.md").read_text(encoding="utf-8")

    (source / "exercises/zz-export.md").write_text(
        EXERCISE.replace("Første trin.", "Første trin, i dit eget tempo."), encoding="utf-8")
    assert (await import_documents(load_content_dir(source).documents)).updated == ["zz-export"]
    (target / "exercises/zz-draft.md").write_text("not published, not ours to touch", encoding="utf-8")
    report = await export_content(target)

    assert report.written == ["exercises/zz-export.md"]
    assert report.left_alone == ["exercises/zz-draft.md"]
    assert "left alone 1 file(s) whose slug is not published: exercises/zz-draft.md" in report.summary()
    assert (target / "exercises/zz-draft.md").read_text(encoding="utf-8") == "not published, not ours to touch"
    text = (target / "exercises/zz-export.md").read_text(encoding="utf-8")
    assert "Første trin, i dit eget tempo." in text
    result = LoadResult()
    load_file(target / "exercises/zz-export.md", "exercise", "exercises/zz-export.md", result)
    assert result.documents[0].content == load_content_dir(source).by_kind("exercise")["zz-export"]
    assert not list(target.rglob(".*.tmp"))  # the temporary files were renamed into place


async def test_it_copies_the_audio_an_exercise_names_into_another_folder(forget_test_items, tmp_path,
                                                                         monkeypatch):
    source = tmp_path / "source"
    (source / "exercises").mkdir(parents=True)
    (source / "audio").mkdir()
    (source / "audio/zz-calm.ogg").write_bytes(b"OggS calm")
    (source / "audio/zz-unused.ogg").write_bytes(b"OggS unused")
    exercise = EXERCISE.replace("tags: [short]", "tags: [short]\naudio: zz-calm.ogg")
    (source / "exercises/zz-audio.md").write_text(exercise, encoding="utf-8")
    await import_documents(load_content_dir(source).documents)
    settings = dataclasses.replace(export_module.get_settings(), content_dir=source)
    monkeypatch.setattr(export_module, "get_settings", lambda: settings)

    target = tmp_path / "target"
    report = await export_content(target)
    assert report.audio_copied == ["zz-calm.ogg"] and report.audio_missing == []
    assert (target / "audio/zz-calm.ogg").read_bytes() == b"OggS calm"
    assert not (target / "audio/zz-unused.ogg").exists()
    assert (await export_content(target)).audio_copied == []  # already there, the same bytes

    # Exporting into the content folder itself copies nothing, and the folder still validates.
    assert (await export_content(source)).audio_copied == []
    assert load_content_dir(target).problems == []


def test_the_cli_exports_a_folder_that_validates(db, tmp_path):
    result = run_cli("content", "export", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Content exported to {tmp_path / 'out'}: ")
    assert "file(s) written" in result.stdout and len(result.stdout.splitlines()) == 1
    validated = run_cli("content", "validate", str(tmp_path / "out"))
    assert validated.returncode == 0, validated.stdout
    imported = run_cli("content", "import", str(tmp_path / "out"))
    assert "0 new, 0 new version(s)" in imported.stdout


def test_the_cli_says_plainly_when_it_cannot_write(db, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = run_cli("content", "export", str(tmp_path / "a-file"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"pusterum: could not export to {tmp_path / 'a-file'}: ")
    assert "Traceback" not in result.stderr


async def test_it_writes_review_verify_and_confirmed_on_back_and_an_import_of_them_changes_nothing(
        forget_test_items, tmp_path):
    source = tmp_path / "source"
    (source / "exercises").mkdir(parents=True)
    (source / "resources").mkdir()
    (source / "exercises/zz-marked.md").write_text(
        EXERCISE.replace("kind: mindfulness", "review: awaiting\nkind: mindfulness").replace(
            "steps:", "verify: true\nconfirmed_on: 2026-12-01\nsteps:"), encoding="utf-8")
    (source / "resources/zz-line.yaml").write_text(
        "kind: advice\naudience: [patient]\nserves: {country: DK}\nname: {da: L, en: L}\n"
        "description: {da: D, en: D}\nphone: \"70 20 00 00\"\nverify: true\n", encoding="utf-8")
    first = await import_documents(load_content_dir(source).documents)
    assert first.awaiting == ["zz-marked"]
    target = tmp_path / "target"
    await export_content(target)
    text = (target / "exercises/zz-marked.md").read_text(encoding="utf-8")
    assert text.startswith("---\nreview: awaiting\n") and "verify: true\nconfirmed_on: 2026-12-01\n" in text
    assert "verify: true" in (target / "resources/zz-line.yaml").read_text(encoding="utf-8")
    again = await import_documents(load_content_dir(target).documents)
    assert again.created == [] and again.updated == [] and again.awaiting == []
