"""The CSV formula guard (OWASP "CSV Injection"; ASVS 4.0.3 5.3.4): what could run is written as text."""

from __future__ import annotations

import pytest

from server.lib.spreadsheet import csv_text, safe_cell


@pytest.mark.parametrize("text", [
    "=1+1", "+1", "-1", "@SUM(A1)", "\t1", "\r1", "\n=1",
    " =1", "   -1", "\u00a0+1", "\u3000@A1", "\u2003=1", "\u200b=1", "\u2060=1", "\ufeff=1",
    "\uff1d1", "\uff0b1", "\uff0d1", "\uff201", "\ufe661", "\ufe621", "\ufe631", "\u22121",
])
def test_it_writes_a_cell_that_could_run_with_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["calm", "a=b", "1-2", "p0a1b2c3d4e5f6a", "2026-01-31", "", "   ", "ﬁne", 5, -5,
                                   None, 2.5])
def test_it_leaves_everything_else_as_it_is(value):
    assert safe_cell(value) == value


def test_csv_text_guards_every_cell_and_quotes_line_breaks():
    assert csv_text([["\uff1dcmd", "ok", -1, "\n@x"]]) == "'\uff1dcmd,ok,-1,\"'\n@x\"\r\n"
