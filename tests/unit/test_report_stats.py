"""The follow-up's statistics: Student's t against published tables, and a paired change worked by hand."""

from __future__ import annotations

import pytest

from server.reports.stats import paired_change, t95

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


def test_a_paired_change_worked_by_hand():
    # (before, after) per person; the changes are +10, -10, +15 and -4.
    pairs = [(40, 50), (60, 50), (30, 45), (52, 48)]
    result = paired_change(pairs, threshold=10)
    assert result is not None
    # By hand:
    #   mean before (40 + 60 + 30 + 52) / 4 = 45.5; mean after (50 + 50 + 45 + 48) / 4 = 48.25
    #   mean change (10 - 10 + 15 - 4) / 4 = 2.75
    #   deviations 7.25, -12.75, 12.25, -6.75; squares 52.5625 + 162.5625 + 150.0625 + 45.5625 = 410.75
    #   sample SD = sqrt(410.75 / 3) = sqrt(136.91667) = 11.70114; standard error 11.70114 / sqrt(4) = 5.85057
    #   t(3 df) = 3.182, so the half-width is 3.182 * 5.85057 = 18.61651
    #   95 % CI: 2.75 - 18.61651 = -15.86651 to 2.75 + 18.61651 = 21.36651
    assert result.n == 4
    assert result.mean_before == pytest.approx(45.5)
    assert result.mean_after == pytest.approx(48.25)
    assert result.mean_change == pytest.approx(2.75)
    assert result.ci_low == pytest.approx(-15.86651, abs=1e-4)
    assert result.ci_high == pytest.approx(21.36651, abs=1e-4)
    # A change of exactly +10 counts as improved and exactly -10 as worse; -4 is neither.
    assert (result.improved, result.worsened) == (2, 1)  # +10 and +15; -10
    assert result.share_improved == pytest.approx(0.5)
    assert result.share_worsened == pytest.approx(0.25)


def test_changes_just_short_of_the_threshold_are_not_counted():
    result = paired_change([(50, 59.9), (50, 40.1), (50, 50)], threshold=10)
    assert result is not None
    assert (result.improved, result.worsened) == (0, 0)


def test_everyone_changing_alike_gives_an_interval_of_no_width():
    result = paired_change([(20, 32), (40, 52), (60, 72)], threshold=10)
    assert result is not None
    assert result.mean_change == result.ci_low == result.ci_high == pytest.approx(12)
    assert result.improved == 3


@pytest.mark.parametrize("pairs", [[], [(40, 60)]])
def test_fewer_than_two_pairs_give_no_result(pairs):
    assert paired_change(pairs, threshold=10) is None
