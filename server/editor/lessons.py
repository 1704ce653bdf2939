"""Lessons of the staff e-learning in the editor (issue 17), for now written as their file's YAML in one text
area: a published lesson or a draft is opened, saved (and autosaved), previewed on a phone and published as a new
version through the same drafts, history and rollback as every kind. A form field for each part of a lesson is
the next step; until then an editor writes exactly what ``content/lessons/<slug>.yaml`` holds, and the same
validator judges it.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import yaml

from server.content.catalog import get_catalog
from server.content.export import lesson_file
from server.content.loader import LoadResult, _parse_yaml
from server.content.schemas import Lesson
from server.content.validation import Problem, validate_lesson
from server.lib.i18n import _
from server.lib.markdown import render_markdown
from server.settings import LANGUAGES

MAX_SOURCE = 60_000  # characters: a lesson file is a few thousand
SOURCE = "_yaml"  # a draft whose text is not yet a YAML mapping keeps the text as she wrote it, under this key


def empty_lesson() -> dict[str, Any]:
    blank = {lang: "" for lang in LANGUAGES}
    return {"course": "", "minutes": 5, "title": dict(blank), "summary": dict(blank),
            "sections": [{"heading": dict(blank), "body": dict(blank)} for _ in range(2)],
            "cases": [], "check": [], "sources": []}


def lesson_source(data: dict[str, Any], slug: str) -> str:
    """The draft as file text: in the files' own style when it is a valid lesson, else as plain YAML."""
    if SOURCE in data:
        return str(data[SOURCE])
    try:
        return lesson_file(msgspec.convert({**data, "slug": slug}, Lesson))
    except (msgspec.ValidationError, TypeError):
        return yaml.safe_dump(json.loads(json.dumps(data)), allow_unicode=True, sort_keys=False, width=100)


def read_lesson_form(form: Any) -> tuple[dict[str, Any], str]:
    """The text area, read as the importer reads a file (no aliases, no deep nesting); text that is not a
    mapping yet is kept as written, so nothing she typed is lost."""
    text = str(form.get("source") or "")[:MAX_SOURCE]
    action = str(form.get("action") or "save")[:40]
    result = LoadResult()
    parsed = _parse_yaml(text, "source", result)
    if result.problems or not isinstance(parsed, dict):
        reason = result.problems[0][1].reason if result.problems else _("must hold a mapping of fields")
        return {SOURCE: text, "_problem": reason}, action
    # Dates (confirmed_on) are kept as text, the way the validator stores them.
    return json.loads(json.dumps(parsed, default=str)), action


def validate_draft(slug: str, data: dict[str, Any]) -> tuple[Lesson | None, list[Problem]]:
    if SOURCE in data:
        return None, [Problem("source", str(data.get("_problem") or ""))]
    document, problems = validate_lesson(slug, {k: v for k, v in data.items() if k != "slug"})
    if document is not None:
        course = get_catalog().elearning.get(document.course)
        if course is None:
            return None, [Problem("course", _("no e-learning course named %(slug)r", slug=document.course))]
        if slug not in course.lessons:
            return None, [Problem("course", _("the course %(course)r does not list this lesson",
                                              course=document.course))]
    return document, problems


def preview(slug: str, data: dict[str, Any]) -> dict[str, Any]:
    """The staff lesson page's context for a draft that need not be valid yet: dicts with the fields the page
    reads, blanks where the draft has none."""
    def text(value: Any) -> dict[str, str]:
        return {lang: str((value or {}).get(lang) or "") for lang in LANGUAGES} if isinstance(value, dict) else \
            dict.fromkeys(LANGUAGES, "")

    source = {} if SOURCE in data else data
    sections = [s for s in source.get("sections") or [] if isinstance(s, dict)]
    lesson = {
        "slug": slug, "version_id": 0, "version": 0, "minutes": source.get("minutes") or 0,
        "title": text(source.get("title")), "summary": text(source.get("summary")),
        "sections": [{"heading": text(s.get("heading"))} for s in sections],
        "sections_html": [{lang: render_markdown(text(s.get("body"))[lang]) for lang in LANGUAGES} for s in sections],
        "cases": [{"id": str(c.get("id") or i), "situation": text(c.get("situation")),
                   "question": text(c.get("question")),
                   "options": [{"id": str(o.get("id") or j), "text": text(o.get("text")),
                                "feedback": text(o.get("feedback")), "best": o.get("best") is True}
                               for j, o in enumerate(c.get("options") or []) if isinstance(o, dict)]}
                  for i, c in enumerate(source.get("cases") or []) if isinstance(c, dict)],
        "check": [_Question(str(q.get("id") or i), text(q.get("question")), text(q.get("explanation")),
                            [{"id": str(o.get("id") or j), "text": text(o.get("text")),
                              "correct": o.get("correct") is True}
                             for j, o in enumerate(q.get("options") or []) if isinstance(o, dict)])
                  for i, q in enumerate(source.get("check") or []) if isinstance(q, dict)],
        "sources": [{"title": str(s.get("title") or ""), "publisher": str(s.get("publisher") or ""),
                     "year": s.get("year"), "url": s.get("url") if str(s.get("url") or "").startswith("https://")
                     else None} for s in source.get("sources") or [] if isinstance(s, dict)],
    }
    course = get_catalog().elearning.get(str(source.get("course") or ""))
    return {"lesson": lesson, "course": course or {"slug": "", "title": dict.fromkeys(LANGUAGES, "")}}


class _Question(dict):
    """A check question in the preview: a dict the page reads like the published Struct."""

    def __init__(self, id: str, question: dict, explanation: dict, options: list[dict]) -> None:
        super().__init__(id=id, question=question, explanation=explanation, options=options)

    def is_correct(self, option_id: str) -> bool | None:
        return next((o["correct"] for o in self["options"] if o["id"] == option_id), None)
