"""A midwife takes the staff e-learning course on her phone (issue 17): from the staff home's "Kurser" link through
both lessons of the fixture course (tests/fixtures/learning), a case's feedback, the knowledge check, a reload that
keeps her progress, a lesson opened again offline, and the certificate with the name she types, printed to PDF.
The name must be in the PDF and nowhere on the server: not in any request the browser made, not in the database
file, not in the server's log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import assert_accessible, assert_fits, poll
from tests.browser.test_offline import outbox_empty, wait_for_controller, wait_until_cached
from tests.browser.test_staff import enrol_staff_in_danish, read, wait_until
from tests.browser.test_workspace import new_page  # noqa: F401 - the workspace tests' fixture: a laptop page
from tests.learning import COURSE, FIXTURE

pytestmark = pytest.mark.browser
NAME = "Karen Æblegaard-Testesen"
SHOTS = os.environ.get("PUSTERUM_SHOTS")  # a folder: screenshots at 390 and 320 px for people to look at


def shot(page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (390, 320):
        page.set_viewport_size({"width": width, "height": 844})
        assert_fits(page, width)
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def publish_fixture_course(live_server) -> None:
    for folder in ("elearning", "lessons"):
        target = live_server.content_dir / folder
        target.mkdir(exist_ok=True)
        for path in (FIXTURE / folder).glob("*.yaml"):
            shutil.copy(path, target / path.name)
    live_server.cli("content", "import")


def answer(page, form: str, option: str) -> str:
    page.check(f"{form} input[value='{option}']")
    page.click(f"{form} button[type=submit]")
    verdict = f"{form} [data-answer-feedback]"
    page.wait_for_selector(f"{verdict}:not([hidden])")
    return page.text_content(f"{verdict} [data-verdict]").strip()


def test_a_midwife_takes_the_course_offline_too_and_prints_her_certificate(page, live_server, tmp_path):
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url} {r.post_data or ''}"))
    participant = enrol_staff_in_danish(page, live_server)
    publish_fixture_course(live_server)
    shot(page, "staff-home")

    # The staff home's "Kurser" link, then the course: its lessons with their minutes.
    page.click("a[href='/learn']")
    page.wait_for_url("**/learn")
    assert page.text_content("h1").strip() == "Kurser"
    # The app reloads its catalog every few seconds: wait until the new course is there.
    poll(page, "async () => (await fetch('/learn/test-learning')).status === 200", timeout=20)
    page.reload()
    assert_accessible(page)
    shot(page, "courses")
    page.click(f"a[href='/learn/{COURSE}']")
    page.wait_for_url(f"**/learn/{COURSE}")
    assert page.text_content("h1").strip() == "Et lille prøvekursus"
    assert "3 minutter" in page.text_content(".lesson-list") and "2 minutter" in page.text_content(".lesson-list")
    assert page.text_content("[data-learning-progress]").strip() == "0 af 2 lektioner gennemført"
    wait_for_controller(page)
    assert_accessible(page)
    shot(page, "course")

    # Lesson one: read, choose a case option and see its feedback, answer the check.
    page.click("a[href='/lesson/test-lesson-one']")
    page.wait_for_url("**/lesson/test-lesson-one")
    assert page.text_content("h1").strip() == "At spørge"
    page.check("#case-c1-b")
    page.click("#case-c1 button[type=submit]")
    page.wait_for_selector("#case-c1 [data-feedback='b']:not([hidden])")
    assert "Så kan hun svare frit." in page.text_content("#case-c1 [data-feedback='b']")
    assert page.is_hidden("#case-c1 [data-feedback='a']")
    assert page.url.endswith("/lesson/test-lesson-one"), "the script showed it: no round trip"
    assert answer(page, "#check-q1", "b") == "Rigtigt."
    assert page.is_hidden("[data-lesson-done]")
    assert answer(page, "#check-q2", "b") == "Ikke helt."
    page.wait_for_selector("[data-lesson-done]:not([hidden])")
    assert_accessible(page)
    shot(page, "lesson")

    # A reload keeps her answers and the lesson's completion: they live on her phone.
    page.reload()
    page.wait_for_selector("#check-q1 [data-answer-feedback]:not([hidden])")
    assert page.text_content("#check-q2 [data-verdict]").strip() == "Ikke helt."
    assert page.is_checked("#check-q2-b")
    page.wait_for_selector("[data-lesson-done]:not([hidden])")

    # Lesson two is opened once online, then again offline, and finished there.
    page.click("a[href='/lesson/test-lesson-two']")
    page.wait_for_url("**/lesson/test-lesson-two")
    wait_until_cached(page, f"{live_server.url}/lesson/test-lesson-two")
    outbox_empty(page)
    page.goto(f"{live_server.url}/learn/{COURSE}")
    wait_until_cached(page, f"{live_server.url}/learn/{COURSE}")
    page.context.set_offline(True)
    page.goto(f"{live_server.url}/lesson/test-lesson-two")
    assert page.text_content("h1").strip() == "Efter samtalen"
    assert answer(page, "#check-q1", "a") == "Rigtigt."
    assert answer(page, "#check-q2", "a") == "Rigtigt."
    page.wait_for_selector("[data-lesson-done]:not([hidden])")
    page.goto(f"{live_server.url}/learn/{COURSE}")
    assert page.text_content("[data-learning-progress]").strip() == "2 af 2 lektioner gennemført"
    assert page.locator("[data-done-mark]:not([hidden])").count() == 2
    page.context.set_offline(False)
    page.reload()
    outbox_empty(page)

    # Every answer and both completions reached the server, judged there.
    sql = "SELECT type, check_question, check_option, correct FROM event WHERE participant = ? AND type IN " \
          "('check_answered', 'lesson_completed') ORDER BY occurred_at"
    rows = wait_until(lambda: (found := read(live_server, sql, participant)) and len(found) == 6 and found,
                      what="the six e-learning events")
    assert sorted(r for r in rows if r[0] == "check_answered") == [
        ("check_answered", "q1", "a", 1), ("check_answered", "q1", "b", 1), ("check_answered", "q2", "a", 1),
        ("check_answered", "q2", "b", 0)]
    assert [r[0] for r in rows].count("lesson_completed") == 2

    # The certificate: her name only in the page, printed to PDF.
    page.click(f"a[href='/learn/{COURSE}/certificate']")
    page.wait_for_url(f"**/learn/{COURSE}/certificate")
    page.wait_for_selector("[data-certificate-ready]:not([hidden])")
    assert page.is_hidden("[data-certificate-missing]")
    page.fill("#certificate-name", NAME)
    assert page.text_content("[data-certificate-name]") == NAME
    rows = page.locator("[data-certificate-lesson]")
    assert rows.count() == 2 and rows.first.locator("[data-lesson-version]").text_content() == "1"
    assert rows.first.locator("[data-lesson-date]").text_content().strip()
    assert page.locator("[data-learning-certificate] form").count() == 0
    assert_accessible(page)
    shot(page, "certificate")
    pdf = tmp_path / "certificate.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    page.emulate_media(media="screen")
    if SHOTS:
        shutil.copy(pdf, f"{SHOTS}/certificate.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert NAME in text and "Et lille prøvekursus" in text and "Kursusversion 1" in text
    assert "Efter samtalen" in text and "Dit navn, som det skal stå" not in text  # the form is not printed

    # The server never received it: no request carried it, and neither the database nor the log holds it.
    outbox_empty(page)
    assert not [r for r in sent if NAME in r or "Karen" in r], "the name left the phone"
    stored = b"".join(p.read_bytes() for p in live_server.var_dir.glob("pusterum.sqlite3*"))
    assert NAME.encode() not in stored and b"Karen" not in stored
    assert "Karen" not in (live_server.var_dir / "server.log").read_text(errors="replace")
    assert poll(page, "() => !localStorage.getItem('pusterum-learning').includes('Karen')")


def test_an_editor_opens_a_lesson_and_sees_it_on_a_phone(new_page, live_server):  # noqa: F811 - the fixture
    from tests.browser.test_workspace import sign_in_as_editor

    publish_fixture_course(live_server)
    page = new_page()
    sign_in_as_editor(page, live_server)
    poll(page, "async () => (await fetch('/workspace/content/test-lesson-one')).status === 200", timeout=20)
    page.goto(f"{live_server.url}/workspace/content/test-lesson-one")
    assert "title: {da: At spørge, en: Asking}" in page.input_value("#source")
    frame = page.frame_locator("[data-preview-frame]")
    assert frame.locator("h1").text_content().strip() == "At spørge"
    frame.locator("#check-q1-b").check()
    frame.locator("#check-q1 button[type=submit]").click()
    assert frame.locator("#check-q1 [data-verdict]").text_content().strip() == "Rigtigt."
    assert_accessible(page)
    if SHOTS:
        for width in (1280, 1600):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/editor-lesson-{width}.png", full_page=True)
    assert poll(page, "() => localStorage.getItem('pusterum-learning') === null")  # the preview kept nothing


