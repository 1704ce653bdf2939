"""The editor's rules, without HTTP: drafts with optimistic concurrency, validation by the same code as the
content/ import, publishing as a new immutable version, history with readable diffs, and rollback."""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from server import db
from server.accounts.services import audit
from server.content.catalog import get_catalog
from server.content.loader import Document
from server.content.schemas import COUNTRY, Content, Exercise, typed, upgrade_resource
from server.content.services import import_documents, load_catalog
from server.content.tables import ContentItem, ContentVersion
from server.content.validation import (
    Problem,
    validate_course,
    validate_exercise,
    validate_references,
    validate_resource,
)
from server.editor import lessons
from server.editor.tables import ContentDraft
from server.lib import errors
from server.settings import LANGUAGES, get_settings

TEXT_FIELDS = ("title", "summary", "why")


def empty_exercise() -> dict[str, Any]:
    blank = {lang: "" for lang in LANGUAGES}
    return {"kind": "mindfulness", "audience": ["patient"], "minutes": 3, "tags": [], "position": [],
            "eyes_open_ok": True, "audio": None, "title": dict(blank), "summary": dict(blank), "why": dict(blank),
            "contact_if": None, "body": dict(blank),
            "steps": [{"seconds": 90, "text": dict(blank), "breathing": None} for _ in range(2)]}


def empty_course() -> dict[str, Any]:
    blank = {lang: "" for lang in LANGUAGES}
    return {"title": dict(blank), "summary": dict(blank),
            "weeks": [{"number": 1, "theme": dict(blank), "intro": dict(blank), "practices": []}]}


def empty_resource() -> dict[str, Any]:
    blank = {lang: "" for lang in LANGUAGES}
    return {"kind": "advice", "audience": ["patient"], "serves": {"country": COUNTRY}, "order": 100,
            "name": dict(blank), "description": dict(blank), "hours": dict(blank), "phone": None, "site_phone": None,
            "url": None, "verify": True}


EMPTY = {"exercise": empty_exercise, "course": empty_course, "resource": empty_resource,
         "lesson": lessons.empty_lesson}
DOCUMENT_KINDS = tuple(EMPTY)


def to_source(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The draft as the file format's front matter and body, so ``validate_exercise`` judges it exactly as
    it judges a file: one set of rules for the import and the editor."""
    meta: dict[str, Any] = {k: data.get(k) for k in ("kind", "audience", "minutes", "tags", "position",
                                                      "eyes_open_ok", "title", "summary")}
    for optional in ("audio", "why", "contact_if"):
        value = data.get(optional)
        if optional == "why" and isinstance(value, dict) and not any(value.values()):
            value = None  # an empty "why" is an absent one
        if value is not None:
            meta[optional] = value
    meta["steps"] = [{"seconds": s.get("seconds"), **({"breathing": s["breathing"]} if s.get("breathing") else {}),
                      **{lang: (s.get("text") or {}).get(lang) for lang in LANGUAGES}} for s in data.get("steps", [])]
    return meta, dict(data.get("body") or {})


def validate(slug: str, data: dict[str, Any], kind: str = "exercise") -> tuple[Content | None, list[Problem]]:
    """The import's own validators, given the draft in the shape a file would have."""
    if kind == "lesson":
        return lessons.validate_draft(slug, data)
    if kind == "course":
        fields = {k: data.get(k) for k in ("title", "summary", "weeks")}
        document, problems = validate_course(slug, fields)
        if document is not None:
            refs = [p for _slug, p in validate_references(get_catalog().exercises, {slug: document})]
            if refs:
                return None, refs
        return document, problems
    if kind == "resource":
        fields = {k: v for k, v in data.items() if v not in (None, "") and k != "slug"}
        if isinstance(fields.get("hours"), dict) and not any(fields["hours"].values()):
            fields.pop("hours")  # an empty "opening hours" is an absent one
        return validate_resource(slug, fields)
    meta, body = to_source(data)
    return validate_exercise(slug, meta, body)


def missing_translations(data: dict[str, Any]) -> list[str]:
    """Fields written in one language but not the other: shown next to the field while she writes."""
    missing = []

    def check(name: str, value: Any) -> None:
        if isinstance(value, dict):
            filled = {lang for lang in LANGUAGES if str(value.get(lang) or "").strip()}
            if filled and len(filled) < len(LANGUAGES):
                missing.append(name)

    for name in (*TEXT_FIELDS, "body", "name", "description", "hours"):
        check(name, data.get(name))
    for i, step in enumerate(data.get("steps", [])):
        check(f"steps[{i + 1}]", step.get("text"))
    for i, week in enumerate(data.get("weeks", [])):
        check(f"weeks[{i + 1}].theme", week.get("theme"))
        check(f"weeks[{i + 1}].intro", week.get("intro"))
    return missing


# --- drafts ---

@dataclass(frozen=True, slots=True)
class Draft:
    slug: str
    kind: str
    data: dict[str, Any]
    revision: int
    base_version: int | None
    published_version: int | None
    updated_at: datetime | None
    updated_by: str | None


class Stale(errors.Conflict):
    """Someone saved this draft after the page was loaded: her save is refused, theirs is shown."""

    def __init__(self, current: Draft) -> None:
        super().__init__(current.slug)
        self.current = current


class NotFound(errors.NotFound):
    """A slug that is neither published nor drafted."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"no content called {slug}")


async def _published(slug: str) -> tuple[int | None, dict[str, Any] | None, str | None]:
    item = await ContentItem.select(ContentItem.kind, ContentItem.published_version).where(
        ContentItem.slug == slug).first()
    if item is None or item["published_version"] is None:
        return None, None, item["kind"] if item else None
    row = await ContentVersion.select(ContentVersion.data).where(
        ContentVersion.id == item["published_version"]).output(load_json=True).first()
    return item["published_version"], row["data"], item["kind"]


def _editable(published: dict[str, Any], kind: str) -> dict[str, Any]:
    data = copy.deepcopy(upgrade_resource(published) if kind == "resource" else published)
    data.pop("slug", None)
    blank = {lang: "" for lang in LANGUAGES}
    if kind == "exercise" and data.get("why") is None:
        data["why"] = dict(blank)
    if kind == "resource" and data.get("hours") is None:
        data["hours"] = dict(blank)
    return data


async def get_draft(slug: str) -> Draft:
    """Her draft, or a fresh one from the published version (not stored until she saves)."""
    row = await ContentDraft.select(ContentDraft.all_columns(), ContentDraft.updated_by.email).where(
        ContentDraft.slug == slug).output(load_json=True).first()
    published_id, published, kind = await _published(slug)
    if row is not None:
        data = upgrade_resource(row["data"]) if row["kind"] == "resource" else row["data"]  # a draft from before kinds
        return Draft(slug, row["kind"], data, row["revision"], row["base_version"], published_id,
                     row["updated_at"], row["updated_by.email"])
    if published is None or kind not in DOCUMENT_KINDS:
        raise NotFound(slug)
    return Draft(slug, kind, _editable(published, kind), 0, published_id, published_id, None, None)


async def create_draft(slug: str, account_id: int, kind: str = "exercise") -> None:
    from server.content.schemas import SLUG_RE

    if not SLUG_RE.match(slug) or kind not in DOCUMENT_KINDS:
        raise ValueError("slug")
    if await ContentItem.exists().where(ContentItem.slug == slug) or await ContentDraft.exists().where(
            ContentDraft.slug == slug):
        raise FileExistsError(slug)
    await ContentDraft.insert(ContentDraft(kind=kind, slug=slug, data=json.dumps(EMPTY[kind]()),
                                           revision=1, updated_at=datetime.now(UTC), updated_by=account_id))
    await audit(account_id, "content.created", slug)


async def save_draft(slug: str, data: dict[str, Any], revision: int, account_id: int) -> int:
    """Stores the draft if ``revision`` is the one she loaded; returns the new revision, or raises Stale."""
    now = datetime.now(UTC)
    payload = json.dumps(data, ensure_ascii=False)
    async with db.transaction():
        if revision == 0:  # the first save of an edit that started from the published version
            current = await get_draft(slug)
            if current.revision != 0:
                raise Stale(current)
            await ContentDraft.insert(ContentDraft(kind=current.kind, slug=slug, data=payload, revision=1,
                                                   base_version=current.published_version, updated_at=now,
                                                   updated_by=account_id))
            return 1
        saved = await ContentDraft.update({ContentDraft.data: payload, ContentDraft.revision: revision + 1,
                                           ContentDraft.updated_at: now, ContentDraft.updated_by: account_id}).where(
            (ContentDraft.slug == slug) & (ContentDraft.revision == revision)).returning(ContentDraft.revision)
        if not saved:
            raise Stale(await get_draft(slug))
    return revision + 1


class Invalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


async def publish(slug: str, account_id: int, author: str) -> int:
    """Validates the saved draft and publishes it as a new version; the draft is then done with."""
    draft = await get_draft(slug)
    document, problems = validate(slug, draft.data, draft.kind)
    audio = document.audio if isinstance(document, Exercise) else None
    if audio and not (get_settings().content_dir / "audio" / audio).is_file():
        problems = [*problems, Problem("audio", f"no file content/audio/{audio}")]
        document = None
    if document is None:
        raise Invalid(problems)
    report = await import_documents([Document(kind=draft.kind, slug=slug, content=document, path=slug)],
                                    author=author)
    await ContentDraft.delete().where(ContentDraft.slug == slug)
    version = (await _published(slug))[0]
    await audit(account_id, "content.published", slug, version=version, unchanged=bool(report.unchanged))
    await load_catalog()  # this process at once; the others within seconds
    return version or 0


# --- history ---

def readable(data: dict[str, Any]) -> str:
    plain = json.loads(json.dumps(data))  # the database driver may hand back dict subclasses YAML refuses
    return yaml.safe_dump(plain, allow_unicode=True, sort_keys=False, width=100)


@dataclass(frozen=True, slots=True)
class VersionView:
    id: int
    number: int
    published_at: datetime | None
    created_by: str
    current: bool
    diff: list[str]  # unified diff against the version before it


async def history(slug: str) -> list[VersionView]:
    item = await ContentItem.select(ContentItem.id, ContentItem.published_version).where(
        ContentItem.slug == slug).first()
    if item is None:
        raise NotFound(slug)
    rows = await ContentVersion.select(ContentVersion.id, ContentVersion.number, ContentVersion.data,
                                       ContentVersion.published_at, ContentVersion.created_by).where(
        ContentVersion.item == item["id"]).order_by(ContentVersion.number).output(load_json=True)
    views, previous = [], ""
    for row in rows:
        text = readable(row["data"])
        diff = list(difflib.unified_diff(previous.splitlines(), text.splitlines(), lineterm="", n=1,
                                         fromfile=f"v{row['number'] - 1}", tofile=f"v{row['number']}"))[2:]
        views.append(VersionView(row["id"], row["number"], row["published_at"], row["created_by"],
                                 row["id"] == item["published_version"], diff))
        previous = text
    return list(reversed(views))


async def rollback(slug: str, version_id: int, account_id: int, author: str) -> int:
    """Republishes an older version's content as a new version (history is never rewritten)."""
    row = await ContentVersion.select(ContentVersion.data, ContentVersion.number, ContentVersion.item.slug,
                                      ContentVersion.item.kind).where(
        ContentVersion.id == version_id).output(load_json=True).first()
    if row is None or row["item.slug"] != slug:
        raise NotFound(slug)
    document = typed(row["item.kind"], row["data"])
    await import_documents([Document(kind=row["item.kind"], slug=slug, content=document, path=slug)], author=author)
    await ContentDraft.delete().where(ContentDraft.slug == slug)
    version = (await _published(slug))[0]
    await audit(account_id, "content.rolled_back", slug, to_number=row["number"], version=version)
    await load_catalog()
    return version or 0


async def overview(query: str = "", kind: str = "") -> list[dict[str, Any]]:
    """Everything, published or only drafted, for the editor's list (search over slug, titles and names).
    ``kind`` filters by an exercise kind (mindfulness, …) or by "course" / "resource"."""
    # Questionnaires (WHO-5) are published wording kept verbatim: not offered for editing.
    items = await ContentItem.select(ContentItem.slug, ContentItem.kind, ContentItem.published_version).where(
        ContentItem.kind.is_in(list(DOCUMENT_KINDS)))
    published = {r["id"]: r["data"] for r in await ContentVersion.select(ContentVersion.id, ContentVersion.data).where(
        ContentVersion.id.is_in([i["published_version"] for i in items if i["published_version"]] or [0])
    ).output(load_json=True)}
    drafts = {r["slug"]: r for r in await ContentDraft.select(ContentDraft.slug, ContentDraft.kind, ContentDraft.data,
                                                               ContentDraft.updated_at).output(load_json=True)}
    rows = []
    for slug in sorted({i["slug"] for i in items} | set(drafts)):
        item = next((i for i in items if i["slug"] == slug), None)
        data = published.get(item["published_version"]) if item else None
        draft = drafts.get(slug)
        draft_data = draft["data"] if draft else None
        shown = draft_data or data or {}
        document_kind = item["kind"] if item else draft["kind"]
        rows.append({"slug": slug, "title": shown.get("title") or shown.get("name") or {},
                     "kind": shown.get("kind") if document_kind == "exercise" else document_kind,
                     "audience": shown.get("audience", []), "published": data is not None, "draft": draft is not None,
                     "missing": missing_translations(shown)})
    q = query.strip().lower()
    return [r for r in rows if (not q or q in r["slug"] or any(q in (t or "").lower() for t in r["title"].values()))
            and (not kind or r["kind"] == kind)]
