"""The editor: drafts, the same validation as the import, publishing, what patients then see, history,
rollback, two editors at once, and markup that must stay inert."""

from __future__ import annotations

import copy
import re

import msgspec
import pytest

from server.content.catalog import get_catalog
from server.content.tables import ContentItem, ContentVersion
from tests.support import csrf_token


def form_from(data: dict, token: str, revision: int, action: str = "save") -> dict:
    """The edit form as a browser would send it for ``data`` (the draft's shape)."""
    form: dict = {"_csrf_token": token, "revision": str(revision), "action": action, "kind": data["kind"],
                  "audience": data["audience"], "minutes": str(data["minutes"] or ""), "tags": data["tags"],
                  "position": data.get("position") or [], "steps_count": str(len(data["steps"]))}
    if data.get("eyes_open_ok"):
        form["eyes_open_ok"] = "yes"
    for name in ("title", "summary", "why", "body"):
        for lang in ("da", "en"):
            form[f"{name}_{lang}"] = (data.get(name) or {}).get(lang, "")
    for lang in ("da", "en"):
        form[f"contact_if_{lang}"] = "\n".join((data.get("contact_if") or {}).get(lang, []))
    for i, step in enumerate(data["steps"]):
        form[f"step{i}_seconds"] = str(step["seconds"] or "")
        for lang in ("da", "en"):
            form[f"step{i}_{lang}"] = step["text"][lang]
        for part, value in (step.get("breathing") or {}).items():
            form[f"step{i}_{part}"] = str(value)
    return form


def plain(document: msgspec.Struct, *catalog_only: str) -> dict:
    """A published document as plain JSON-like data (lists, not tuples), without the slug and what only the
    catalog adds: the shape of a draft."""
    data = msgspec.json.decode(msgspec.json.encode(document))
    for key in ("slug", *catalog_only):
        data.pop(key)
    return data


def published_data(slug: str) -> dict:
    data = plain(get_catalog().exercises[slug], "version_id", "version", "body_html")
    if data.get("why") is None:
        data["why"] = {"da": "", "en": ""}
    return data


async def save(client, slug: str, data: dict, revision: int, action: str = "save", **headers):
    page = await client.get(f"/workspace/content/{slug}")
    return await client.post(f"/workspace/content/{slug}", data=form_from(data, csrf_token(page.text), revision,
                                                                           action), headers=headers)


NEW = {
    "kind": "mindfulness", "audience": ["patient"], "minutes": 1, "tags": ["short"], "position": ["sitting"],
    "eyes_open_ok": True, "title": {"da": "Et kort stop", "en": "A short stop"},
    "summary": {"da": "Et minut til dig selv.", "en": "A minute for yourself."}, "why": {"da": "", "en": ""},
    "contact_if": None, "body": {"da": "Sæt dig godt.", "en": "Sit comfortably."},
    "steps": [{"seconds": 30, "text": {"da": "Mærk fødderne.", "en": "Feel your feet."}, "breathing": None},
              {"seconds": 30, "text": {"da": "Træk vejret roligt.", "en": "Breathe calmly."},
               "breathing": {"inhale": 4, "hold": 0, "exhale": 6, "hold_after": 0}}],
}


async def test_a_new_exercise_is_checked_like_a_file_and_published_for_patients(editor, patient):
    page = await editor.get("/workspace/content/")
    made = await editor.post("/workspace/content/new", data={"_csrf_token": csrf_token(page.text),
                                                             "slug": "a-short-stop"})
    assert made.headers["location"] == "/workspace/content/a-short-stop"
    half = copy.deepcopy(NEW)
    half["title"]["en"] = ""
    assert (await save(editor, "a-short-stop", half, 1)).status_code == 303
    edit = await editor.get("/workspace/content/a-short-stop")
    assert "Written in one language only" in edit.text or "Skrevet på ét sprog" in edit.text
    refused = await save(editor, "a-short-stop", half, 2, action="publish")
    assert refused.status_code == 400 and "Title (English) has no text yet" in refused.text
    assert "title.en" not in refused.text
    assert not await ContentItem.exists().where(ContentItem.slug == "a-short-stop")
    published = await save(editor, "a-short-stop", NEW, 3, action="publish")
    assert published.status_code == 303 and "published=" in published.headers["location"]
    shown = await patient.get("/exercises/a-short-stop/play")
    assert shown.status_code == 200 and "Feel your feet." in shown.text


async def test_a_refused_draft_is_told_in_the_editors_words_and_language(actors):
    danish = await actors.editor(lang="da")
    page = await danish.get("/workspace/content/")
    await danish.post("/workspace/content/new", data={"_csrf_token": csrf_token(page.text), "slug": "a-short-stop"})
    gap = copy.deepcopy(NEW)
    gap["steps"][1]["text"]["da"] = ""
    gap["steps"][0]["breathing"] = {"inhale": 30, "hold": 0, "exhale": 6, "hold_after": 0}
    refused = await save(danish, "a-short-stop", gap, 1, action="publish")
    assert refused.status_code == 400
    assert "steps[" not in refused.text
    # In the list at the top, each a link to its field ...
    assert '<a href="#step1_da">Trin 2 (dansk) mangler tekst</a>' in refused.text
    assert '<a href="#step0_inhale">Trin 1, Åndedrætsguide, Ind skal være mellem 2 og 8 (nu 30)</a>' in refused.text
    # ... and said again under the field itself, which names it for a screen reader.
    assert re.search(r'<textarea id="step1_da" [^>]*aria-invalid="true" aria-describedby="step1_da-problem"',
                     refused.text)
    assert '<p class="field-problem" id="step1_da-problem" lang="da">Trin 2 (dansk) mangler tekst</p>' in refused.text
    assert 'id="step0_inhale-problem" lang="da">Trin 1, Åndedrætsguide, Ind skal' in refused.text
    # The action bar says how much is left, in her language.
    assert re.search(r"data-problem-summary>\s*2 ting skal rettes før udgivelse", refused.text)


async def test_a_too_long_title_is_told_with_its_limit_next_to_it(actors):
    danish = await actors.editor(lang="da")
    page = await danish.get("/workspace/content/")
    await danish.post("/workspace/content/new", data={"_csrf_token": csrf_token(page.text), "slug": "a-short-stop"})
    long = copy.deepcopy(NEW)
    long["title"]["da"] = "En meget lang titel, der bliver ved og ved og ved"
    await save(danish, "a-short-stop", long, 1)
    edit = (await danish.get("/workspace/content/a-short-stop")).text
    said = f"Titel (dansk) er længere end 40 tegn (der er {len(long['title']['da'])})"
    assert f'<p class="field-problem" id="title_da-problem" lang="da">{said}</p>' in edit
    assert "title_en-problem" not in edit


async def test_history_diff_and_rollback(editor):
    slug = "breathing-space-3"
    original = published_data(slug)
    changed = copy.deepcopy(original)
    changed["title"]["da"] = "Tre rolige minutter"
    assert (await save(editor, slug, changed, 0, action="publish")).status_code == 303
    assert get_catalog().exercises[slug].title["da"] == "Tre rolige minutter"
    history = await editor.get(f"/workspace/content/{slug}/history")
    # Field by field, in words: only the Danish title changed, its changed words marked.
    changes = re.findall(r'<h3>(.*?)</h3>\s*<p class="change-text">(.*?)</p>', history.text)
    assert changes == [("Title (Danish)", "Tre <del>minutters pusterum</del><ins>rolige minutter</ins>")]
    assert original["title"]["da"] == "Tre minutters pusterum"
    assert "title:" not in history.text and "steps:" not in history.text  # not YAML
    first = await ContentVersion.select(ContentVersion.id).where(
        (ContentVersion.item.slug == slug) & (ContentVersion.number == 1)).first()
    await editor.post(f"/workspace/content/{slug}/rollback/{first['id']}",
                      data={"_csrf_token": csrf_token(history.text)})
    assert get_catalog().exercises[slug].title["da"] == original["title"]["da"]
    numbers = [r["number"] for r in await ContentVersion.select(ContentVersion.number).where(
        ContentVersion.item.slug == slug)]
    assert sorted(numbers) == [1, 2, 3]  # a rollback adds a version; history is never rewritten


async def test_the_second_save_of_a_stale_draft_gets_409_and_keeps_her_text(actors):
    slug = "stop-practice"
    anna, bo = await actors.editor("anna@example.org"), await actors.editor("bo@example.org")
    theirs, mine = published_data(slug), published_data(slug)
    theirs["summary"]["da"] = "Annas ændring."
    mine["summary"]["da"] = "Bos ændring."
    assert (await save(anna, slug, theirs, 0)).status_code == 303
    stale = await save(bo, slug, mine, 0)
    assert stale.status_code == 409
    assert "Bos ændring." in stale.text and "Annas ændring." in stale.text
    auto = await save(bo, slug, mine, 0, **{"X-Autosave": "1"})
    assert auto.status_code == 409 and "error" in auto.json()
    ok = await save(anna, slug, theirs, 1, **{"X-Autosave": "1"})
    assert ok.status_code == 200 and ok.json()["revision"] == 2


async def test_step_buttons_add_remove_and_reorder(editor):
    slug = "one-minute-landing"
    data = published_data(slug)
    await save(editor, slug, data, 0, action="add")
    page = await editor.get(f"/workspace/content/{slug}")
    assert f'name="steps_count" value="{len(data["steps"]) + 1}"' in page.text
    await save(editor, slug, data, 1, action="down-0")
    page = await editor.get(f"/workspace/content/{slug}")
    first, second = data["steps"][0]["text"]["da"], data["steps"][1]["text"]["da"]
    assert page.text.index(second) < page.text.index(first)


XSS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<div hx-get="/settings/withdraw" hx-trigger="load">x</div>',
    '<a data-hx-post="/settings/withdraw" data-hx-trigger="load">x</a>',
    "<svg onload=alert(1)>",
    '<a href="jAvAsCrIpT:alert(1)">x</a>',
]


@pytest.mark.parametrize("payload", XSS)
async def test_markup_in_any_field_renders_inert(editor, patient, payload):
    slug = f"xss-test-{XSS.index(payload)}"
    data = copy.deepcopy(NEW)
    data["body"] = {"da": f"Hej {payload}", "en": f"Hello {payload}"}
    data["summary"] = {"da": payload[:100], "en": payload[:100]}
    data["steps"][0]["text"] = {"da": payload, "en": payload}
    page = await editor.get("/workspace/content/")
    await editor.post("/workspace/content/new", data={"_csrf_token": csrf_token(page.text), "slug": slug})
    preview = await editor.get(f"/workspace/content/{slug}/preview")  # before publishing, too
    response = await save(editor, slug, data, 1, action="publish")
    assert response.status_code == 303, response.text
    pages = [await patient.get(f"/exercises/{slug}"), await patient.get(f"/exercises/{slug}/play"), preview]
    for shown in pages:
        html = shown.text
        # Shown as text (escaped) is fine; what must not exist is a real tag or attribute.
        assert "<script>alert" not in html
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.IGNORECASE)  # no event handlers
        assert not re.search(r"<a\s[^>]*href=\"\s*javascript:", html, re.IGNORECASE)
        assert not re.search(r"<[^>]+\s(data-)?hx-(get|post|trigger)=", html)


async def test_the_preview_is_the_real_player_framed_only_by_us_and_records_nothing(editor):
    preview = await editor.get("/workspace/content/breathing-space-3/preview")
    assert preview.status_code == 200 and "data-player" in preview.text and "data-preview" in preview.text
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert "no-store" in preview.headers["cache-control"]


async def test_it_sends_an_outsider_to_the_login(outsider):
    assert (await outsider.get("/workspace/content/")).headers["location"] == "/workspace/login"


@pytest.mark.parametrize("path", ["/workspace/content/", "/workspace/content/breathing-space-3/preview"])
async def test_it_refuses_the_editor_to_a_coordinator(coordinator, path):
    assert (await coordinator.get(path)).status_code == 403


def resource_form(data: dict, token: str, revision: int, action: str = "save") -> dict:
    serves = data["serves"]
    scope = "regions" if serves.get("regions") else "municipalities" if serves.get("municipalities") else "country"
    form = {"_csrf_token": token, "revision": str(revision), "action": action, "kind": data["kind"],
            "audience": list(data["audience"]), "serves": scope, "regions": list(serves.get("regions") or []),
            "municipalities": " ".join(serves.get("municipalities") or []), "site_phone": data.get("site_phone") or "",
            "order": str(data["order"]), "phone": data.get("phone") or "", "url": data.get("url") or ""}
    if data.get("verify"):
        form["verify"] = "yes"
    for name in ("name", "description", "hours"):
        for lang in ("da", "en"):
            form[f"{name}_{lang}"] = (data.get(name) or {}).get(lang, "")
    return form


async def test_a_support_resource_is_edited_checked_and_shown_on_the_support_page(editor, patient):
    slug = "livslinien"
    data = plain(next(r for r in get_catalog().resources if r.slug == slug))
    page = await editor.get(f"/workspace/content/{slug}")
    assert page.status_code == 200 and 'name="phone"' in page.text
    token = csrf_token(page.text)
    bad = {**data, "phone": "call us maybe"}
    await editor.post(f"/workspace/content/{slug}", data=resource_form(bad, token, 0))
    refused = await editor.post(f"/workspace/content/{slug}", data=resource_form(bad, token, 1, "publish"))
    assert refused.status_code == 400 and "phone" in refused.text
    good = {**data, "description": {"da": "Ring, hvis tankerne bliver for tunge.",
                                     "en": "Call if it gets too heavy."}}
    await editor.post(f"/workspace/content/{slug}", data=resource_form(good, token, 2, "publish"))
    support = await patient.get("/support")
    assert "Call if it gets too heavy." in support.text


async def test_an_editor_sets_where_a_resource_helps_and_an_unknown_code_is_named(editor, patient):
    """The resource form carries the kind, the audience and the places; a typo in a code is refused by name."""
    slug = "alkolinjen"
    data = plain(next(r for r in get_catalog().resources if r.slug == slug))
    page = await editor.get(f"/workspace/content/{slug}")
    assert all(f'name="{field}"' in page.text for field in ("kind", "audience", "serves", "regions", "site_phone"))
    token = csrf_token(page.text)
    typo = {**data, "serves": {"municipalities": ["0101", "0999"]}}
    refused = await editor.post(f"/workspace/content/{slug}", data=resource_form(typo, token, 0, "publish"))
    assert refused.status_code == 400 and "0999" in refused.text
    assert any(r.slug == slug for r in get_catalog().resources if r.serves.country)  # nothing published
    hovedstaden = {**data, "serves": {"regions": ["1084"]}, "description": {"da": "Kun i hovedstaden.",
                                                                           "en": "Only in the capital."}}
    await editor.post(f"/workspace/content/{slug}", data=resource_form(hovedstaden, token, 1, "publish"))
    published = next(r for r in get_catalog().resources if r.slug == slug)
    assert (published.kind, published.serves.regions) == ("substance", ("1084",))


async def test_a_course_names_only_patient_practices_and_weeks_can_be_added(actors):
    editor = await actors.editor(lang="da")
    page = await editor.get("/workspace/content/")
    made = await editor.post("/workspace/content/new", data={"_csrf_token": csrf_token(page.text),
                                                             "slug": "calm-weeks", "type": "course"})
    assert made.headers["location"] == "/workspace/content/calm-weeks"
    token = csrf_token((await editor.get("/workspace/content/calm-weeks")).text)
    form = {"_csrf_token": token, "revision": "1", "weeks_count": "1", "title_da": "Rolige uger",
            "title_en": "Calm weeks", "summary_da": "Et kort forløb.", "summary_en": "A short course.",
            "week0_theme_da": "At lande", "week0_theme_en": "Landing", "week0_intro_da": "Vi begynder roligt.",
            "week0_intro_en": "We start gently.", "week0_practices": ["doorway-pause"], "action": "add-week"}
    await editor.post("/workspace/content/calm-weeks", data=form)
    edit = await editor.get("/workspace/content/calm-weeks")
    assert 'name="weeks_count" value="2"' in edit.text
    one_week = {**form, "revision": "2", "action": "publish"}
    refused = await editor.post("/workspace/content/calm-weeks", data=one_week)
    assert refused.status_code == 400 and "er ikke til patienter" in refused.text  # a staff pause, said in Danish
    fixed = {**one_week, "revision": "3", "week0_practices": ["breathing-space-3", "stop-practice"]}
    published = await editor.post("/workspace/content/calm-weeks", data=fixed)
    assert published.status_code == 303, published.text
    course = get_catalog().courses["calm-weeks"]
    assert [w.practices for w in course.weeks] == [("breathing-space-3", "stop-practice")]


async def test_the_who5_questionnaire_is_not_offered_for_editing(editor):
    listing = await editor.get("/workspace/content/")
    assert "who-5" not in listing.text and "breathing-space-3" in listing.text
    assert (await editor.get("/workspace/content/who-5")).status_code == 404


async def test_an_unknown_slug_is_a_kind_404_on_every_editor_page(actors):
    editor = await actors.editor(lang="da")
    for path in ("/workspace/content/no-such-thing", "/workspace/content/no-such-thing/history",
                 "/workspace/content/no-such-thing/preview"):
        response = await editor.get(path)
        assert response.status_code == 404 and "Vi kunne ikke finde siden" in response.text  # no traceback
