"""The follow-up and the coordinator's pages looked at on a desk's screens (1280 × 800 and 1600 × 900), and the
dashboard and the annual report printed to PDF by Chromium, asserting what a person would notice:

* every text input at least 200 px wide, no button taller than 64 px, no horizontal scroll;
* the dashboard's table of contents leads to a section for each of its links;
* on paper, each section's heading is on the same page as its table (nothing stranded at a page's foot), the
  annual report's "All" row is printed once however many pages its table runs to, and the report keeps no
  "last 7/30 days";
* a QR sheet opens from the site's page at its own address, with the site's phone number and the typed code.

Screenshots and PDFs are saved in tests/browser/screenshots/workspace-reports/ to be looked at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_reports import ANNUAL, REPORTS, activity, person  # noqa: F401 — fixtures

pytestmark = pytest.mark.browser
SHOTS = SCREENSHOTS / "workspace-reports"
DESKS = [pytest.param({"width": 1280, "height": 800}, id="1280x800"),
         pytest.param({"width": 1600, "height": 900}, id="1600x900")]
CLINIC_PHONE = "33 44 55 66"

# What a person would notice on a page: text fields too narrow to write in, buttons that are blobs, a page
# wider than the screen.
LOOKS = """() => {
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
                       && getComputedStyle(el).visibility !== 'hidden'; };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[' + el.name + ']' : '');
  const text = 'input[type=text], input[type=number], input[type=tel], input[type=email], input[type=url], '
             + 'input[type=search], input[type=password], input:not([type]), textarea';
  return {
    narrow: [...document.querySelectorAll(text)].filter(seen)
      .filter(el => el.getBoundingClientRect().width < 200)
      .map(el => `${name(el)}: ${Math.round(el.getBoundingClientRect().width)}px`),
    tall: [...document.querySelectorAll('button, .button, input[type=submit]')].filter(seen)
      .filter(el => el.getBoundingClientRect().height > 64)
      .map(el => `${el.textContent.trim().slice(0, 30)}: ${Math.round(el.getBoundingClientRect().height)}px`),
    scroll: document.documentElement.scrollWidth - window.innerWidth,
  };
}"""

# Each heading (of a section or a part of one) that has a table, and the caption of its first table, as printed.
PAIRS = """() => {
  const pairs = [];
  for (const section of document.querySelectorAll('section.report-section')) {
    let heading = null;
    for (const el of section.querySelectorAll('h2, h3, table')) {
      if (el.tagName !== 'TABLE') { heading = el; continue; }
      const caption = el.querySelector('caption');
      if (heading && caption && getComputedStyle(el).display !== 'none') {
        pairs.push([heading.textContent.trim(), caption.textContent.trim()]);
        heading = null;
      }
    }
  }
  return pairs;
}"""


def look(page, name: str, viewport: dict) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}.png"), full_page=True)
    found = page.evaluate(LOOKS)
    assert found["narrow"] == [], f"{name}: text fields narrower than 200 px: {found['narrow']}"
    assert found["tall"] == [], f"{name}: buttons taller than 64 px: {found['tall']}"
    assert found["scroll"] <= 0, f"{name} scrolls sideways by {found['scroll']} px"


def pages_of(pdf: Path) -> list[list[str]]:
    """Each printed page's lines of text (``pdftotext``, poppler-utils)."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60).stdout
    return [[line.strip() for line in page.splitlines() if line.strip()] for page in out.split("\f")]


def first_page_with(pages: list[list[str]], text: str) -> int | None:
    """The first page on which ``text`` is printed (a caption may wrap over lines)."""
    wanted = " ".join(text.split())
    return next((i for i, lines in enumerate(pages) if wanted in " ".join(lines)), None)


def printed(page, name: str) -> list[str]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.pdf"
    page.pdf(path=str(path), format="A4", print_background=True)
    pairs = page.evaluate(PAIRS)
    text = pages_of(path)
    assert len(pairs) >= 5, pairs
    stranded = []
    for heading, caption in pairs:
        table_at = first_page_with(text, caption)
        assert table_at is not None, f"{name}.pdf lacks the table {caption!r}"
        # The heading is a line of its own on the page where its table begins (the same words elsewhere, such
        # as a figure's label in the summary, do not count).
        if heading not in text[table_at]:
            at = [i + 1 for i, lines in enumerate(text) if heading in lines]
            stranded.append(f"{heading!r} on page(s) {at}, its table on page {table_at + 1}")
    assert stranded == [], f"{name}.pdf: {stranded}"
    return [" ".join(lines) for lines in text]


# CI installs poppler-utils (.ci/run): there a missing pdftotext fails the test instead of skipping it.
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None and not os.environ.get("CI"),
                                     reason="pdftotext (poppler-utils) is missing")


@needs_pdftotext
@pytest.mark.parametrize("viewport", DESKS)
def test_the_dashboard_reads_top_down_and_prints_each_heading_with_its_table(person, live_server, activity,  # noqa: F811
                                                                             viewport):
    page = person("researcher", viewport=viewport)
    page.goto(f"{live_server.url}{REPORTS}")
    assert page.locator("details.filter-bar form.report-filters").count() == 1
    # The summary comes first, then the contents, whose every link leads to a section.
    order = page.evaluate("[...document.querySelectorAll('main h2')].map(h => h.id)")
    assert order[:2] == ["overview-title", "toc-title"], order
    links = page.eval_on_selector_all("nav.report-toc a", "links => links.map(a => a.getAttribute('href'))")
    assert len(links) >= 7
    missing = [href for href in links if not page.evaluate("id => !!document.getElementById(id)", href[1:])]
    assert missing == [], f"contents links that lead nowhere: {missing}"
    page.click("nav.report-toc a[href='#pauses']")
    assert page.evaluate("location.hash") == "#pauses"
    assert page.locator("#practices-table").count() == 1 and page.locator("#pauses #stress-table").count() == 1
    assert page.locator("#who5-months-title").count() == 1
    look(page, "dashboard", viewport)
    printed(page, f"dashboard-{viewport['width']}")


@needs_pdftotext
@pytest.mark.parametrize("viewport", DESKS)
def test_the_annual_report_prints_like_a_report(person, live_server, activity, viewport):  # noqa: F811
    page = person("researcher", viewport=viewport)
    page.goto(f"{live_server.url}{ANNUAL}")
    assert page.locator("article.report h1").count() == 1
    look(page, "annual", viewport)
    text = printed(page, f"annual-{viewport['width']}")
    whole = " ".join(text)
    assert "seneste 7 dage" not in whole and "seneste 30 dage" not in whole, "no 'last 7/30 days' in a year"
    assert "Sådan er tallene beskyttet" in text[0], "page 1 says how the figures were protected"
    assert "Overblik" in text[0], "page 1 has the summary"
    # A table's "All" row is printed once, however many pages the table runs to: it is a row of the body (a
    # <tfoot> is repeated at the foot of every page); the head is what each page repeats.
    assert page.locator("article.report tfoot").count() == 0
    assert page.locator("article.report tr.total").count() == 2  # by municipality and by site


def test_a_coordinator_prints_a_qr_sheet_from_the_sites_page_with_its_phone_number(person, live_server,  # noqa: F811
                                                                                   activity):  # noqa: F811
    for viewport in (DESKS[0].values[0], DESKS[1].values[0]):
        page = person("admin", viewport=viewport)
        page.goto(f"{live_server.url}/workspace/coordinate")
        look(page, "coordinate", viewport)
        page.goto(f"{live_server.url}/workspace/coordinate/sites/{activity['clinic_id']}")
        page.locator("details.panel > summary", has_text="Ret stedets oplysninger").click()
        site_form = page.locator("form", has=page.locator("input[name=clinic_phone]"))
        site_form.locator("input[name=clinic_phone]").fill(CLINIC_PHONE)
        site_form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"saved=1"))
        look(page, "site", viewport)
        page.check("#invite-format-typed")
        page.fill("#invite-label", f"Venteværelset {viewport['width']}")
        page.click("#new-code button[type=submit]")
        typed = page.locator("[data-typed-code]").text_content().strip()
        sheet = page.locator("a[data-sheet-link]").get_attribute("href")
        assert re.fullmatch(r"/workspace/coordinate/sites/\d+/codes/\d+/sheet", sheet), sheet
        page.goto(f"{live_server.url}{sheet}")
        assert typed in page.text_content(".sheet-typed") and page.locator(".sheet-qr svg").count() == 1
        assert CLINIC_PHONE in page.text_content(".sheet-languages")
        look(page, "sheet", viewport)
