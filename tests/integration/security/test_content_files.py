"""`pusterum content validate|import` judge the content folder as input: hostile YAML is a problem of its file,
and nothing outside the folder is read through a link.

ASVS 4.0.3 checked here: 5.5.3 (deserialising untrusted YAML safely: no nesting that exhausts the
parser's recursion, no aliases that expand a small file; a clear error, never a traceback), 12.3.1 and 12.3.2
(file paths: a link in the content folder cannot make the server read or publish a file from elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.content.test_import import EXERCISE, run_cli


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "content"
    for name in ("exercises", "courses", "resources", "questionnaires", "audio"):
        (root / name).mkdir(parents=True)
    return root


def test_deep_or_aliased_yaml_is_a_problem_of_its_file_not_a_traceback(folder):
    """ASVS 5.5.3: each file gets one clear line, the others are still checked, exit 1."""
    deep = "[" * 5000 + "]" * 5000
    (folder / "courses/zz-deep-course.yaml").write_text(f"title: {deep}\n")
    (folder / "resources/zz-deeper.yaml").write_text("name:\n" + "".join("  " * i + "- \n" for i in range(40)))
    (folder / "exercises/zz-deep.md").write_text(EXERCISE.replace("tags: [short]", f"tags: {deep}"))
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))
    (folder / "resources/zz-laughs.yaml").write_text(laughs)
    (folder / "exercises/zz-fine.md").write_text(EXERCISE)
    result = run_cli("content", "validate", str(folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr + result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("courses/zz-deep-course.yaml: file: ") and "nest" in line for line in lines), lines
    assert "resources/zz-deeper.yaml: file: is nested deeper than 20 levels" in lines
    assert any(line.startswith("exercises/zz-deep.md: front matter: ") and "nest" in line for line in lines), lines
    assert "resources/zz-laughs.yaml: file: uses a YAML alias (*name): write the value out instead" in lines
    assert not any(line.startswith("exercises/zz-fine.md") for line in lines)


def test_a_link_out_of_the_content_folder_is_reported_and_never_read(folder, tmp_path):
    """ASVS 12.3.1, 12.3.2: a link to a file elsewhere on the server is neither read nor published."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.md").write_text(EXERCISE.replace("Short text.", "THE-SERVER'S-SECRET"))
    (elsewhere / "folder").mkdir()
    (folder / "exercises/zz-outside.md").symlink_to(elsewhere / "secret.md")
    (folder / "exercises/zz-nowhere.md").symlink_to(elsewhere / "missing.md")
    (folder / "exercises/zz-inside.md").write_text(EXERCISE)
    (folder / "exercises/zz-alias.md").symlink_to(folder / "exercises/zz-inside.md")  # inside: fine
    (folder / "courses").rmdir()
    (folder / "courses").symlink_to(elsewhere / "folder", target_is_directory=True)
    (elsewhere / "recording.mp3").write_bytes(b"ID3" + b"\0" * 64)
    (folder / "audio/zz.mp3").symlink_to(elsewhere / "recording.mp3")
    (folder / "exercises/zz-audio.md").write_text(EXERCISE.replace("tags: [short]", "tags: [short]\naudio: zz.mp3"))
    result = run_cli("content", "validate", str(folder))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    outside = "is a link to something outside the content folder: not read"
    assert f"exercises/zz-outside.md: file: {outside}" in lines
    assert f"exercises/zz-nowhere.md: file: {outside}" in lines
    assert f"courses: folder: {outside}" in lines
    assert f"exercises/zz-audio.md: audio: content/audio/zz.mp3 {outside}" in lines
    assert not any(line.startswith(("exercises/zz-inside.md", "exercises/zz-alias.md")) for line in lines)
    assert "SECRET" not in result.stdout + result.stderr
