"""Writes every published document back to ``content/`` files, in the shape ``content import`` reads.

Exporting and importing again changes nothing: each file, parsed and validated, gives exactly the stored
document (so the same ``source_hash``). The files follow the hand-written style of ``content/``: the field
order of ``content/README.md``, short lists and breathing patterns on one line, Danish letters as they
are, one line per text (so a changed step is a one-line diff). A file whose data is already what is
published is left as it is, so human formatting survives; files for slugs that are not published are
never touched or deleted.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import yaml

from server.content.loader import _LANG_MARKER, FOLDERS, LoadResult, load_file
from server.content.schemas import (
    Content,
    Course,
    ElearningCourse,
    Exercise,
    Lesson,
    Questionnaire,
    Resource,
    Step,
    Text,
    typed,
)
from server.content.tables import ContentItem, ContentVersion
from server.settings import LANGUAGES, get_settings

EXAMPLE_AUTHOR = "pusterum demo (example)"  # the author of the demo's example offers (``server.demo``)
FOLDER_OF = {kind: (folder, suffix) for folder, (kind, suffix) in FOLDERS.items()}
KINDS = tuple(FOLDER_OF)  # exercise, course, resource, questionnaire, elearning, lesson
_FLOW_WIDTH = 100  # a text mapping in flow style ({da: ..., en: ...}) only when its line fits this


class ExportError(Exception):
    """A document cannot be written as a file that reads back the same."""


@dataclass
class ExportReport:
    root: Path
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))  # published, per kind
    written: list[str] = field(default_factory=list)  # files (re)written, relative to root
    unchanged: list[str] = field(default_factory=list)  # files that already held the published data
    left_alone: list[str] = field(default_factory=list)  # files for slugs that are not published
    audio_copied: list[str] = field(default_factory=list)
    audio_missing: list[str] = field(default_factory=list)  # named by an exercise, found nowhere

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in self.counts.items())
        line = (f"Content exported to {self.root}: {kinds}; {len(self.written)} file(s) written, "
                f"{len(self.unchanged)} unchanged")
        if self.audio_copied:
            line += f", {len(self.audio_copied)} audio file(s) copied"
        if self.left_alone:
            line += (f"; left alone {len(self.left_alone)} file(s) whose slug is not published: "
                     f"{', '.join(self.left_alone)}")
        return line + "."


# --- YAML in the hand-written style ---

class _Flow(dict):
    """A mapping written on one line: ``{inhale: 4, hold: 0, exhale: 6}``."""


class _FlowList(list):
    """A list written on one line: ``[patient, staff]``."""


class _Quoted(str):
    """Text always in double quotes (a phone number reads as text, never as a number)."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        # A value used twice is written out twice: the loader refuses aliases (*name) in content files.
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Lists are indented under their key ("steps:\n  - seconds: 30"), as in the hand-written files.
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        # Quote with "..." where quotes are needed, as the hand-written files do ('...' if it holds a ").
        style = super().choose_scalar_style()
        return '"' if style == "'" and '"' not in self.event.value else style


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Text with line breaks (a "why" or a week's intro) as a literal block; the emitter falls back to
    # double quotes when a block cannot hold it exactly.
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))
_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v,
                                                                     flow_style=True))


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=1_000_000)


def _text(value: Text, *, flow_key: str | None = None) -> dict[str, str]:
    """A ``{da, en}`` text; on one line (``name: {da: ..., en: ...}``) when asked and it fits."""
    ordered = {lang: value[lang] for lang in LANGUAGES}
    if flow_key is not None:
        line = _dump({flow_key: _Flow(ordered)})
        if line.count("\n") == 1 and len(line) - 1 <= _FLOW_WIDTH:
            return _Flow(ordered)
    return ordered


# --- documents to file text ---

def exercise_file(data: Exercise) -> str:
    meta: dict[str, Any] = {**review(data), "kind": data.kind, "audience": _FlowList(data.audience),
                            "minutes": data.minutes}
    if data.tags:
        meta["tags"] = _FlowList(data.tags)
    if data.position:
        meta["position"] = _FlowList(data.position)
    meta["eyes_open_ok"] = data.eyes_open_ok
    if data.audio is not None:
        meta["audio"] = data.audio
    meta["title"] = _text(data.title)
    meta["summary"] = _text(data.summary)
    if data.why is not None:
        meta["why"] = _text(data.why)
    if data.contact_if is not None:
        meta["contact_if"] = {lang: list(data.contact_if[lang]) for lang in LANGUAGES}
    meta.update(marks(data))
    meta["steps"] = [_step(step) for step in data.steps]
    front = _dump(meta)
    if "\n---\n" in f"\n{front}":
        raise ExportError(f"exercises/{data.slug}.md: the front matter would contain a '---' line")
    sections = []
    for lang in LANGUAGES:
        body = data.body[lang]
        if _LANG_MARKER.search(body):
            raise ExportError(f"exercises/{data.slug}.md: body.{lang} holds a line like '<!-- da -->', "
                              "which would split the body")
        sections.append(f"<!-- {lang} -->\n{body}\n")
    return f"---\n{front}---\n" + "\n".join(sections)


def marks(data: Any) -> dict[str, Any]:
    """A document's (or a section's) ``verify`` and ``confirmed_on`` as a file writes them: only those that
    are set; the date unquoted (YAML reads it back as a date, the validator as the same text)."""
    out: dict[str, Any] = {}
    if getattr(data, "verify", False):
        out["verify"] = True
    if getattr(data, "confirmed_on", None):
        out["confirmed_on"] = date.fromisoformat(data.confirmed_on)
    return out


def review(data: Any) -> dict[str, Any]:
    """``review: awaiting`` as a file's first line, where nobody can miss it; nothing once reviewed."""
    return {"review": data.review} if getattr(data, "review", None) else {}


def _step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"seconds": step.seconds}
    breathing = step.breathing
    if breathing is not None:
        pattern = {"inhale": breathing.inhale, "hold": breathing.hold, "exhale": breathing.exhale}
        if breathing.hold_after:
            pattern["hold_after"] = breathing.hold_after
        out["breathing"] = _Flow(pattern)
    for lang in LANGUAGES:
        out[lang] = step.text[lang]
    return out


def course_file(data: Course) -> str:
    return _dump({
        **review(data),
        "title": _text(data.title),
        "summary": _text(data.summary),
        "weeks": [{"number": week.number, "theme": _text(week.theme), "intro": _text(week.intro),
                   "practices": _FlowList(week.practices)} for week in data.weeks],
    })


def resource_file(data: Resource) -> str:
    where = data.serves
    serves = (_Flow({"country": where.country}) if where.country else
              _Flow({"regions": _FlowList(_Quoted(c) for c in where.regions)}) if where.regions else
              _Flow({"municipalities": _FlowList(_Quoted(c) for c in where.municipalities)}))
    out: dict[str, Any] = {**review(data), "kind": data.kind, "audience": _FlowList(data.audience),
                           "serves": serves, "order": data.order, "name": _text(data.name, flow_key="name"),
                           "description": _text(data.description)}
    if data.phone is not None:
        out["phone"] = _Quoted(data.phone)
    if data.site_phone is not None:
        out["site_phone"] = data.site_phone
    if data.url is not None:
        out["url"] = data.url
    if data.hours is not None:
        out["hours"] = _text(data.hours, flow_key="hours")
    out.update(marks(data))
    return _dump(out)


def questionnaire_file(data: Questionnaire) -> str:
    rules = msgspec.structs.asdict(data.scoring)
    return _dump({
        "title": _text(data.title),
        "instruction": _text(data.instruction),
        "items": [_text(item) for item in data.items],
        "options": [_Flow({"score": o.score, **o.text}) for o in data.options],
        "scoring": _Flow({k: v for k, v in rules.items() if v is not None}),
        "attribution": _text(data.attribution),
    })


def _flags(out: dict[str, Any], verify: bool, confirmed_on: str | None) -> dict[str, Any]:
    """``verify``/``confirmed_on`` only where set, as a hand-written file has them (a date reads back as one)."""
    if verify:
        out["verify"] = True
    if confirmed_on is not None:
        out["confirmed_on"] = confirmed_on
    return out


def elearning_file(data: ElearningCourse) -> str:
    out: dict[str, Any] = {"review": data.review} if data.review else {}
    out.update({"audience": _FlowList(data.audience), "title": _text(data.title, flow_key="title"),
                "summary": _text(data.summary), "intro": _text(data.intro), "lessons": list(data.lessons)})
    return _dump(out)


def lesson_file(data: Lesson) -> str:
    out: dict[str, Any] = {"review": data.review} if data.review else {}
    out.update({
        "course": data.course, "minutes": data.minutes, "title": _text(data.title, flow_key="title"),
        "summary": _text(data.summary),
        "sections": [_flags({"heading": _text(s.heading, flow_key="heading"), "body": _text(s.body)},
                            s.verify, s.confirmed_on) for s in data.sections],
        "cases": [{"id": case.id, "situation": _text(case.situation), "question": _text(case.question),
                   "options": [{"id": o.id, "text": _text(o.text), "feedback": _text(o.feedback),
                                **({"best": True} if o.best else {})} for o in case.options]}
                  for case in data.cases],
        "check": [{"id": q.id, "question": _text(q.question),
                   "options": [{"id": o.id, "text": _text(o.text, flow_key="text"),
                                **({"correct": True} if o.correct else {})} for o in q.options],
                   "explanation": _text(q.explanation)} for q in data.check],
        "sources": [_flags({"title": src.title, "publisher": src.publisher,
                            **({"year": src.year} if src.year is not None else {}),
                            **({"url": src.url} if src.url is not None else {})}, src.verify, src.confirmed_on)
                    for src in data.sources],
    })
    return _dump(out)


# Each kind's writer takes that kind's Struct (``schemas.CONTENT_TYPES``).
FILE_TEXT: dict[str, Callable[[Any], str]] = {"exercise": exercise_file, "course": course_file,
                                              "resource": resource_file, "questionnaire": questionnaire_file,
                                              "elearning": elearning_file, "lesson": lesson_file}


# --- writing ---

async def published_documents() -> list[tuple[str, str, Content]]:
    """``(kind, slug, document)`` of every published version, by kind and slug; where a newer version awaits
    review, that one (with its ``review: awaiting``), so the files hold what the folder last said and an
    import of them changes nothing."""
    items = await ContentItem.select(ContentItem.id, ContentItem.kind, ContentItem.slug,
                                     ContentItem.published_version)
    if not items:
        return []
    newest: dict[int, dict[str, Any]] = {}
    for row in await ContentVersion.select(ContentVersion.id, ContentVersion.item, ContentVersion.number,
                                           ContentVersion.published_at):
        if row["item"] not in newest or row["number"] > newest[row["item"]]["number"]:
            newest[row["item"]] = row
    chosen = {}
    for item in items:
        latest = newest.get(item["id"])
        if latest is not None and latest["published_at"] is None and latest["id"] != item["published_version"]:
            chosen[item["id"]] = latest["id"]  # awaiting review (only such versions are stored unpublished)
        elif item["published_version"] is not None:
            chosen[item["id"]] = item["published_version"]
    items = [r for r in items if r["id"] in chosen]
    if not items:
        return []
    rows = await ContentVersion.select(ContentVersion.id, ContentVersion.data, ContentVersion.created_by).where(
        ContentVersion.id.is_in(list(chosen.values()))).output(load_json=True)
    data = {r["id"]: r["data"] for r in rows}
    # ``pusterum demo``'s example offers are the demo's, never content/'s.
    examples = {r["id"] for r in rows if r["created_by"] == EXAMPLE_AUTHOR}
    items = [r for r in items if chosen[r["id"]] not in examples]
    unknown = next((r for r in items if r["kind"] not in FILE_TEXT), None)
    if unknown is not None:
        raise ExportError(f"{unknown['slug']}: unknown kind {unknown['kind']!r}")
    return sorted(((r["kind"], r["slug"], typed(r["kind"], data[chosen[r["id"]]])) for r in items),
                  key=lambda d: (KINDS.index(d[0]), d[1]))


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a hidden temporary file in the same folder, then rename it over ``path``."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _holds(path: Path, kind: str, document: Content) -> bool:
    """Does the file already read back as exactly this document (whatever its formatting)?"""
    if not path.is_file():
        return False
    result = LoadResult()
    try:
        load_file(path, kind, path.name, result)
    except OSError:
        return False
    return not result.problems and len(result.documents) == 1 and result.documents[0].content == document


async def export_content(root: Path) -> ExportReport:
    """Write every published document under ``root``; all file texts are made before anything is written."""
    root = Path(root)
    report = ExportReport(root=root)
    documents = await published_documents()
    texts: list[tuple[str, str, str, Content]] = []  # kind, rel, text, document
    for kind, slug, data in documents:
        folder, suffix = FOLDER_OF[kind]
        texts.append((kind, f"{folder}/{slug}{suffix}", FILE_TEXT[kind](data), data))
        report.counts[kind] += 1

    published = {rel for _, rel, _, _ in texts}
    for folder, (_kind, suffix) in FOLDERS.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for path in sorted((root / folder).glob(f"*{suffix}")):
            rel = f"{folder}/{path.name}"
            if path.is_file() and not path.name.startswith(".") and rel not in published:
                report.left_alone.append(rel)

    for kind, rel, text, data in texts:
        path = root / rel
        if _holds(path, kind, data):
            report.unchanged.append(rel)
            continue
        write_atomically(path, text.encode("utf-8"))
        report.written.append(rel)

    _export_audio(root, [data for _, _, data in documents if isinstance(data, Exercise)], report)
    return report


def _export_audio(root: Path, exercises: list[Exercise], report: ExportReport) -> None:
    source_dir = get_settings().content_dir / "audio"
    same = root.resolve() == get_settings().content_dir.resolve()
    for name in sorted({e.audio for e in exercises if e.audio}):
        source, target = source_dir / name, root / "audio" / name
        if same or not source.is_file():
            if not target.is_file():
                report.audio_missing.append(name)
            continue
        if target.is_file() and filecmp.cmp(source, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        report.audio_copied.append(name)
