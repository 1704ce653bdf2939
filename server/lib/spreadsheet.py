"""CSV that is safe to open in a spreadsheet: no cell runs as a formula, rows are written a chunk at a time."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets (OWASP's
# "CSV Injection"): it is written with a leading apostrophe, which spreadsheets show as text and never run.
# The minus sign (U+2212) has no compatibility form to fold into "-", so it is named here itself.
FORMULA_START = frozenset("=+-@\u2212")
# OWASP's list also names tab and carriage return; a line feed starts a new line of the cell the same way.
CONTROL_START = ("\t", "\r", "\n")
BOM = "\ufeff"  # lets Excel (also set to Danish) read the file as UTF-8, so æ, ø and å stay themselves


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: its first character that shows, after folding
    look-alikes (full-width ＝＋－＠, small ﹦﹢﹣, NFKC) and skipping spaces and invisible characters (a no-break
    or ideographic space, a zero-width space, a byte order mark), is =, +, -, @ or a minus sign; or it starts
    with a tab, carriage return or line feed. Spreadsheets skip leading spaces, and some read the look-alikes
    as the characters they look like."""
    if text.startswith(CONTROL_START):
        return True
    for char in unicodedata.normalize("NFKC", text):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue
        return char in FORMULA_START
    return False


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text (RFC 4180: comma, double quotes, CRLF); None becomes an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()
