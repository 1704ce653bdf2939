"""WHO-5 scoring at every boundary, with the instrument as it is published in content/."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.content.loader import LoadResult, load_file
from server.content.schemas import Option, Questionnaire
from server.content.scoring import NotScorable, meaningful_change, score

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def who5() -> Questionnaire:
    result = LoadResult()
    load_file(ROOT / "content/questionnaires/who-5.yaml", "questionnaire", "who-5.yaml", result)
    assert not result.problems, result.problems
    return result.documents[0].content


def test_the_published_wording_is_kept_verbatim(who5):
    assert who5.items[0]["da"] == "I de sidste 2 uger har jeg været glad og i godt humør"
    assert who5.items[4]["en"] == "My daily life has been filled with things that interest me"
    assert [o.score for o in who5.options] == [5, 4, 3, 2, 1, 0]
    assert who5.options[0] == Option(score=5, text={"da": "Hele tiden", "en": "All of the time"})
    assert "Psychother Psychosom 2015;84:167–176" in who5.attribution["en"]


@pytest.mark.parametrize(("answers", "raw", "percent", "support"), [
    ([0, 0, 0, 0, 0], 0, 0, True),
    ([5, 5, 5, 5, 5], 25, 100, False),
    ([2, 2, 2, 1, 0], 7, 28, True),     # 28: at the threshold
    ([2, 2, 2, 2, 0], 8, 32, True),     # above it, but an item answered 0
    ([2, 2, 2, 2, 1], 9, 36, True),     # an item answered 1
    ([2, 2, 2, 2, 2], 10, 40, False),   # above 28 and every item 2 or more
    ([3, 2, 2, 2, 2], 11, 44, False),
])
def test_scores_and_when_support_is_offered(who5, answers, raw, percent, support):
    result = score(who5, answers)
    assert (result.raw, result.percent, result.offer_support) == (raw, percent, support)


@pytest.mark.parametrize("answers", [[3, 3, 3, 3], [3, 3, 3, 3, 3, 3], [3, 3, 3, 3, 6], [3, 3, 3, 3, -1],
                                     [3, 3, 3, 3, True], [3, 3, 3, 3, 2.0], []])
def test_only_exactly_five_whole_answers_from_0_to_5_are_scored(who5, answers):
    with pytest.raises(NotScorable):
        score(who5, answers)


def test_a_change_of_ten_points_is_meaningful(who5):
    assert meaningful_change(who5, 40, 50) and meaningful_change(who5, 60, 48)
    assert not meaningful_change(who5, 40, 48)
