"""Document → file text → loader: tricky text comes back exactly, in the hand-written style."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from server.content.export import ExportError, course_file, exercise_file, resource_file
from server.content.loader import LoadResult, load_file
from server.content.schemas import Content, Exercise
from server.content.validation import validate_course, validate_exercise, validate_resource

TRICKY = [
    'Sig "stop": det er i orden.', "# ikke en kommentar", "- starter med en streg", "æøå ÆØÅ é ü",
    "'enkelte' anførselstegn", "yes", "123", "null", "a: b", "{krøllet}", "[firkantet]", "&anker", "*stjerne",
    "!mærke", "%procent", "@snabel", "`backtick`", "|lodret", "> større", "? spørgsmål", "slutter med kolon:",
    "en # midt i", "komma, og [klammer] {og} mere", "--- tre streger", "<!-- da --> i en linje", "0x1F", "1e3",
    "~", "2024-05-01", "true",
]
MARKDOWN = ("Første afsnit med *kursiv* og **fed**: \"citat\" og 'citat'.\n\n"
            "- punkt et\n- punkt to: med kolon\n  - indrykket punkt\n\n"
            "1. nummereret\n2. # ikke en overskrift\n\n# Overskrift\n\n---\n\n"
            "> et citat\n\n    kode med mellemrum  \nlinje med to mellemrum til sidst  \nslut æøå")
WHY = "Første linje.\n\n- et punkt\n- et andet: punkt\n\n  Indrykket linje.\n# Ikke en kommentar"


def _load(tmp_path: Path, kind: str, folder: str, slug: str, suffix: str, text: str) -> Content:
    path = tmp_path / folder / f"{slug}{suffix}"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    result = LoadResult()
    load_file(path, kind, path.name, result)
    assert result.problems == [], (result.problems, text)
    return result.documents[0].content


def _exercise(**changes) -> Exercise:
    meta = {
        "kind": "pain_coping", "audience": ["patient", "staff"], "minutes": 2, "tags": ["short", "anxiety"],
        "position": ["lying"], "eyes_open_ok": False, "audio": "lyd æ.ogg",
        "title": {"da": "- Ro: nu", "en": '"Calm": now'},
        "summary": {"da": "# Ikke en overskrift, men en linje", "en": "yes"},
        "why": {"da": WHY, "en": "One line: with a colon # and a hash"},
        "contact_if": {"da": TRICKY[:10], "en": TRICKY[10:20]},
        "steps": [{"seconds": 5 + i, "da": text, "en": f"{text} (en)",
                   **({"breathing": {"inhale": 3, "hold": 2, "exhale": 4, "hold_after": 1 if i % 2 else 0}}
                      if i % 3 == 0 else {})}
                  for i, text in enumerate(TRICKY[:10])],
        **changes,
    }
    data, problems = validate_exercise("tricky-exercise", meta, {"da": MARKDOWN, "en": "- a list\n- *b*"})
    assert problems == []
    return data


@pytest.mark.parametrize("changes", [{}, {"why": None, "contact_if": None, "audio": None, "tags": [],
                                         "position": [], "kind": "mindfulness", "eyes_open_ok": True}])
def test_a_tricky_exercise_round_trips_exactly(tmp_path, changes):
    data = _exercise(**changes)
    text = exercise_file(data)
    assert _load(tmp_path, "exercise", "exercises", "tricky-exercise", ".md", text) == data


def test_the_exercise_file_looks_hand_written():
    text = exercise_file(_exercise())
    assert text.startswith("---\nkind: pain_coping\naudience: [patient, staff]\nminutes: 2\n")
    assert "\n  - seconds: 5\n    breathing: {inhale: 3, hold: 2, exhale: 4}\n" in text
    assert "hold_after: 1}" in text
    assert "æøå ÆØÅ" in text and "\\u" not in text
    assert "\n---\n<!-- da -->\nFørste afsnit" in text and text.endswith("<!-- en -->\n- a list\n- *b*\n")


def test_a_body_that_holds_a_language_marker_line_is_refused():
    data = msgspec.structs.replace(_exercise(), body={"da": "Før\n<!-- en -->\nefter", "en": "After"})
    with pytest.raises(ExportError, match=r"body\.da"):
        exercise_file(data)


def test_a_tricky_course_round_trips_exactly(tmp_path):
    meta = {
        "title": {"da": "Kursus: 8 uger", "en": "# Course"},
        "summary": {"da": TRICKY[0], "en": TRICKY[2]},
        "weeks": [{"number": i + 1, "theme": {"da": TRICKY[i], "en": TRICKY[-1 - i]},
                   "intro": {"da": WHY if i == 0 else TRICKY[i + 5], "en": "Line one.\nLine two: with colon."},
                   "practices": ["body-scan-30", "yes"][: 1 + i % 2]} for i in range(3)],
    }
    data, problems = validate_course("tricky-course", meta)
    assert problems == []
    assert _load(tmp_path, "course", "courses", "tricky-course", ".yaml", course_file(data)) == data


@pytest.mark.parametrize("changes", [
    {},
    {"phone": "+45 70 20 12 01", "url": "https://example.dk/a?b=c#d", "verify": True, "order": 100},
    {"name": {"da": "Et meget langt navn, som ikke kan stå på én linje sammen med det engelske navn",
              "en": "A very long name: it cannot share one line with the Danish name at all, # really"},
     "hours": {"da": "Man–fre: 8–16", "en": "{Mon-Fri}"}, "phone": "1813"},
    {"kind": "clinic", "phone": None, "site_phone": "ward", "audience": ["patient", "partner"],
     "serves": {"municipalities": ["0101", "0751"]}},
    {"kind": "acute", "serves": {"regions": ["1084", "1085"]}},
])
def test_a_tricky_resource_round_trips_exactly(tmp_path, changes):
    meta = {"kind": "crisis", "audience": ["patient", "staff"], "serves": {"country": "DK"}, "order": 0,
            "name": {"da": "Linjen: æøå", "en": "- The line"}, "description": {"da": TRICKY[0], "en": TRICKY[1]},
            "phone": "112", **changes}
    data, problems = validate_resource("tricky-resource", meta)
    assert problems == []
    text = resource_file(data)
    assert f'phone: "{data.phone}"' in text if data.phone else "site_phone: ward" in text
    assert _load(tmp_path, "resource", "resources", "tricky-resource", ".yaml", text) == data
