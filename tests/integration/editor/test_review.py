"""The review state and the "needs checking" list: content awaiting review reaches no participant until an editor
publishes it after the review; every unconfirmed ``verify: true`` is listed until an editor confirms it with a
date, and a bad or stale confirmation changes nothing."""

from __future__ import annotations

from datetime import timedelta

from server.accounts.tables import AuditEntry
from server.content.catalog import get_catalog
from server.content.loader import Document
from server.content.services import import_documents, load_catalog
from server.content.tables import ContentItem, ContentVersion
from server.content.validation import validate_exercise
from server.lib.localtime import today
from tests.support import csrf_token, event, post_events

FRONT = {
    "review": "awaiting", "kind": "micro_pause", "audience": ["patient", "staff"], "minutes": 1,
    "tags": ["short", "breath"], "title": {"da": "Afventer prøve", "en": "Awaiting trial"},
    "summary": {"da": "En prøve.", "en": "A trial."},
    "steps": [{"seconds": 30, "da": "Første trin.", "en": "First step."},
              {"seconds": 30, "da": "Andet trin.", "en": "Second step."}],
}
BODY = {"da": "Kort tekst.", "en": "Short text."}


def awaiting_exercise(slug: str = "zz-awaiting", **changes) -> Document:
    document, problems = validate_exercise(slug, {**FRONT, **changes}, BODY)
    assert not problems, problems
    return Document(kind="exercise", slug=slug, content=document, path=f"exercises/{slug}.md")


async def versions(slug: str) -> list[dict]:
    return await ContentVersion.select(ContentVersion.id, ContentVersion.number, ContentVersion.data).where(
        ContentVersion.item.slug == slug).order_by(ContentVersion.number).output(load_json=True)


async def published_id(slug: str) -> int | None:
    row = await ContentItem.select(ContentItem.published_version).where(ContentItem.slug == slug).first()
    return row["published_version"] if row else None


async def participant_pages(patient, staff_member) -> list[str]:
    """Every page and API of a participant's that lists or shows practices, as text."""
    pages = [await patient.get(url) for url in ("/home", "/library", "/library?tag=short", "/library?tag=breath",
                                                "/course", "/support", "/api/content-revision")]
    pages += [await staff_member.get(url) for url in ("/pause", "/pause/go", "/pauses/mine", "/support/staff")]
    assert all(p.status_code in (200, 303) for p in pages), [(p.url, p.status_code) for p in pages]
    return [p.text for p in pages]


async def test_an_awaiting_exercise_reaches_no_participant_until_an_editor_publishes_it_after_review(
        editor, patient, staff_member):
    await import_documents([awaiting_exercise()])
    await load_catalog()
    [stored] = await versions("zz-awaiting")
    assert await published_id("zz-awaiting") is None
    for text in await participant_pages(patient, staff_member):
        assert "zz-awaiting" not in text and "Awaiting trial" not in text
    for url in ("/exercises/zz-awaiting", "/exercises/zz-awaiting/play", "/exercises/zz-awaiting/done"):
        assert (await patient.get(url)).status_code == 404, url
    assert (await staff_member.get("/pauses/zz-awaiting")).status_code == 404
    # A phone that names the awaiting version (a done mark) is refused: it was never published.
    done = await post_events(patient, [event("exercise_completed", exercise_version=stored["id"], seconds=60)])
    assert 400 <= done.status_code < 500
    assert stored["id"] not in get_catalog().exercise_versions

    overview = await editor.get("/workspace/content/")
    assert "Awaiting review" in overview.text and "zz-awaiting" in overview.text
    preview = await editor.get("/workspace/content/zz-awaiting")
    assert preview.status_code == 200 and "Awaiting trial" in preview.text
    published = await editor.post("/workspace/content/zz-awaiting/reviewed",
                                  data={"_csrf_token": csrf_token(overview.text), "version": str(stored["id"])})
    assert published.status_code == 303
    after = await versions("zz-awaiting")
    assert len(after) == 2 and "review" not in after[1]["data"]  # published without the mark
    assert await published_id("zz-awaiting") == after[1]["id"]
    assert (await patient.get("/exercises/zz-awaiting")).status_code == 200
    assert "Awaiting trial" in (await patient.get("/library?tag=short")).text
    assert (await staff_member.get("/pauses/zz-awaiting")).status_code == 200
    entry = await AuditEntry.select().where(AuditEntry.action == "content.published_after_review").first()
    assert entry is not None and entry["target"] == "zz-awaiting"


async def test_an_awaiting_change_to_a_published_exercise_leaves_the_reviewed_version_showing(patient):
    first = awaiting_exercise("zz-changing", review=None, title={"da": "Gammel titel", "en": "Old title"})
    await import_documents([first])
    before = await published_id("zz-changing")
    report = await import_documents([awaiting_exercise("zz-changing", title={"da": "Ny titel", "en": "New title"})])
    await load_catalog()
    assert report.awaiting == ["zz-changing"]
    assert await published_id("zz-changing") == before
    assert len(await versions("zz-changing")) == 2
    page = await patient.get("/exercises/zz-changing")
    assert "Old title" in page.text and "New title" not in page.text


async def test_importing_the_unchanged_awaiting_file_again_adds_and_unpublishes_nothing(editor):
    await import_documents([awaiting_exercise()])
    again = await import_documents([awaiting_exercise()])
    assert again.unchanged == 1 and not again.created and not again.updated
    [stored] = await versions("zz-awaiting")
    page = await editor.get("/workspace/content/")
    await editor.post("/workspace/content/zz-awaiting/reviewed",
                      data={"_csrf_token": csrf_token(page.text), "version": str(stored["id"])})
    published = await published_id("zz-awaiting")
    # The file in the folder still says "review: awaiting": importing it changes nothing.
    later = await import_documents([awaiting_exercise()])
    assert later.unchanged == 1 and not later.updated
    assert len(await versions("zz-awaiting")) == 2 and await published_id("zz-awaiting") == published


async def test_publishing_after_review_refuses_a_version_that_no_longer_awaits_review(editor):
    await import_documents([awaiting_exercise()])
    [old] = await versions("zz-awaiting")
    await import_documents([awaiting_exercise(summary={"da": "Rettet.", "en": "Corrected."})])
    page = await editor.get("/workspace/content/")
    stale = await editor.post("/workspace/content/zz-awaiting/reviewed",
                              data={"_csrf_token": csrf_token(page.text), "version": str(old["id"])})
    nonsense = await editor.post("/workspace/content/zz-awaiting/reviewed",
                                 data={"_csrf_token": csrf_token(page.text), "version": "soon"})
    assert stale.status_code == 409 and nonsense.status_code == 400
    assert await published_id("zz-awaiting") is None and len(await versions("zz-awaiting")) == 2


async def _confirm(editor, **fields) -> object:
    page = await editor.get("/workspace/checks/")
    return await editor.post("/workspace/checks/confirm", data={"_csrf_token": csrf_token(page.text), **fields})


async def test_the_needs_checking_list_shows_unconfirmed_facts_until_an_editor_confirms_them(editor, patient):
    page = await editor.get("/workspace/checks/")
    assert page.status_code == 200
    exercise = get_catalog().exercises["pain-after-birth"]
    resource = next(r for r in get_catalog().resources if r.verify and not r.confirmed_on)
    assert exercise.title["en"] in page.text and 'The "contact us if" list' in page.text.replace("&#34;", '"')
    assert resource.name["en"] in page.text and "Phone number and opening hours" in page.text

    day = today().isoformat()
    done = await _confirm(editor, slug="pain-after-birth", version=str(exercise.version_id), where="",
                          confirmed_on=day)
    assert done.status_code == 303
    now = get_catalog().exercises["pain-after-birth"]
    assert now.confirmed_on == day and now.version == exercise.version + 1  # a new version, with history
    history = await editor.get("/workspace/content/pain-after-birth/history")
    newest = history.text.split('class="change"')[1:]  # the newest version's comparison comes first
    assert any("Checked on" in c and f"<ins>{day}</ins>" in c for c in newest)

    rid = await published_id(resource.slug)
    assert (await _confirm(editor, slug=resource.slug, version=str(rid), confirmed_on=day)).status_code == 303
    page = await editor.get("/workspace/checks/")
    assert exercise.title["en"] not in page.text and resource.name["en"] not in page.text
    entry = await AuditEntry.select().where(AuditEntry.action == "content.confirmed").first()
    assert entry is not None


async def test_an_awaiting_document_is_listed_and_stays_awaiting_when_its_check_is_confirmed(editor):
    await import_documents([awaiting_exercise(verify=True)])
    page = await editor.get("/workspace/checks/")
    assert "Awaiting trial" in page.text
    [stored] = await versions("zz-awaiting")
    done = await _confirm(editor, slug="zz-awaiting", version=str(stored["id"]), confirmed_on=today().isoformat())
    assert done.status_code == 303
    after = await versions("zz-awaiting")
    assert after[-1]["data"]["review"] == "awaiting" and after[-1]["data"]["confirmed_on"]
    assert await published_id("zz-awaiting") is None
    assert "Awaiting trial" not in (await editor.get("/workspace/checks/")).text


async def test_a_bad_or_stale_confirmation_is_refused_and_changes_nothing(editor):
    exercise = get_catalog().exercises["pain-after-birth"]
    version = str(exercise.version_id)
    count = len(await versions("pain-after-birth"))
    tomorrow = (today() + timedelta(days=1)).isoformat()
    cases = [
        ({"slug": "pain-after-birth", "version": version, "confirmed_on": tomorrow}, 400),
        ({"slug": "pain-after-birth", "version": version, "confirmed_on": "last tuesday"}, 400),
        ({"slug": "pain-after-birth", "version": version, "confirmed_on": "2026-02-30"}, 400),
        ({"slug": "pain-after-birth", "version": version, "confirmed_on": ""}, 400),
        ({"slug": "pain-after-birth", "version": "0", "confirmed_on": today().isoformat()}, 400),
        ({"slug": "pain-after-birth", "version": str(exercise.version_id - 1), "confirmed_on": today().isoformat()},
         409),
        ({"slug": "pain-after-birth", "version": version, "where": "steps[1]", "confirmed_on": today().isoformat()},
         404),
        ({"slug": "no-such-thing", "version": version, "confirmed_on": today().isoformat()}, 404),
        ({"slug": "../etc", "version": version, "confirmed_on": today().isoformat()}, 400),
    ]
    for fields, status in cases:
        answer = await _confirm(editor, **fields)
        assert answer.status_code == status, (fields, answer.status_code)
    assert len(await versions("pain-after-birth")) == count
    assert get_catalog().exercises["pain-after-birth"].confirmed_on is None
    # Confirming twice from the same page: the second names a version that is no longer current.
    assert (await _confirm(editor, slug="pain-after-birth", version=version,
                           confirmed_on=today().isoformat())).status_code == 303
    assert (await _confirm(editor, slug="pain-after-birth", version=version,
                           confirmed_on=today().isoformat())).status_code == 409
    assert len(await versions("pain-after-birth")) == count + 1
