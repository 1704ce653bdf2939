"""CSV downloads: what a participant typed never runs as a formula in a spreadsheet, and nothing keeps a copy.

ASVS 4.0.3 checked here: 5.3.1 (output encoded for where it is read: a spreadsheet; OWASP's "CSV
Injection": a cell starting with =, +, -, @, tab or carriage return is written with an apostrophe in front,
also when spaces, invisible characters or full-width look-alikes come first), 8.2.1 (a download is
``no-store``, said once).
"""

from __future__ import annotations

import csv
import io

from tests.support import event, exercise_version, post_events

# What a participant can type into a rating's comment, each a formula once a spreadsheet has read it.
FORMULAS = [
    "=HYPERLINK(\"http://x\",\"calm\")",
    " =1+1",  # a leading space
    "\u00a0\u00a0+1+1",  # no-break spaces
    "\u3000@SUM(A1)",  # an ideographic space
    "\u200b=1+1",  # a zero-width space
    "\ufeff-1+1",  # a byte order mark
    "\uff1d1+1",  # ＝ full width
    "\uff0b1+1",  # ＋
    "\uff0d1+1",  # －
    "\uff201+1",  # ＠
    "\ufe661+1",  # ﹦ small equals sign
    "\u22121+1",  # − minus sign
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",  # a line feed, then the formula on the cell's next line
]
HARMLESS = ["calm now", "a=b, then -1", "2 + 2"]


async def _comments(patient, texts: list[str]) -> None:
    version = exercise_version("breathing-space-3")
    response = await post_events(patient, [event("rating_given", exercise_version=version, rating=4, comment=text)
                                           for text in texts])
    assert response.status_code == 200, response.text


def _cells(response, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))]


async def test_her_own_csv_writes_every_formula_as_text(patient):
    """ASVS 5.3.1: her activity as CSV, opened in a spreadsheet, runs nothing she (or anyone) typed."""
    await _comments(patient, FORMULAS + HARMLESS)
    download = await patient.get("/settings/my-data.csv")
    comments = [c for c in _cells(download, "comment") if c]
    assert len(comments) == len(FORMULAS + HARMLESS)
    assert sorted(c for c in comments if c.startswith("'")) == sorted("'" + f for f in FORMULAS)
    assert sorted(c for c in comments if not c.startswith("'")) == sorted(HARMLESS)


async def test_the_research_export_writes_every_formula_as_text(actors, patient, researcher):
    """ASVS 5.3.1: comments.csv goes to researchers' spreadsheets: the same guard. (Comments leave only where
    five or more people commented on the same kind of exercise in the quarter: four more are here.)"""
    await _comments(patient, FORMULAS + HARMLESS)
    for _ in range(4):
        await _comments(await actors.patient(), ["Rart."])
    download = await researcher.get("/workspace/reports/exports/download", params={"file": "comments.csv"})
    assert download.status_code == 200
    comments = _cells(download, "comment")
    assert sorted(comments) == sorted(["'" + f for f in FORMULAS] + HARMLESS + ["Rart."] * 4)


async def test_csv_downloads_say_no_store_once(patient, researcher):
    """ASVS 8.2.1: one Cache-Control header, no-store (a repeated header is a list a cache may misread)."""
    for who, url in ((patient, "/settings/my-data.csv"), (patient, "/settings/my-data.json"),
                     (researcher, "/workspace/reports/exports/download?file=events.csv")):
        response = await who.get(url)
        assert response.status_code == 200, url
        assert response.headers.get_list("cache-control") == ["no-store"], url
