"""`pusterum content script`: the clinic's recording script, step by step, from the content files (the text as on
the screen, when each step starts, how long the words take and how long to leave quiet, where words do not fit)."""

from __future__ import annotations

from pathlib import Path

from server.cli import main
from server.content.loader import load_content_dir
from server.content.recording import reading_seconds, script

LONG = "en meget lang sætning med alt for mange ord til så kort et trin " * 2
EXERCISE = """---
kind: mindfulness
audience: [patient]
minutes: 1
tags: [short]
title: {da: Et kort stop, en: A short stop}
summary: {da: Tre trin., en: Three steps.}
steps:
  - seconds: 20
    da: Mærk fødderne mod gulvet.
    en: Feel your feet on the floor.
  - seconds: 30
    breathing: {inhale: 4, hold: 1, exhale: 5}
    da: Følg åndedrættet.
    en: Follow the breath.
  - seconds: 10
    da: {long}
    en: {long}
---
<!-- da -->
Et kort stop.
<!-- en -->
A short stop.
""".replace("{long}", LONG.strip().capitalize() + ".")


def _content(tmp_path: Path) -> Path:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "a-short-stop.md").write_text(EXERCISE)
    return tmp_path


def test_it_counts_the_words_at_a_calm_pace():
    assert reading_seconds("Mærk fødderne mod gulvet.") == 3  # 4 words at 110 a minute: 2.2 s, rounded up
    assert reading_seconds("en " * 110) == 60
    assert reading_seconds("") == 0


def test_it_gives_each_step_its_text_start_speaking_time_and_quiet(tmp_path):
    result = load_content_dir(_content(tmp_path))
    assert result.problems == []
    text = script(result.by_kind("exercise")["a-short-stop"], "da")
    assert text.startswith("## Et kort stop (`a-short-stop`, da)\n\n"
                           "File: `a-short-stop.da.mp3` · length 1:00 · 3 steps")
    assert "### Step 1 of 3 · 0:00–0:20 (20 s)\n\n> Mærk fødderne mod gulvet.\n" in text
    assert "Speaking: about 3 s. Then quiet: about 16 s." in text  # 20 s - 1 s for the bell - 3 s of words
    assert "### Step 2 of 3 · 0:20–0:50 (30 s)" in text
    assert "in 4 s, hold 1 s, out 5 s (about 3 breaths)" in text
    assert "### Step 3 of 3 · 0:50–1:00 (10 s)" in text
    assert "**Too long for the step**: about 16 s of words in 10 s." in text


def test_the_command_prints_the_script_in_the_language_asked(tmp_path, capsys):
    root = _content(tmp_path)
    assert main(["content", "script", "a-short-stop", "--lang", "en", "--from", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## A short stop (`a-short-stop`, en)") and "> Feel your feet on the floor." in out
    assert main(["content", "script", "--from", str(root)]) == 0  # every exercise, in Danish
    assert "> Mærk fødderne mod gulvet." in capsys.readouterr().out


def test_the_command_refuses_an_unknown_exercise(tmp_path, capsys):
    assert main(["content", "script", "no-such-practice", "--from", str(_content(tmp_path))]) == 1
    assert "no exercise no-such-practice" in capsys.readouterr().err
