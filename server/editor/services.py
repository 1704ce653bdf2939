"""The editor's rules, without HTTP: drafts with optimistic concurrency, validation by the same code as the
content/ import, publishing as a new immutable version, history with readable diffs, and rollback."""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import yaml

from server import db
from server.accounts.services import audit
from server.content.catalog import get_catalog
from server.content.loader import Document
from server.content.review import is_awaiting, locate, unconfirmed_checks
from server.content.schemas import (
    COUNTRY,
    KINDS,
    POSITIONS,
    RESOURCE_KINDS,
    SITE_PHONES,
    TAGS,
    Content,
    Exercise,
    typed,
    upgrade_resource,
)
from server.content.services import (
    import_documents,
    load_catalog,
    pending_review,
    pending_reviews,
    publish_reviewed,
)
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
from server.lib.i18n import N_, _
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
    for optional in ("audio", "why", "contact_if", "confirmed_on"):
        value = data.get(optional)
        if optional == "why" and isinstance(value, dict) and not any(value.values()):
            value = None  # an empty "why" is an absent one
        if value is not None:
            meta[optional] = value
    if data.get("verify"):
        meta["verify"] = True
    meta["steps"] = [{"seconds": s.get("seconds"), **({"breathing": s["breathing"]} if s.get("breathing") else {}),
                      **{lang: (s.get("text") or {}).get(lang) for lang in LANGUAGES}} for s in data.get("steps", [])]
    return meta, dict(data.get("body") or {})


def validate(slug: str, data: dict[str, Any], kind: str = "exercise") -> tuple[Content | None, list[Problem]]:
    """The import's own validators, given the draft in the shape a file would have. An editor publishing is the
    review, so a draft never carries ``review: awaiting`` into what it publishes."""
    data = {k: v for k, v in data.items() if k != "review"}
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


async def _editable_source(slug: str) -> tuple[int | None, dict[str, Any] | None, str | None]:
    """What a fresh draft starts from: the version awaiting review if there is one (the editor reviewing it
    may correct it before publishing), else the published version."""
    item = await ContentItem.select(ContentItem.id).where(ContentItem.slug == slug).first()
    pending = await pending_review(item["id"]) if item else None
    published_id, published, kind = await _published(slug)
    if pending is not None:
        return published_id, pending["data"], kind
    return published_id, published, kind


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
    data.pop("review", None)  # publishing from the editor is the review
    blank = {lang: "" for lang in LANGUAGES}
    if kind == "exercise" and data.get("why") is None:
        data["why"] = dict(blank)
    if kind == "resource" and data.get("hours") is None:
        data["hours"] = dict(blank)
    return data


async def get_draft(slug: str) -> Draft:
    """Her draft, or a fresh one from the version awaiting review or else the published one (not stored until
    she saves)."""
    row = await ContentDraft.select(ContentDraft.all_columns(), ContentDraft.updated_by.email).where(
        ContentDraft.slug == slug).output(load_json=True).first()
    published_id, published, kind = await (_published(slug) if row is not None else _editable_source(slug))
    if row is not None:
        data = upgrade_resource(row["data"]) if row["kind"] == "resource" else row["data"]  # a draft from before kinds
        return Draft(slug, row["kind"], data, row["revision"], row["base_version"], published_id,
                     row["updated_at"], row["updated_by.email"])
    if published is None or kind not in DOCUMENT_KINDS:
        raise NotFound(slug)
    return Draft(slug, kind, _editable(published, kind), 0, published_id, published_id, None, None)


async def create_draft(slug: str, account_id: int, kind: str = "exercise",
                       data: dict[str, Any] | None = None) -> None:
    """A new draft, empty or starting from ``data`` (a coordinator's local offer starts with her municipalities)."""
    from server.content.schemas import SLUG_RE

    if not SLUG_RE.match(slug) or kind not in DOCUMENT_KINDS:
        raise ValueError("slug")
    if await ContentItem.exists().where(ContentItem.slug == slug) or await ContentDraft.exists().where(
            ContentDraft.slug == slug):
        raise FileExistsError(slug)
    start = data if data is not None else EMPTY[kind]()
    await ContentDraft.insert(ContentDraft(kind=kind, slug=slug, data=json.dumps(start, ensure_ascii=False),
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
    return await _publish_document(slug, draft, account_id, author)


async def _publish_document(slug: str, draft: Draft, account_id: int, author: str,
                            action: str = "content.published", **details: Any) -> int:
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
    await audit(account_id, action, slug, version=version, unchanged=bool(report.unchanged), **details)
    await load_catalog()  # this process at once; the others within seconds
    return version or 0


# --- history ---

def readable(data: dict[str, Any]) -> str:
    plain = json.loads(json.dumps(data))  # the database driver may hand back dict subclasses YAML refuses
    return yaml.safe_dump(plain, allow_unicode=True, sort_keys=False, width=100)


@dataclass(frozen=True, slots=True)
class Change:
    """One field that differs between two versions: its path and the words, each marked kept, gone or new."""

    path: str
    parts: list[tuple[str, str]]  # ("same" | "del" | "ins", text)


@dataclass(frozen=True, slots=True)
class VersionView:
    id: int
    number: int
    published_at: datetime | None
    created_by: str
    current: bool
    changes: list[Change]  # against the version before it, field by field
    awaiting: bool = False  # stored with ``review: awaiting``: never shown to participants as it is


AUDIENCE_WORDS = {"patient": N_("Patients"), "staff": N_("Staff"), "partner": N_("Partners")}


def _words(path: str, kind: str) -> dict[str, str] | None:
    """The labels the form shows for a field that holds codes, so history speaks as the form does."""
    if path == "kind":
        return RESOURCE_KINDS if kind == "resource" else KINDS
    return {"tags": TAGS, "position": POSITIONS, "audience": AUDIENCE_WORDS, "site_phone": SITE_PHONES}.get(path)


def flatten(value: Any, path: str = "", kind: str = "exercise") -> dict[str, str]:
    """A document as {field path: its text}, in the document's order: ``steps[2].da``, ``contact_if.en``
    (a list of lines as lines), ``tags`` (codes as the form's labels, in alphabetical order, so a new
    order of the same choices is no change)."""
    words = _words(path, kind)
    if words is not None and isinstance(value, str | list):
        codes = [value] if isinstance(value, str) else value
        return {path: ", ".join(sorted(_(words[c]) if c in words else str(c) for c in codes))}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, inner in value.items():
            if key == "slug":
                continue
            out |= flatten(inner, f"{path}.{key}" if path else str(key), kind)
        return out
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        out = {}
        for i, inner in enumerate(value, start=1):
            if isinstance(inner, dict) and path == "steps" and isinstance(inner.get("text"), dict):
                inner = {**inner["text"], **{k: v for k, v in inner.items() if k != "text"}}
            out |= flatten(inner, f"{path}[{i}]", kind)
        return out
    if isinstance(value, list):
        joiner = "\n" if all(isinstance(v, str) and " " in v for v in value) else ", "
        return {path: joiner.join(map(str, value))}
    if value is None:
        return {path: ""}
    if isinstance(value, bool):
        return {path: "✓" if value else "–"}
    return {path: str(value)}


_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The two texts as runs of kept, removed and added words (difflib over words, not lines)."""
    a, b = _WORDS.findall(before), _WORDS.findall(after)
    # Runs of changes with only spaces between them are one change: "<del>two words</del><ins>new ones</ins>".
    runs: list[list] = []
    codes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for k, (op, i1, i2, j1, j2) in enumerate(codes):
        gap = op == "equal" and 0 < k < len(codes) - 1 and not "".join(a[i1:i2]).strip()
        if op == "equal" and not gap:
            runs.append(["same", i1, i2, j1, j2])
        elif runs and runs[-1][0] == "change":
            runs[-1][2], runs[-1][4] = i2, j2
        else:
            runs.append(["change", i1, i2, j1, j2])
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in runs:
        if op == "same":
            parts.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("ins", "".join(b[j1:j2])))
    return parts


def compare(before: dict[str, Any], after: dict[str, Any], kind: str = "exercise") -> list[Change]:
    """Every field whose text differs, in the newer version's order (fields it dropped last)."""
    old, new = flatten(before, kind=kind), flatten(after, kind=kind)
    paths = list(new) + [p for p in old if p not in new]
    return [Change(p, word_diff(old.get(p, ""), new.get(p, ""))) for p in paths if old.get(p, "") != new.get(p, "")]


async def history(slug: str) -> list[VersionView]:
    item = await ContentItem.select(ContentItem.id, ContentItem.kind, ContentItem.published_version).where(
        ContentItem.slug == slug).first()
    if item is None:
        raise NotFound(slug)
    rows = await ContentVersion.select(ContentVersion.id, ContentVersion.number, ContentVersion.data,
                                       ContentVersion.published_at, ContentVersion.created_by).where(
        ContentVersion.item == item["id"]).order_by(ContentVersion.number).output(load_json=True)
    views, previous = [], None
    for row in rows:
        data = json.loads(json.dumps(row["data"]))
        changes = compare(previous, data, item["kind"]) if previous is not None else []
        views.append(VersionView(row["id"], row["number"], row["published_at"], row["created_by"],
                                 row["id"] == item["published_version"], changes, is_awaiting(row["data"])))
        previous = data
    return list(reversed(views))


async def rollback(slug: str, version_id: int, account_id: int, author: str) -> int:
    """Republishes an older version's content as a new version (history is never rewritten)."""
    row = await ContentVersion.select(ContentVersion.data, ContentVersion.number, ContentVersion.item.slug,
                                      ContentVersion.item.kind).where(
        ContentVersion.id == version_id).output(load_json=True).first()
    if row is None or row["item.slug"] != slug:
        raise NotFound(slug)
    # Choosing a version to publish is reviewing it: an awaiting one is published without its mark.
    document = typed(row["item.kind"], {k: v for k, v in row["data"].items() if k != "review"})
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
    # A kind the editor cannot write yet is listed while a version of it awaits review, so it can be published.
    items = await ContentItem.select(ContentItem.id, ContentItem.slug, ContentItem.kind,
                                     ContentItem.published_version).where(ContentItem.kind != "questionnaire")
    pending = await pending_reviews([i["id"] for i in items])
    items = [i for i in items if i["kind"] in DOCUMENT_KINDS or i["id"] in pending]
    published = {r["id"]: r["data"] for r in await ContentVersion.select(ContentVersion.id, ContentVersion.data).where(
        ContentVersion.id.is_in([i["published_version"] for i in items if i["published_version"]] or [0])
    ).output(load_json=True)}
    drafts = {r["slug"]: r for r in await ContentDraft.select(ContentDraft.slug, ContentDraft.kind, ContentDraft.data,
                                                               ContentDraft.updated_at).output(load_json=True)}
    rows = []
    for slug in sorted({i["slug"] for i in items} | set(drafts)):
        item = next((i for i in items if i["slug"] == slug), None)
        data = published.get(item["published_version"]) if item else None
        awaiting = pending.get(item["id"]) if item else None
        draft = drafts.get(slug)
        draft_data = draft["data"] if draft else None
        shown = draft_data or (awaiting or {}).get("data") or data or {}
        document_kind = item["kind"] if item else draft["kind"]
        rows.append({"slug": slug, "title": shown.get("title") or shown.get("name") or {},
                     "kind": shown.get("kind") if document_kind == "exercise" else document_kind,
                     "audience": shown.get("audience", []), "published": data is not None, "draft": draft is not None,
                     "missing": missing_translations(shown), "awaiting": awaiting["id"] if awaiting else None})
    q = query.strip().lower()
    rows.sort(key=lambda r: r["awaiting"] is None)  # what awaits review first: it waits for an editor
    return [r for r in rows if (not q or q in r["slug"] or any(q in (t or "").lower() for t in r["title"].values()))
            and (not kind or r["kind"] == kind)]


# --- review: publishing what awaits review, and the checks an editor still owes ---

async def publish_after_review(slug: str, version_id: int, account_id: int, author: str) -> int:
    """Publishes the version that awaits review (stored without its ``review`` mark); who and when go to the
    audit log. Raises NotAwaiting (a conflict) when that version no longer awaits review."""
    if await ContentDraft.exists().where(ContentDraft.slug == slug):
        raise DraftOpen(slug)
    number, version = await publish_reviewed(slug, version_id, author=author)
    await audit(account_id, "content.published_after_review", slug, reviewed_number=number, version=version)
    await load_catalog()
    return version


async def awaiting_version(slug: str) -> int | None:
    """The id of the item's version that awaits review, if it has one."""
    item = await ContentItem.select(ContentItem.id).where(ContentItem.slug == slug).first()
    pending = await pending_review(item["id"]) if item else None
    return pending["id"] if pending else None


class DraftOpen(errors.Conflict):
    """An editor has a saved draft of this item: publishing or confirming beside it would pass over her work."""


@dataclass(frozen=True, slots=True)
class CheckRow:
    slug: str
    kind: str
    title: dict[str, str]
    version_id: int  # the version listed: a confirmation names it, so a newer one makes it stale
    where: str  # "" for the document itself, else e.g. "sections[2]"
    node: dict[str, Any]
    awaiting: bool


async def _current_versions() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(item, version) for every item's current version: the one awaiting review if any, else the published."""
    items = await ContentItem.select(ContentItem.id, ContentItem.slug, ContentItem.kind,
                                     ContentItem.published_version).where(ContentItem.kind != "questionnaire")
    pending = await pending_reviews([i["id"] for i in items])
    published = {r["id"]: r for r in await ContentVersion.select(ContentVersion.id, ContentVersion.data).where(
        ContentVersion.id.is_in([i["published_version"] for i in items if i["published_version"]] or [0])
    ).output(load_json=True)}
    out = []
    for item in items:
        version = pending.get(item["id"]) or published.get(item["published_version"])
        if version is not None:
            out.append((item, version))
    return out


async def needs_checking() -> list[CheckRow]:
    """Every ``verify: true`` without ``confirmed_on`` in what is published or awaits review, by title."""
    rows = []
    for item, version in await _current_versions():
        data = version["data"]
        title = data.get("title") or data.get("name") or {}
        for check in unconfirmed_checks(item["kind"], data):
            rows.append(CheckRow(item["slug"], item["kind"], title, version["id"], check.where, check.node,
                                 is_awaiting(data)))
    return sorted(rows, key=lambda r: (not r.awaiting, r.title.get("da") or r.slug, r.where))


class Superseded(errors.Conflict):
    """The version a page showed is no longer the current one: the page was stale."""


class NothingToConfirm(errors.NotFound):
    """No check at that place of that document (a wrong address, or not a ``verify: true`` there)."""


async def confirm_check(slug: str, version_id: int, where: str, day: date, account_id: int, author: str) -> int:
    """Records ``confirmed_on`` at one place of the current version, as a new version by the import's own path
    (the one publishing and rollback take), so it has history and can be rolled back. A version that awaits
    review stays awaiting (a new awaiting version); a published one is published again with the date.
    Raises Superseded when ``version_id`` is no longer the current version (someone confirmed or published
    meanwhile), DraftOpen when an editor has a draft of it (confirm in the editor instead)."""
    current = next(((item, version) for item, version in await _current_versions() if item["slug"] == slug), None)
    if current is None:
        raise NotFound(slug)
    item, version = current
    if version["id"] != version_id:
        raise Superseded(slug)
    if await ContentDraft.exists().where(ContentDraft.slug == slug):
        raise DraftOpen(slug)
    data = copy.deepcopy(version["data"])
    node = locate(data, where)
    if node is None or node.get("verify") is not True or node.get("confirmed_on"):
        raise NothingToConfirm(slug)
    node["confirmed_on"] = day.isoformat()
    document = typed(item["kind"], data)
    await import_documents([Document(kind=item["kind"], slug=slug, content=document, path=slug)], author=author)
    await audit(account_id, "content.confirmed", slug, where=where or "-", confirmed_on=day.isoformat(),
                awaiting=is_awaiting(data))
    await load_catalog()
    return version_id
