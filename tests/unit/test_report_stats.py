"""The follow-up's statistics: Student's t against published tables, and an interval worked by hand."""

from __future__ import annotations

import pytest

from server.reports.stats import half_width, t95

# Two-sided 95 % critical values of Student's t (the 0.975 quantile), as printed in the usual t tables.
PUBLISHED = {1: 12.706, 4: 2.776, 10: 2.228, 29: 2.045, 30: 2.042, 40: 2.021, 120: 1.980}


@pytest.mark.parametrize(("df", "expected"), sorted(PUBLISHED.items()))
def test_t95_matches_the_published_table(df, expected):
    assert t95(df) == pytest.approx(expected, abs=0.003)


def test_t95_falls_towards_the_normal_value_and_needs_a_degree_of_freedom():
    values = [t95(df) for df in range(1, 500)]
    assert values == sorted(values, reverse=True), "more data never widens the interval"
    assert 1.96 < t95(10_000) < 1.961
    with pytest.raises(ValueError):
        t95(0)


def test_an_interval_worked_by_hand():
    # The changes +10, -10, +15 and -4 (mean 2.75). By hand:
    #   deviations 7.25, -12.75, 12.25, -6.75; squares 52.5625 + 162.5625 + 150.0625 + 45.5625 = 410.75
    #   sample SD = sqrt(410.75 / 3) = sqrt(136.91667) = 11.70114; standard error 11.70114 / sqrt(4) = 5.85057
    #   t(3 df) = 3.182, so the half-width is 3.182 * 5.85057 = 18.61651
    assert half_width([10, -10, 15, -4]) == pytest.approx(18.61651, abs=1e-4)


def test_everyone_changing_alike_gives_an_interval_of_no_width():
    assert half_width([12, 12, 12]) == 0


@pytest.mark.parametrize("changes", [[], [20]])
def test_fewer_than_two_changes_give_no_interval(changes):
    with pytest.raises(ValueError):
        half_width(changes)
