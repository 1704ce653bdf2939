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


# Danish alphabetical order: æ, ø and å come after z, in that order ("aa" in names is not treated as å:
# none of our labels has it). PyICU is not installed, and a whole collation library for three letters
# and a few accents is more than this needs; English uses the same key, in which those letters do not occur.
_AFTER_Z = str.maketrans({"æ": "{0", "ø": "{1", "å": "{2", "ä": "{0", "ö": "{1"})  # "{" sorts after "z"
_ACCENTS = str.maketrans("éèêáàâíìîóòôúùûü", "eeeaaaiiiooouuuu")


def sort_key(text: str) -> tuple[str, str]:
    """A key that sorts labels as a Danish reader expects: case ignored, é as e, æ/ø/å after z; ties broken
    by the text itself so the order is stable."""
    folded = text.casefold().translate(_ACCENTS).translate(_AFTER_Z)
    return folded, text
