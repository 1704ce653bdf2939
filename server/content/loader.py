"""Reads ``content/`` into validated documents, or into a list of every problem, file by file.

Whatever is in the folder is judged, never trusted to be well-formed: YAML nested too deep or using aliases is
a problem of its file (not a traceback), and a link that leads out of the folder is reported, never read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import yaml

from server.content.schemas import Content, Course, ElearningCourse, Exercise, Lesson
from server.content.validation import (
    Problem,
    validate_course,
    validate_elearning,
    validate_exercise,
    validate_learning_references,
    validate_lesson,
    validate_questionnaire,
    validate_references,
    validate_resource,
)
from server.lib.signing import fingerprint

_LANG_MARKER = re.compile(r"^<!--\s*(da|en)\s*-->\s*$", re.MULTILINE)
FOLDERS = {"exercises": ("exercise", ".md"), "courses": ("course", ".yaml"), "resources": ("resource", ".yaml"),
           "questionnaires": ("questionnaire", ".yaml"), "elearning": ("elearning", ".yaml"),
           "lessons": ("lesson", ".yaml")}


@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # exercise | course | resource | questionnaire | elearning | lesson
    slug: str
    content: Content  # the validated document
    path: str

    @property
    def data(self) -> dict[str, Any]:
        """The document as it is stored (JSON): the Struct's fields in their order, tuples as lists."""
        return msgspec.to_builtins(self.content)

    @property
    def source_hash(self) -> str:
        """A hash of the normalised document: formatting-only edits of a file publish nothing new."""
        canonical = json.dumps(self.data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return fingerprint(canonical)


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[tuple[str, Problem]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_kind(self, kind: str) -> dict[str, Any]:
        """slug -> document of one kind (``Exercise``, ``Course``, …)."""
        return {d.slug: d.content for d in self.documents if d.kind == kind}


def split_front_matter(text: str) -> tuple[str, str] | None:
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 4)
    if end == -1:
        return None
    return text[4:end], text[end + 5:]


def split_languages(body: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    markers = list(_LANG_MARKER.finditer(body))
    for i, m in enumerate(markers):
        stop = markers[i + 1].start() if i + 1 < len(markers) else len(body)
        parts[m.group(1)] = body[m.end():stop].strip()
    return parts


MAX_DEPTH = 20  # lists and mappings inside each other: our formats need five; far more is a mistake or an attack
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # events only: libyaml's parser where it is installed


def _shape_problem(text: str) -> str | None:
    """What the YAML parser's events show before anything is built from them: nesting deeper than MAX_DEPTH
    (building it would exhaust Python's recursion: a traceback, not a problem in a file), or an alias
    (``*name``), which no content file needs and which can make a small file expand into a huge document."""
    depth = 0
    for event in yaml.parse(text, Loader=_PARSER):
        if isinstance(event, yaml.AliasEvent):
            return "uses a YAML alias (*name): write the value out instead"
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return f"is nested deeper than {MAX_DEPTH} levels"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _parse_yaml(text: str, rel: str, result: LoadResult, where: str = "file") -> Any:
    try:
        shape = _shape_problem(text)
        if shape is not None:
            result.problems.append((rel, Problem(where, shape)))
            return None
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        result.problems.append((rel, Problem(where, f"not valid YAML{line}: {getattr(exc, 'problem', exc)}")))
        return None


def load_file(path: Path, kind: str, rel: str, result: LoadResult) -> None:
    slug = path.stem
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        result.problems.append((rel, Problem("file", "is not UTF-8 text")))
        return
    if kind == "exercise":
        parts = split_front_matter(text)
        if parts is None:
            result.problems.append((rel, Problem("file", "must start with front matter between '---' lines")))
            return
        meta = _parse_yaml(parts[0], rel, result, "front matter")
        body = split_languages(parts[1])
    else:
        meta = _parse_yaml(text, rel, result)
        body = {}
    if meta is None:
        if not any(p[0] == rel for p in result.problems):
            result.problems.append((rel, Problem("file", "is empty")))
        return
    if not isinstance(meta, dict):
        result.problems.append((rel, Problem("file", "must hold a mapping of fields")))
        return
    document: Content | None
    if kind == "exercise":
        document, problems = validate_exercise(slug, meta, body)
    elif kind == "course":
        document, problems = validate_course(slug, meta)
    elif kind == "questionnaire":
        document, problems = validate_questionnaire(slug, meta)
    elif kind == "elearning":
        document, problems = validate_elearning(slug, meta)
    elif kind == "lesson":
        document, problems = validate_lesson(slug, meta)
    else:
        document, problems = validate_resource(slug, meta)
    result.problems.extend((rel, p) for p in problems)
    if document is not None:
        result.documents.append(Document(kind=kind, slug=slug, content=document, path=rel))


def _outside(path: Path, real_root: Path) -> bool:
    """Whether ``path`` is (or leads through a link to) something outside the content folder."""
    try:
        return not path.resolve(strict=True).is_relative_to(real_root)
    except (OSError, RuntimeError):  # a dangling link or a loop of links
        return True


OUTSIDE = "is a link to something outside the content folder: not read"


def load_content_dir(root: Path) -> LoadResult:
    result = LoadResult()
    if not root.is_dir():
        result.problems.append((str(root), Problem("folder", "does not exist")))
        return result
    real_root = root.resolve()
    seen: dict[str, str] = {}
    for folder, (kind, suffix) in FOLDERS.items():
        if (root / folder).exists() and _outside(root / folder, real_root):
            result.problems.append((folder, Problem("folder", OUTSIDE)))
            continue
        for path in sorted((root / folder).glob("*")):
            rel = str(path.relative_to(root))
            if path.name.startswith("."):
                continue
            if _outside(path, real_root):  # never read: a link could show any file of the server here
                result.problems.append((rel, Problem("file", OUTSIDE)))
                continue
            if path.is_dir():
                continue
            if path.suffix != suffix:
                result.problems.append((rel, Problem("file", f"unexpected file here (expected *{suffix})")))
                continue
            if path.stem in seen:
                result.problems.append((rel, Problem("slug", f"already used by {seen[path.stem]}")))
                continue
            seen[path.stem] = rel
            load_file(path, kind, rel, result)
    for doc in result.documents:
        audio = doc.content.audio if isinstance(doc.content, Exercise) else None
        if audio and _outside(root / "audio" / audio, real_root):
            result.problems.append((doc.path, Problem("audio", f"content/audio/{audio} {OUTSIDE}")
                                    if (root / "audio" / audio).is_symlink() else
                                    Problem("audio", f"no file content/audio/{audio}")))
        elif audio and not (root / "audio" / audio).is_file():
            result.problems.append((doc.path, Problem("audio", f"no file content/audio/{audio}")))
    paths = {d.slug: d.path for d in result.documents}
    exercises = {d.slug: d.content for d in result.documents if isinstance(d.content, Exercise)}
    courses = {d.slug: d.content for d in result.documents if isinstance(d.content, Course)}
    for slug, problem in validate_references(exercises, courses):
        result.problems.append((paths[slug], problem))
    learning = {d.slug: d.content for d in result.documents if isinstance(d.content, ElearningCourse)}
    lessons = {d.slug: d.content for d in result.documents if isinstance(d.content, Lesson)}
    for slug, problem in validate_learning_references(learning, lessons):
        result.problems.append((paths[slug], problem))
    result.problems.sort(key=lambda p: p[0])
    return result
