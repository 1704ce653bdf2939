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
from server.content.review import Check
from server.content.review import describe as describe_check
from server.content.schemas import AUDIENCES, KINDS, POSITIONS, RESOURCE_AUDIENCES, TAGS
from server.content.services import NotAwaiting
from server.content.support import Place
from server.content.validation import confirmed_on_problem
from server.editor import audio, lessons, services
from server.editor.forms import (
    apply_step_action,
    apply_week_action,
    read_course_form,
    read_form,
    read_resource_form,
)
from server.editor.messages import describe, explain, field_label
from server.editor.schemas import ConfirmForm, ReviewedForm
from server.lib.forms import FormOf, form_of
from server.lib.i18n import N_, _, ngettext
from server.lib.localtime import today
from server.lib.markdown import render_markdown
from server.lib.paths import redirect_to
from server.lib.templates import page
from server.participants.municipalities import regions
from server.settings import LANGUAGES, get_settings

TEMPLATES = {"exercise": "editor/edit.html", "course": "editor/edit_course.html",
             "resource": "editor/edit_resource.html", "lesson": "editor/edit_lesson.html"}
REVIEWED_FORM, CONFIRM_FORM = form_of(ReviewedForm), form_of(ConfirmForm)
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
               audio_error: str | None = None, awaiting: int | None = None, **extra: Any) -> Template:
    """``awaiting``: the version that awaits review, if any; ``extra``: what a page built on this one adds (a
    coordinator's local offer: ``local=True`` and her municipalities)."""
    data = data if data is not None else draft.data
    document, found = services.validate(draft.slug, data, draft.kind)
    if problems is None:
        problems = found
    # A resource is previewed as the support page shows it, once it is valid.
    preview = document if draft.kind == "resource" and not found else None
    # Courses may hold practices for patients only (the import's rule), offered by title.
    messages = [explain(p) for p in problems]
    by_control: dict[str, list[str]] = {}
    for message in messages:
        by_control.setdefault(message.control, []).append(message.text)
    practices = sorted(((slug, e.title[request.state.language]) for slug, e in get_catalog().exercises.items()
                        if "patient" in e.audience), key=lambda p: p[1])
    return page(request, TEMPLATES[draft.kind], status_code=status_code, account=account, draft=draft, data=data,
                resource_audiences=RESOURCE_AUDIENCES, regions=regions(), practices=practices,
                problems=messages, field_problems=by_control, problem_summary=_summary(len(messages)),
                missing=services.missing_translations(data), stale=stale,
                their_text=services.readable(stale.data) if stale else "",
                published=published, saved=saved, kinds=KINDS, audiences=AUDIENCES, tags=TAGS, positions=POSITIONS,
                audio_note=audio_note, audio_error=audio_error, awaiting=awaiting, preview=preview,
                preview_place=Place(), source=lessons.lesson_source(data, draft.slug) if draft.kind == "lesson" else "",
                **extra)


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

    @post("/{slug:str}/reviewed", name="editor:publish_reviewed", status_code=303,
          dependencies={"form": REVIEWED_FORM})
    async def publish_reviewed(self, request: Request, session: SignedIn, slug: FromPath[str],
                               form: FormOf[ReviewedForm]) -> Redirect | Template:
        """"Publish after review": the version that awaits review, as the overview showed it, without its mark."""
        problem, status = None, 400
        if form.value is None:
            problem = form.message
        else:
            try:
                version = await services.publish_after_review(slug, form.value.version, session.account.id,
                                                              session.account.email)
            except services.DraftOpen:
                problem, status = _(DRAFT_OPEN), 409
            except NotAwaiting:
                problem, status = _("This no longer awaits review: it was published, or a newer version came. "
                                    "Look at it again before publishing."), 409
            else:
                return redirect_to(request, "editor:edit", query=f"?published={version}", slug=slug)
        return page(request, "editor/list.html", status_code=status, account=session.account,
                    rows=await services.overview(), q="", kind="", kinds=KINDS, error=None, review_error=problem)

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
        return _edit_page(request, session.account, draft, saved=bool(saved), published=published,
                          awaiting=await services.awaiting_version(slug))

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
            problems = services.validate(slug, data, current.kind)[1]
            return Response({"revision": new_revision, "missing": services.missing_translations(data),
                             "problems": [describe(p) for p in problems], "summary": _summary(len(problems))})
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
        return page(request, "editor/history.html", account=session.account, slug=slug, versions=versions,
                    label=field_label)

    @post("/{slug:str}/rollback/{version_id:int}", name="editor:rollback", status_code=303)
    async def rollback(self, request: Request, session: SignedIn, slug: FromPath[str],
                       version_id: FromPath[int]) -> Redirect:
        if not db.row_id(version_id):  # no version has it (PostgreSQL would answer it with an error)
            raise NotFoundException
        version = await services.rollback(slug, version_id, session.account.id, session.account.email)
        return redirect_to(request, "editor:edit", query=f"?published={version}", slug=slug)


DRAFT_OPEN = N_("An editor has a saved draft of this. Open it in the editor, and publish or confirm it there.")


class ChecksController(Controller):
    """"Needs checking": every ``verify: true`` still without ``confirmed_on`` in what is published or awaits
    review, and the confirmation that records the day it was checked as a new version."""

    path = "/workspace/checks"
    cache_control = CacheControlHeader(no_store=True)
    guards = [requires_role("editor")]
    dependencies = {"session": SESSION}

    @get("/", name="editor:checks")
    async def checks(self, request: Request, session: SignedIn, confirmed: FromQuery[str] = "") -> Template:
        return await _checks_page(request, session, confirmed=confirmed[:60])

    @post("/confirm", name="editor:confirm", status_code=303, dependencies={"form": CONFIRM_FORM})
    async def confirm(self, request: Request, session: SignedIn, form: FormOf[ConfirmForm]) -> Redirect | Template:
        if form.value is None:
            return await _checks_page(request, session, error=form.message, status_code=400)
        data = form.value
        problem = confirmed_on_problem(data.confirmed_on)
        if problem is not None:
            return await _checks_page(request, session, error=f"{_('Checked on')}: {problem}", status_code=400)
        try:
            await services.confirm_check(data.slug, data.version, data.where, data.confirmed_on, session.account.id,
                                         session.account.email)
        except services.DraftOpen:
            return await _checks_page(request, session, error=_(DRAFT_OPEN), status_code=409)
        except services.Superseded:
            return await _checks_page(request, session, status_code=409, error=_(
                "Someone changed this since the page was loaded, so nothing was recorded. Here is the list as it "
                "is now."))
        return redirect_to(request, "editor:checks", query=f"?confirmed={data.slug}")


async def _checks_page(request: Request, session: SignedIn, *, error: str | None = None, confirmed: str = "",
                       status_code: int = 200) -> Template:
    lang = request.state.language
    rows = [{"row": row, "what": describe_check(row.kind, Check(row.where, row.node), lang)}
            for row in await services.needs_checking()]
    return page(request, "editor/checks.html", status_code=status_code, account=session.account, rows=rows,
                error=error, confirmed=confirmed, today=today().isoformat(), kinds=KINDS)
def _summary(count: int) -> str:
    """What the action bar says about publishing: ready, or how many things are left to fix."""
    if not count:
        return _("Ready to publish.")
    return ngettext("%(num)d thing to fix before publishing", "%(num)d things to fix before publishing", count)


def _mmss(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
