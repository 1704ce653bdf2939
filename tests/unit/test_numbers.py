"""Numbers as people read them (server.lib.text.format_number): a decimal comma and a real minus in Danish."""

from __future__ import annotations

import pytest

from server.lib.text import MINUS, format_number


@pytest.mark.parametrize(("value", "lang", "options", "shown"), [
    (200 / 60, "da", {"digits": 1, "trim": True}, "3,3"),   # her minutes on My pauses
    (3.0, "da", {"digits": 1, "trim": True}, "3"),          # a whole minute has no ",0"
    (-1.43, "da", {"digits": 1, "signed": True}, "\u22121,4"),  # a fall in stress: a real minus
    (1.43, "da", {"digits": 1, "signed": True}, "+1,4"),
    (-0.04, "da", {"digits": 1, "signed": True}, "0,0"),    # never "−0,0"
    (1234.5, "da", {"digits": 1}, "1.234,5"),
    (-1.43, "en", {"digits": 1}, "\u22121.4"),
    (1234, "en", {}, "1,234"),
    (None, "da", {}, "–"),
])
def test_it_writes_numbers_the_way_the_reader_does(value, lang, options, shown):
    assert format_number(value, lang, **options) == shown


def test_it_never_writes_a_hyphen_for_minus():
    assert "-" not in format_number(-12.5, "da", 1) and format_number(-12.5, "da", 1).startswith(MINUS)
