"""Reminder times: local wall-clock times in Copenhagen, right on both sides of summer time, sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.lib.localtime import TZ
from server.reminders.schedule import Plan, in_quiet_hours, next_due, parse_hhmm, window_slots


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def all_due(plan: Plan, start: datetime, end: datetime) -> list[datetime]:
    """Every moment the sender would send between start and end, asking for the next one each time."""
    moments, after = [], start
    while (due := next_due(plan, after)) is not None and due < end:
        moments.append(due)
        after = due
    return moments


def test_an_eight_oclock_reminder_stays_at_eight_across_the_spring_change():
    # 2027: summer time starts Sunday 28 March at 02:00 local.
    plan = Plan(slots=("08:00",), days="1234567")
    moments = all_due(plan, utc(2027, 3, 26, 12), utc(2027, 3, 30, 12))
    assert [m.astimezone(TZ).strftime("%a %d %H:%M") for m in moments] == [
        "Sat 27 08:00", "Sun 28 08:00", "Mon 29 08:00", "Tue 30 08:00"]
    assert moments[0] == utc(2027, 3, 27, 7)  # winter: UTC+1
    assert moments[1] == utc(2027, 3, 28, 6)  # the change night is over: UTC+2


def test_an_eight_oclock_reminder_stays_at_eight_across_the_autumn_change():
    # 2027: summer time ends Sunday 31 October at 03:00 local.
    plan = Plan(slots=("08:00",), days="1234567")
    moments = all_due(plan, utc(2027, 10, 29, 12), utc(2027, 11, 1, 12))
    assert [m.astimezone(TZ).strftime("%d %H:%M") for m in moments] == ["30 08:00", "31 08:00", "01 08:00"]
    assert moments[1] - moments[0] == timedelta(hours=25)


def test_a_time_that_happens_twice_in_october_is_sent_once():
    plan = Plan(slots=("02:30",), days="1234567", quiet_start="00:00", quiet_end="00:00")
    moments = all_due(plan, utc(2027, 10, 30, 12), utc(2027, 11, 1, 12))
    on_change_day = [m for m in moments if m.astimezone(TZ).day == 31]
    assert len(on_change_day) == 1
    assert on_change_day[0] == utc(2027, 10, 31, 0, 30)  # the first 02:30 (still summer time)


def test_a_time_that_does_not_exist_in_march_is_sent_an_hour_later_once():
    plan = Plan(slots=("02:30",), days="1234567", quiet_start="00:00", quiet_end="00:00")
    moments = all_due(plan, utc(2027, 3, 27, 12), utc(2027, 3, 29, 12))
    on_change_day = [m for m in moments if m.astimezone(TZ).day == 28]
    assert [m.astimezone(TZ).strftime("%H:%M") for m in on_change_day] == ["03:30"]


def test_quiet_hours_are_always_respected():
    plan = Plan(slots=("06:30", "12:00", "22:15"), days="1234567", quiet_start="21:00", quiet_end="07:00")
    moments = all_due(plan, utc(2027, 5, 3), utc(2027, 5, 6))
    assert {m.astimezone(TZ).strftime("%H:%M") for m in moments} == {"12:00"}
    assert in_quiet_hours(parse_hhmm("23:59"), "21:00", "07:00")
    assert not in_quiet_hours(parse_hhmm("07:00"), "21:00", "07:00")


def test_only_the_chosen_days():
    plan = Plan(slots=("09:00",), days="135")  # Monday, Wednesday, Friday
    moments = all_due(plan, utc(2027, 5, 2), utc(2027, 5, 9))  # Sunday to Sunday
    assert [m.astimezone(TZ).strftime("%a") for m in moments] == ["Mon", "Wed", "Fri"]


def test_a_shift_window_every_two_hours_and_not_today():
    slots = window_slots("07:00", "15:00", 120)
    assert slots == ["07:00", "09:00", "11:00", "13:00", "15:00"]
    monday_10 = datetime(2027, 5, 3, 10, tzinfo=TZ).astimezone(UTC)
    plan = Plan(slots=tuple(slots), days="12345")
    assert next_due(plan, monday_10).astimezone(TZ).strftime("%a %H:%M") == "Mon 11:00"
    paused = Plan(slots=tuple(slots), days="12345",
                  paused_until=datetime(2027, 5, 4, 0, tzinfo=TZ).astimezone(UTC))  # "not today"
    assert next_due(paused, monday_10).astimezone(TZ).strftime("%a %H:%M") == "Tue 07:00"


@pytest.mark.parametrize(("start", "end", "every"), [("15:00", "07:00", 60), ("07:00", "15:00", 5),
                                                     ("7:00", "15:00", 60), ("07:00", "24:00", 60)])
def test_impossible_windows_are_refused(start, end, every):
    with pytest.raises(ValueError):
        window_slots(start, end, every)


def test_no_days_or_no_times_means_no_reminders():
    assert next_due(Plan(slots=(), days="1234567"), utc(2027, 1, 1)) is None
    assert next_due(Plan(slots=("08:00",), days=""), utc(2027, 1, 1)) is None


def test_a_moment_in_quiet_hours_moves_to_their_end_also_across_a_summer_time_change():
    from server.reminders.schedule import outside_quiet_hours

    # 2027-03-27 22:40 local (UTC+1): in quiet hours 21:00-07:00, so 07:00 the next morning, by then
    # summer time (UTC+2).
    assert outside_quiet_hours(utc(2027, 3, 27, 21, 40), "21:00", "07:00") == utc(2027, 3, 28, 5)
    assert outside_quiet_hours(utc(2027, 3, 27, 12), "21:00", "07:00") == utc(2027, 3, 27, 12)  # not quiet
    assert outside_quiet_hours(utc(2027, 3, 27, 10, 30), "12:00", "13:00") == utc(2027, 3, 27, 10, 30)  # 11:30
    assert outside_quiet_hours(utc(2027, 3, 27, 11, 15), "12:00", "13:00") == utc(2027, 3, 27, 12)  # 12:15 → 13:00
    assert outside_quiet_hours(utc(2027, 3, 27, 11, 15), "00:00", "00:00") == utc(2027, 3, 27, 11, 15)  # none
