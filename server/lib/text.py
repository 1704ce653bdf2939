"""Text we can store and show the same way on both engines.

PostgreSQL refuses a NUL byte in text (SQLite stores it), and the other C0 control characters have no
business in anything a person types: they hide text on screen and in a researcher's spreadsheet. Tab,
line feed and carriage return are ordinary typing. One rule, so a form, the event API and the editor
refuse the same things.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None
