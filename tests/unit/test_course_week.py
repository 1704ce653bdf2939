from datetime import date, timedelta

from server.participants.services import course_week

START = date(2026, 11, 2)


def test_week_one_on_the_start_day_and_before_it():
    assert course_week(START, START, 8) == 1
    assert course_week(START, START - timedelta(days=3), 8) == 1


def test_week_two_unlocks_on_day_seven():
    assert course_week(START, START + timedelta(days=6), 8) == 1
    assert course_week(START, START + timedelta(days=7), 8) == 2


def test_it_stays_in_the_last_week_after_the_course():
    assert course_week(START, START + timedelta(days=200), 8) == 8
