"""The editors' workspace: find content, write an exercise in Danish and English side by side, see it in
the real player at phone size, publish it as a new version, read its history and roll back."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader, UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server import db
from server.accounts.guards import SESSION, SignedIn, requires_role
from server.content.catalog import get_catalog
from server.content.schemas import AUDIENCES, KINDS, POSITIONS, RESOURCE_AUDIENCES, TAGS
from server.editor import audio, lessons, services
from server.editor.forms import (
    apply_step_action,
    apply_week_action,
    read_course_form,
    read_form,
    read_resource_form,
)
from server.editor.messages import describe
from server.lib.i18n import N_, _
from server.lib.markdown import render_markdown
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.municipalities import regions
from server.settings import LANGUAGES, get_settings

TEMPLATES = {"exercise": "editor/edit.html", "course": "editor/edit_course.html",
             "resource": "editor/edit_resource.html", "lesson": "editor/edit_lesson.html"}
READERS = {"exercise": read_form, "course": read_course_form, "resource": read_resource_form,
           "lesson": lessons.read_lesson_form}

AUDIO_REFUSED = {
    "too_big": N_("The recording is larger than 30 MB. Please upload a smaller file."),
    "not_audio": N_("This file is not an MP3, M4A, Ogg or WebM recording."),
    "unreadable": N_("This recording could not be read. It may be damaged; please export it again."),
}


def _edit_page(request: Request, account, draft: services.Draft, *, data: dict[str, Any] | None = None,
               status_code: int = 200, problems: list | None = None, stale: services.Draft | None = None,
               published: int | None = None, saved: bool = False, audio_note: str | None = None,
               audio_error: str | None = None) -> Template:
    data = data if data is not None else draft.data
    if problems is None:
        problems = services.validate(draft.slug, data, draft.kind)[1]
    # Courses may hold practices for patients only (the import's rule), offered by title.
    practices = sorted(((slug, e.title[request.state.language]) for slug, e in get_catalog().exercises.items()
                        if "patient" in e.audience), key=lambda p: p[1])
    return page(request, TEMPLATES[draft.kind], status_code=status_code, account=account, draft=draft, data=data,
                resource_audiences=RESOURCE_AUDIENCES, regions=regions(), practices=practices,
                problems=[describe(p) for p in problems], missing=services.missing_translations(data), stale=stale,
                their_text=services.readable(stale.data) if stale else "",
                published=published, saved=saved, kinds=KINDS, audiences=AUDIENCES, tags=TAGS, positions=POSITIONS,
                audio_note=audio_note, audio_error=audio_error,
                source=lessons.lesson_source(data, draft.slug) if draft.kind == "lesson" else "")


class EditorController(Controller):
    path = "/workspace/content"
    cache_control = CacheControlHeader(no_store=True)
    guards = [requires_role("editor")]
    dependencies = {"session": SESSION}

    @get("/", name="editor:list")
    async def overview(self, request: Request, session: SignedIn, q: FromQuery[str] = "",
                       kind: FromQuery[str] = "") -> Template:
        rows = await services.overview(q[:100], kind if kind in KINDS or kind in ("course", "resource", "lesson")
                                       else "")
        return page(request, "editor/list.html", account=session.account, rows=rows, q=q[:100], kind=kind,
                    kinds=KINDS, error=None)

    @post("/new", name="editor:new", status_code=303)
    async def new(self, request: Request, session: SignedIn) -> Redirect | Template:
        form = await request.form()
        slug = str(form.get("slug") or "").strip().lower()
        kind = str(form.get("type") or "exercise")
        try:
            await services.create_draft(slug, session.account.id, kind)
        except (ValueError, FileExistsError) as exc:
            message = (_("That name is taken. Please choose another.") if isinstance(exc, FileExistsError) else
                       _("Use 3 to 60 lowercase letters, digits and dashes, e.g. calm-evening-breath."))
            return page(request, "editor/list.html", status_code=400, account=session.account,
                        rows=await services.overview(), q="", kind="", kinds=KINDS, error=message)
        return redirect_to(request, "editor:edit", slug=slug)

    @get("/{slug:str}", name="editor:edit")
    async def edit(self, request: Request, session: SignedIn, slug: FromPath[str], saved: FromQuery[str] = "",
                   published: FromQuery[int | None] = None) -> Template:
        draft = await services.get_draft(slug)
        return _edit_page(request, session.account, draft, saved=bool(saved), published=published)

    @post("/{slug:str}", name="editor:save", status_code=200)
    async def save(self, request: Request, session: SignedIn, slug: FromPath[str]) -> Response | Template | Redirect:
        """Save (also autosave, as JSON), a step button, or publish: all from the one form."""
        autosave = request.headers.get("x-autosave") == "1"
        current = await services.get_draft(slug)  # 404 for a slug that is neither published nor drafted
        form = await request.form()
        data, action = READERS[current.kind](form)
        revision = int(str(form.get("revision") or "-1")) if str(form.get("revision") or "").isdigit() else -1
        if current.kind == "exercise":
            apply_step_action(data, action)
        elif current.kind == "course":
            apply_week_action(data, action)
        try:
            new_revision = await services.save_draft(slug, data, revision, session.account.id)
        except services.Stale as stale:
            if autosave:
                return Response({"error": _("Someone else has saved this draft. Reload to see their change."),
                                 "revision": stale.current.revision}, status_code=409)
            # Her text stays in the form; the other editor's saved version is shown beside it.
            return _edit_page(request, session.account, stale.current, data=data, status_code=409,
                              stale=stale.current)
        if autosave:
            return Response({"revision": new_revision, "missing": services.missing_translations(data),
                             "problems": [describe(p) for p in services.validate(slug, data, current.kind)[1]]})
        if action == "publish":
            try:
                version = await services.publish(slug, session.account.id, session.account.email)
            except services.Invalid as invalid:
                current = await services.get_draft(slug)
                return _edit_page(request, session.account, current, status_code=400, problems=invalid.problems)
            return redirect_to(request, "editor:edit", query=f"?published={version}", slug=slug)
        return redirect_to(request, "editor:edit", query="?saved=1", slug=slug)

    @post("/{slug:str}/audio", name="editor:audio", status_code=200,
          request_max_body_size=audio.MAX_BYTES + 64 * 1024)
    async def upload_audio(self, request: Request, session: SignedIn, slug: FromPath[str]) -> Template:
        """A recording for the exercise, checked by its content and stored under a name we make."""
        draft = await services.get_draft(slug)
        if draft.kind != "exercise":
            raise NotFoundException()
        data = (await request.form()).get("data")
        if not isinstance(data, UploadFile):
            problem = "not_audio"  # no file at all is answered like a file that is not a recording
            return _edit_page(request, session.account, draft, status_code=400, audio_error=_(AUDIO_REFUSED[problem]))
        try:
            stored = audio.store(await data.read(), slug, get_settings().content_dir / "audio")
        except audio.Refused as refused:
            return _edit_page(request, session.account, draft, status_code=413 if str(refused) == "too_big" else 400,
                              audio_error=_(AUDIO_REFUSED[str(refused)]))
        updated = {**draft.data, "audio": stored.name}
        try:
            await services.save_draft(slug, updated, draft.revision, session.account.id)
        except services.Stale as stale:
            return _edit_page(request, session.account, stale.current, status_code=409, stale=stale.current)
        await services.audit(session.account.id, "content.audio_uploaded", slug, file=stored.name)
        steps = sum(s.get("seconds") or 0 for s in updated.get("steps", []))
        if stored.seconds is None:
            note = _("Recording saved. Its length could not be read, so please check it against the steps.")
        elif abs(stored.seconds - steps) > max(15, 0.15 * steps):
            note = _("Recording saved. It lasts %(audio)s, but the steps add up to %(steps)s: please make them "
                     "match.", audio=_mmss(stored.seconds), steps=_mmss(steps))
        else:
            note = _("Recording saved. It lasts %(audio)s, which fits the steps.", audio=_mmss(stored.seconds))
        return _edit_page(request, session.account, await services.get_draft(slug), audio_note=note)

    @get("/{slug:str}/preview", name="editor:preview")
    async def preview(self, request: Request, slug: FromPath[str]) -> Template:
        """The real player with the draft, at phone size in the edit page's frame; it records nothing."""
        draft = await services.get_draft(slug)
        if draft.kind == "lesson":  # the staff lesson page with the draft; its script records nothing here
            response = page(request, "staff/lesson.html", previous=None, following=None, chosen={}, answered={},
                            error="", preview=True, **lessons.preview(slug, draft.data))
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
            return response
        if draft.kind != "exercise":
            raise NotFoundException()  # courses and resources are not played
        # A draft need not be valid yet, so it cannot be an Exercise: the player gets a dict that holds the
        # fields it reads under the same names, with blanks where the draft has none.
        data = draft.data
        steps = [{"seconds": s.get("seconds") or 0, "text": s.get("text") or {}, "breathing": s.get("breathing")}
                 for s in data.get("steps", [])]
        exercise = {**data, "slug": slug, "version_id": 0, "steps": steps, "audio": data.get("audio"),
                    "body_html": {lang: render_markdown((data.get("body") or {}).get(lang, "")) for lang in LANGUAGES},
                    "seconds": sum(s["seconds"] for s in steps)}
        response = page(request, "content/player.html", exercise=exercise, time_scale=get_settings().time_scale,
                        staff_pause=False, before="", autostart=False, preview=True)
        response.headers["X-Frame-Options"] = "SAMEORIGIN"  # shown in the editor's own frame, nowhere else
        return response

    @get("/{slug:str}/history", name="editor:history")
    async def history(self, request: Request, session: SignedIn, slug: FromPath[str]) -> Template:
        versions = await services.history(slug)
        return page(request, "editor/history.html", account=session.account, slug=slug, versions=versions)

    @post("/{slug:str}/rollback/{version_id:int}", name="editor:rollback", status_code=303)
    async def rollback(self, request: Request, session: SignedIn, slug: FromPath[str],
                       version_id: FromPath[int]) -> Redirect:
        if not db.row_id(version_id):  # no version has it (PostgreSQL would answer it with an error)
            raise NotFoundException
        version = await services.rollback(slug, version_id, session.account.id, session.account.email)
        return redirect_to(request, "editor:edit", query=f"?published={version}", slug=slug)


def _mmss(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
