"""CSV that is safe to open in a spreadsheet: no cell runs as a formula, rows are written a chunk at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets (OWASP's
# list): it is written with a leading apostrophe, which spreadsheets show as text and never run.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # lets Excel (also set to Danish) read the file as UTF-8, so æ, ø and å stay themselves


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text (RFC 4180: comma, double quotes, CRLF); None becomes an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()
