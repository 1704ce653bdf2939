"""The workspace on a laptop: the first admin's second factor and an invited editor, an editor changing an
exercise that a patient on her phone then sees (and its rollback), and two editors saving the same draft.

The workspace is in Danish here (the browser asks for da-DK). Every page is checked with axe-core, and any
CSP violation a page causes (also inside the editor's phone preview frame) fails the test.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

import pyotp
import pytest

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_patient_flow import enrol_in_danish
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "blue kettle under the stairs"
SLUG = "breathing-space-3"
WRONG_CODE = "Koden virkede ikke. Koderne skifter hvert 30. sekund, så prøv den nyeste."
TOO_COMMON = "Den adgangskode er for almindelig og let at gætte. Vælg en anden."
PUBLISHED = "Udgivet. Deltagerne kan se den om få sekunder."
STALE = "En anden gemte kladden, mens du skrev, så din ændring blev ikke gemt."


@pytest.fixture
def new_page(browser, request):
    """Pages in contexts of their own (one person each): a laptop for the workspace, a phone for a patient."""
    contexts, pages = [], []

    def make(viewport: dict = LAPTOP):
        phone = viewport["width"] < 800
        context = browser.new_context(viewport=viewport, locale="da-DK", is_mobile=phone, has_touch=phone)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.problems = problems  # type: ignore[attr-defined]
        contexts.append(context)
        pages.append(page)
        return page

    yield make
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        for i, page in enumerate(pages):
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{i}.png"), full_page=True)
    csp = [p for page in pages for p in page.problems if "Content Security Policy" in p]
    for context in contexts:
        context.close()
    assert csp == [], f"a page broke its own CSP: {csp}"


def create_account(live_server, email: str, role: str, password: str = PASSWORD) -> str:
    """`pusterum users create --password-stdin`, as the operator runs it against the live server's database."""
    result = subprocess.run([sys.executable, "-m", "server", "users", "create", "--email", email, "--role", role,
                             "--password-stdin"], input=f"{password}\n", env=live_server.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"made for {email}" in result.stdout, result.stdout
    return result.stdout


def sign_in(page, live_server, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/workspace/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/workspace/login'] button[type=submit]")


def sign_in_as_editor(page, live_server) -> str:
    email = f"editor-{uuid.uuid4().hex[:8]}@example.org"
    create_account(live_server, email, "editor")
    sign_in(page, live_server, email)
    page.wait_for_url(f"{live_server.url}/workspace")  # development mode offers the second factor, no more
    return email


def wrong_code_for(secret: str) -> str:
    """Six digits that are none of the codes accepted just now (±1 step)."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time() + drift) for drift in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def published_title(live_server, slug: str) -> dict:
    (row,) = live_server.query(
        "SELECT json_extract(v.data, '$.title.da'), json_extract(v.data, '$.title.en') FROM content_item i "
        "JOIN content_version v ON v.id = i.published_version WHERE i.slug = ?", slug)
    return {"da": row[0], "en": row[1]}


def version_count(live_server, slug: str) -> int:
    return live_server.query("SELECT count(*) FROM content_version v JOIN content_item i ON i.id = v.item "
                             "WHERE i.slug = ?", slug)[0][0]


def h1(page) -> str:
    return page.text_content("h1").strip()


def test_first_admin_signs_in_with_a_second_factor_and_invites_an_editor(new_page, live_server):
    email = "admin@example.org"
    create_account(live_server, email, "admin")
    page = new_page()

    # Password first; development mode lets her in and offers the second factor on the home page.
    page.goto(f"{live_server.url}/workspace/login")
    assert h1(page) == "Log ind på arbejdsområdet"
    assert_accessible(page)
    sign_in(page, live_server, email)
    page.wait_for_url(re.compile(r"/workspace(/account/code)?$"))
    if page.url.endswith("/workspace"):
        page.click("a[href='/workspace/account/code']")  # "Sæt den op"
        page.wait_for_url("**/workspace/account/code")
    assert h1(page) == "Ekstra kode"
    assert page.locator("figure.qr svg").count() == 1, "a QR code to scan"
    secret = page.text_content("[data-totp-secret]").strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    assert_accessible(page)

    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form[action='/workspace/account/code'] button[type=submit]")
    page.wait_for_selector("[data-recovery-codes]")
    codes = [c.strip() for c in page.locator("[data-recovery-codes] li").all_text_contents()]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes), codes
    assert page.locator("[data-totp-secret]").count() == 0, "the secret is not shown again"
    assert_accessible(page)
    (stored,) = live_server.query("SELECT totp_secret FROM account WHERE email = ?", email)
    assert stored[0] and secret not in stored[0], "the secret is stored, encrypted"

    page.click("[data-recovery-codes] ~ p a[href='/workspace']")  # "Jeg har gemt dem"
    page.wait_for_url(f"{live_server.url}/workspace")
    assert page.locator("a[href='/workspace/account/code']").count() == 0, "no longer offered"
    page.click("form[action='/workspace/logout'] button[type=submit]")
    page.wait_for_url("**/workspace/login")
    page.goto(f"{live_server.url}/workspace")
    page.wait_for_url("**/workspace/login")

    # Now the code is asked for every time; a wrong one is explained, the next step's code lets her in.
    sign_in(page, live_server, email)
    page.wait_for_url("**/workspace/login/code")
    assert h1(page) == "Din kode"
    page.goto(f"{live_server.url}/workspace/admin/accounts")
    page.wait_for_url("**/workspace/login/code")  # not in yet
    page.fill("#code", wrong_code_for(secret))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/workspace/login/code")) \
            as answer:
        page.click("form[action='/workspace/login/code'] button[type=submit]")
    assert answer.value.status == 400
    page.wait_for_selector("#code-error")
    assert page.text_content("#code-error").strip() == WRONG_CODE
    assert page.get_attribute("#code", "aria-describedby") == "code-error"
    assert_accessible(page)
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # a later step than the one used at set-up
    page.click("form[action='/workspace/login/code'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/workspace")
    assert h1(page) == f"Hej {email}"
    assert_accessible(page)

    # Accounts: invite an editor; the one-time link is shown to pass on.
    page.click("a[href='/workspace/admin/accounts']")
    page.wait_for_url("**/workspace/admin/accounts")
    assert h1(page) == "Konti"
    assert_accessible(page)
    editor = f"editor-{uuid.uuid4().hex[:8]}@example.org"
    page.fill("#invite-email", editor)
    page.check("#role-editor")
    page.click("form[action='/workspace/admin/accounts/invite'] button[type=submit]")
    page.wait_for_selector("[data-invite-link]")
    link = page.text_content("[data-invite-link]").strip()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/workspace/invite/[A-Za-z0-9_-]{{40,}}", link), link
    assert_accessible(page)
    assert live_server.query("SELECT roles, used_at FROM account_invite WHERE email = ?", editor) == [
        ("editor", None)]

    # The editor, in her own browser: a too-common password is refused with the reason, then hers is taken.
    invited = new_page()
    invited.goto(link)
    assert invited.text_content("form p").strip() == f"Konto til {editor}."
    assert_accessible(invited)
    invited.fill("#password", "password123")
    with invited.expect_response(lambda r: r.request.method == "POST" and "/workspace/invite/" in r.url) as answer:
        invited.click("form[action^='/workspace/invite/'] button[type=submit]")
    assert answer.value.status == 400
    invited.wait_for_selector("#password-error")
    assert invited.text_content("#password-error").strip() == TOO_COMMON
    assert_accessible(invited)
    assert live_server.query("SELECT count(*) FROM account WHERE email = ?", editor) == [(0,)]
    invited.fill("#display_name", "Eva Editor")
    invited.fill("#password", "a quiet room with a view")
    invited.click("form[action^='/workspace/invite/'] button[type=submit]")
    invited.wait_for_url("**/workspace/login?welcome=1")
    assert live_server.query("SELECT roles, display_name FROM account WHERE email = ?", editor) == [
        ("editor", "Eva Editor")]
    sign_in(invited, live_server, editor, "a quiet room with a view")
    invited.wait_for_url(f"{live_server.url}/workspace")
    assert h1(invited) == "Hej Eva Editor"
    assert invited.locator("a[href='/workspace/content']").count() == 1, "an editor sees the exercises"
    assert invited.locator("a[href='/workspace/admin/accounts']").count() == 0, "and not the accounts"
    assert_accessible(invited)

    # The link worked once.
    again = new_page()
    response = again.goto(link)
    assert response.status == 410
    assert_accessible(again)


def test_an_editor_changes_an_exercise_in_both_languages_the_patient_sees_it_and_it_is_rolled_back(
        new_page, live_server):
    original = published_title(live_server, SLUG)
    assert original == {"da": "Tre minutters pusterum", "en": "Three-minute breathing space"}, \
        "another test left breathing-space-3 changed"
    new_title = {"da": "Tre rolige minutter", "en": "Three calm minutes"}

    # The patient, on her phone, sees the exercise as it is.
    patient = new_page(PHONE)
    enrol_in_danish(patient, live_server)
    patient.goto(f"{live_server.url}/exercises/{SLUG}")
    assert h1(patient) == original["da"]

    # The editor finds it by searching.
    editor = new_page()
    sign_in_as_editor(editor, live_server)
    editor.click("a[href='/workspace/content']")
    editor.wait_for_url("**/workspace/content")
    editor.fill("#q", SLUG)
    editor.click("form[role=search] button[type=submit]")
    editor.wait_for_url(re.compile(rf"/workspace/content\?q={SLUG}"))
    assert editor.locator("table tbody tr").count() == 1
    assert_accessible(editor)
    editor.click(f"table a[href='/workspace/content/{SLUG}']")
    editor.wait_for_url(f"**/workspace/content/{SLUG}")
    assert h1(editor) == original["da"]
    assert (editor.input_value("#title_da"), editor.input_value("#title_en")) == (original["da"], original["en"])
    frame = editor.locator("[data-preview-frame]")
    assert frame.is_visible()
    assert frame.get_attribute("title")
    preview = editor.frame_locator("[data-preview-frame]")
    assert preview.locator("h1").text_content().strip() == original["da"], "the preview is the real player"
    assert preview.locator("[data-player][data-preview]").count() == 1
    assert_accessible(editor)

    # Both titles, side by side, then Publish.
    editor.fill("#title_da", new_title["da"])
    editor.fill("#title_en", new_title["en"])
    editor.click("button[name=action][value=publish]")
    editor.wait_for_url(re.compile(rf"/workspace/content/{SLUG}\?published=\d+$"))
    assert editor.text_content("p.notice[role=status]").strip() == PUBLISHED
    assert h1(editor) == new_title["da"]
    assert published_title(live_server, SLUG) == new_title
    versions_before_rollback = version_count(live_server, SLUG)
    assert editor.frame_locator("[data-preview-frame]").locator("h1").text_content().strip() == new_title["da"]
    assert_accessible(editor)

    # The patient reloads (a reload always asks the network) and sees the new title.
    def patient_sees(title: str) -> bool:
        deadline = time.monotonic() + 10
        while h1(patient) != title and time.monotonic() < deadline:
            time.sleep(0.5)
            patient.reload()
        return h1(patient) == title

    patient.reload()
    assert patient_sees(new_title["da"])
    assert new_title["da"] in patient.title()

    # History: the newest change is open, field by field, with the changed words of both titles marked;
    # version 1 is published again.
    editor.click(f"a[href='/workspace/content/{SLUG}/history']")
    editor.wait_for_url(f"**/workspace/content/{SLUG}/history")
    newest = editor.locator("section.panel").first
    assert "udgivet nu" in newest.locator("h2").text_content()
    changes = newest.locator(".change")
    assert changes.first.is_visible()
    assert [h.strip() for h in changes.locator("h3").all_text_contents()] == ["Titel (dansk)", "Titel (engelsk)"]
    danish, english = changes.nth(0).locator(".change-text"), changes.nth(1).locator(".change-text")
    assert danish.text_content() == "Tre minutters pusterumrolige minutter"  # the old words, then the new
    assert danish.locator("del").text_content() == "minutters pusterum"
    assert danish.locator("ins").text_content() == "rolige minutter"
    assert english.locator("del").all_text_contents() != [] and english.locator("ins").all_text_contents() != []
    assert_accessible(editor)
    first = editor.locator("section.panel").filter(
        has=editor.locator("h2", has_text=re.compile(r"^\s*Version 1\s*$")))
    assert first.count() == 1
    first.locator("button[type=submit]").click()  # "Udgiv denne version igen"
    editor.wait_for_url(re.compile(rf"/workspace/content/{SLUG}\?published=\d+$"))
    assert editor.text_content("p.notice[role=status]").strip() == PUBLISHED
    assert h1(editor) == original["da"]

    # Back as it was, for the patient and for every other test; history is kept, not rewritten.
    assert published_title(live_server, SLUG) == original
    assert version_count(live_server, SLUG) == versions_before_rollback + 1
    assert live_server.query("SELECT count(*) FROM content_draft WHERE slug = ?", SLUG) == [(0,)]
    patient.reload()
    assert patient_sees(original["da"])


def test_a_stale_draft_is_refused_for_the_second_editor(new_page, live_server):
    # An exercise of the test's own, so no other test meets its draft.
    slug = f"calm-test-{uuid.uuid4().hex[:8]}"
    anna, bo = new_page(), new_page()
    sign_in_as_editor(anna, live_server)
    sign_in_as_editor(bo, live_server)
    anna.goto(f"{live_server.url}/workspace/content/")
    anna.fill("#slug", slug)
    anna.click("form[action='/workspace/content/new'] button[type=submit]")
    anna.wait_for_url(f"**/workspace/content/{slug}")

    # Both have the same edit page open.
    bo.goto(f"{live_server.url}/workspace/content/{slug}")
    anna.reload()
    assert anna.input_value("[data-revision]") == bo.input_value("[data-revision]")

    anna.fill("#summary_da", "Annas ændring.")
    anna.click("button[name=action][value=save]")
    anna.wait_for_url(f"**/workspace/content/{slug}?saved=1")
    assert anna.text_content("p.notice[role=status]").strip() == "Kladden er gemt."

    bo.fill("#summary_da", "Bos ændring.")
    bo.fill("#title_en", "Bo's title")
    with bo.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(f"/workspace/content/{slug}")) \
            as answer:
        bo.click("button[name=action][value=save]")
    assert answer.value.status == 409
    bo.wait_for_selector(".error[role=alert]")
    assert bo.text_content(".error[role=alert] p").strip().startswith(STALE)
    # Her own text is still in the form; theirs is under "Den andens version".
    assert bo.input_value("#summary_da") == "Bos ændring."
    assert bo.input_value("#title_en") == "Bo's title"
    bo.click(".error[role=alert] details summary")
    assert "Annas ændring." in bo.text_content(".error[role=alert] pre")
    assert_accessible(bo)
    (stored,) = live_server.query("SELECT json_extract(data, '$.summary.da'), json_extract(data, '$.title.en') "
                                  "FROM content_draft WHERE slug = ?", slug)
    assert stored == ("Annas ændring.", ""), "her save did not overwrite theirs"


def test_she_changes_her_password_and_moves_her_second_factor_and_an_admin_sends_a_reset_link(new_page,
                                                                                           live_server):
    """Her account page in Danish, without a script needed: a wrong current password is explained; her second
    factor moves only after her password and a code; an admin's reset link ends her session and works once."""
    tag = uuid.uuid4().hex[:8]
    admin_email, editor_email = f"admin-{tag}@example.org", f"editor-{tag}@example.org"
    create_account(live_server, admin_email, "admin")
    create_account(live_server, editor_email, "editor")
    page = new_page()
    sign_in(page, live_server, editor_email)
    page.wait_for_url(f"{live_server.url}/workspace")
    page.click("a[href='/workspace/account']")
    page.wait_for_url("**/workspace/account")
    assert h1(page) == "Din konto"
    assert_accessible(page)

    page.fill("#current_password", "ikke min adgangskode")
    page.fill("#new_password", "green tea in the garden")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/account/password")) as answer:
        page.click("form[action='/workspace/account/password'] button[type=submit]")
    assert answer.value.status == 400
    assert page.text_content("#password-error").strip() == "Det er ikke din nuværende adgangskode."
    assert_accessible(page)
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "green tea in the garden")
    page.click("form[action='/workspace/account/password'] button[type=submit]")
    page.wait_for_url("**/workspace/account?done=password")
    assert "Din nye adgangskode er gemt" in page.text_content("p.notice[role=status]")

    page.click("a[href='/workspace/account/code']")  # her first second factor needs no confirmation
    secret = page.text_content("[data-totp-secret]").strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form[action='/workspace/account/code'] button[type=submit]")
    page.wait_for_selector("[data-recovery-codes]")
    page.goto(f"{live_server.url}/workspace/account/code")  # moving it does
    page.wait_for_url("**/workspace/account?confirm=1")
    assert_accessible(page)
    page.fill("#replace-password", "green tea in the garden")
    page.fill("#replace-code", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("form[action='/workspace/account/code/replace'] button[type=submit]")
    page.wait_for_url("**/workspace/account/code")
    assert h1(page) == "Ekstra kode" and page.locator("[data-totp-secret]").count() == 1

    admin = new_page()
    sign_in(admin, live_server, admin_email)
    admin.wait_for_url(f"{live_server.url}/workspace")
    admin.goto(f"{live_server.url}/workspace/admin/accounts")
    ((editor_id,),) = live_server.query("SELECT id FROM account WHERE email = ?", editor_email)
    admin.click(f"form[action='/workspace/admin/accounts/{editor_id}/password-reset'] button[type=submit]")
    admin.wait_for_selector("[data-reset-link]")
    link = admin.text_content("[data-reset-link]").strip()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/workspace/reset/[A-Za-z0-9_-]{{40,}}", link), link
    assert_accessible(admin)

    page.goto(f"{live_server.url}/workspace")
    page.wait_for_url("**/workspace/login")  # her session ended with the link
    page.goto(link)
    assert h1(page) == "Vælg en ny adgangskode"
    assert_accessible(page)
    page.fill("#password", "a lantern by the door")
    page.click("form[action^='/workspace/reset/'] button[type=submit]")
    page.wait_for_url("**/workspace/login?reset=1")
    assert "Din nye adgangskode er gemt" in page.text_content("p.notice[role=status]")
    assert new_page().goto(link).status == 410
