"""History compares two versions field by field, as the editor's form shows them: the changed words of a
text marked, choices by their labels, and a new order of the same choices no change at all."""

from __future__ import annotations

from server.editor.services import compare, word_diff
from server.lib.i18n import current_language


def test_it_marks_only_the_words_that_changed():
    assert word_diff("Sit down and breathe slowly.", "Sit down and breathe very slowly.") == [
        ("same", "Sit down and breathe "), ("ins", "very "), ("same", "slowly.")]
    assert word_diff("Tre minutters pusterum", "Tre rolige minutter") == [
        ("same", "Tre "), ("del", "minutters pusterum"), ("ins", "rolige minutter")]


def test_it_names_each_changed_field_once_and_skips_what_is_unchanged():
    before = {"title": {"da": "Et øjeblik", "en": "A moment"}, "tags": ["body", "feelings"],
              "steps": [{"seconds": 30, "text": {"da": "Mærk fødderne.", "en": "Feel your feet."}}]}
    after = {"title": {"da": "Et godt øjeblik", "en": "A moment"}, "tags": ["feelings", "body"],
             "steps": [{"seconds": 45, "text": {"da": "Mærk fødderne.", "en": "Feel your feet."}}]}
    changes = compare(before, after)
    assert [c.path for c in changes] == ["title.da", "steps[1].seconds"]  # the tags only moved


def test_choices_read_as_the_form_labels_them():
    token = current_language.set("da")
    try:
        (change,) = compare({"audience": ["patient"]}, {"audience": ["staff", "patient"]})
    finally:
        current_language.reset(token)
    assert change.parts == [("same", "Patienter"), ("ins", ", Personale")]
