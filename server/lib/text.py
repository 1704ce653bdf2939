"""Text we can store and show the same way on both engines, and numbers written as people read them.

PostgreSQL refuses a NUL byte in text (SQLite stores it), and the other C0 control characters have no
business in anything a person types: they hide text on screen and in a researcher's spreadsheet. Tab,
line feed and carriage return are ordinary typing. One rule, so a form, the event API and the editor
refuse the same things.
"""

from __future__ import annotations

import re

from babel.numbers import format_decimal

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


# A real minus sign (U+2212): a hyphen-minus looks like a dash in running text, and some screen readers
# read it as "dash" or not at all.
MINUS = "\u2212"


def format_number(value: float | None, lang: str, digits: int = 0, *, signed: bool = False, trim: bool = False) -> str:
    """A number as people read it in ``lang``: "1.234,5" and "−1,4" in Danish, "1,234.5" and "−1.4" in
    English. ``signed`` writes "+1,4" for a rise (a change in stress or a score); ``trim`` leaves off the
    decimals of a whole number ("3" minutes, "3,3" minutes). The one place numbers are formatted for people:
    templates use it as the ``num`` filter. None (a figure not shown) is "–"."""
    if value is None:
        return "–"
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # never "−0"
    places = 0 if trim and rounded == int(rounded) else digits
    pattern = "#,##0" + ("." + "0" * places if places else "")
    text = format_decimal(abs(rounded), format=pattern, locale=lang if lang in ("da", "en") else "da")
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text
