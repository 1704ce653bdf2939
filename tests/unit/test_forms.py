"""Typed forms: every field is judged on its own, and each problem is said in words, with its limits."""

from __future__ import annotations

from datetime import date

from server.coordination.schemas import GroupForm, InviteForm, SiteForm
from server.lib.forms import blank, field_message, parse
from server.lib.i18n import current_language
from server.reminders.schemas import ReminderForm, SubscriptionIn


def test_it_gives_typed_values_and_defaults_for_empty_fields():
    parsed = parse(SiteForm, {"name": "  Klinikken  ", "kind": "clinic", "municipality": "", "checkin_every": ""})
    assert parsed.errors == {}
    assert parsed.value == SiteForm(name="Klinikken", kind="clinic", municipality="", checkin_every=14)


def test_it_names_every_wrong_field_at_once_with_its_own_limits():
    parsed = parse(InviteForm, {"kind": "visitor", "unit": "x", "days": "0", "max_uses": "9999999"})
    assert parsed.value is None
    assert set(parsed.errors) == {"kind", "unit", "days", "max_uses"}
    assert parsed.errors["days"] == "Days until it expires must be a whole number from 1 to 366, or empty."
    assert parsed.errors["max_uses"] == "The number of uses must be a whole number from 1 to 100000, or empty."


def test_it_speaks_her_language():
    token = current_language.set("da")
    try:
        parsed = parse(SiteForm, {"name": "", "kind": "clinic", "checkin_every": "3"})
    finally:
        current_language.reset(token)
    assert set(parsed.errors) == {"name", "checkin_every"}
    assert "7" in parsed.errors["checkin_every"] and "90" in parsed.errors["checkin_every"]
    assert parsed.errors["name"] != "Please give a name."  # Danish, from the catalogue


def test_it_keeps_what_she_typed_to_show_it_again():
    raw = {"name": "Forårsholdet", "course": "mbsr-8-weeks", "starts_on": "1. februar"}
    parsed = parse(GroupForm, raw)
    assert parsed.raw == raw
    assert parsed.errors == {"starts_on": "Please give the start date as a date, for example 2027-02-01."}
    assert parse(GroupForm, {**raw, "starts_on": "2027-02-01"}).value.starts_on == date(2027, 2, 1)


def test_a_blank_form_has_every_field_as_text():
    assert blank(InviteForm, kind="patient") == {"kind": "patient", "unit": "", "group": "", "label": "",
                                                 "days": "", "max_uses": "", "format": "link"}


def test_a_nul_is_refused_in_any_field_with_its_own_words():
    """No browser sends one, and PostgreSQL cannot store it: it never reaches a service."""
    parsed = parse(SiteForm, {"name": "Klinik\x00ken", "kind": "clinic"})
    assert parsed.value is None
    assert parsed.errors == {"name": "This field holds a character that cannot be saved. Please type it again."}
    assert parse(ReminderForm, {"quiet_start": "21:00", "quiet_end": "07:00", "days": ["1", "\x00"]}).errors == {
        "days": "This field holds a character that cannot be saved. Please type it again."}


def test_a_repeated_field_keeps_its_words_and_limits():
    parsed = parse(ReminderForm, {"quiet_start": "21:00", "quiet_end": "07:00", "days": ["1"] * 8})
    assert parsed.errors == {"days": "Please choose at least one day."}
    assert parse(ReminderForm, {"quiet_start": "21:00", "quiet_end": "07:00", "days": ["1", "5"]}).value.days == [
        "1", "5"]


def test_a_json_body_field_is_named_in_its_own_words():
    assert field_message(SubscriptionIn, "keys.p256dh") == "This browser gave keys for reminders that we cannot use."
    assert field_message(SubscriptionIn, "endpoint").startswith("This browser gave an address")
    assert field_message(ReminderForm, "days[3]") == "Please choose at least one day."
    assert field_message(SubscriptionIn, "keys") is None  # no words of its own: the route's are used
    assert field_message(SubscriptionIn, "keys.nothing.deeper") is None
