"""Scoring questionnaires as their authors publish them (WHO-5: the sum × 4, 0–100), on the server.

The rules live in the instrument's content file (``scoring``), so another instrument is added as a
file, not as code. A reading is never a diagnosis: it only decides whether we offer support.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.content.schemas import Questionnaire


class NotScorable(ValueError):
    """The answers do not fit the instrument (wrong number of items, or a value it does not offer)."""


@dataclass(frozen=True, slots=True)
class Score:
    raw: int
    percent: int  # raw × multiplier: WHO-5's "percentage score", 0–100
    offer_support: bool  # at or below the instrument's threshold, or any item at or below its floor


def score(instrument: Questionnaire, answers: list[int]) -> Score:
    """Only complete answers are scored (as WHO-5 prescribes): exactly one allowed value per item."""
    allowed = {option.score for option in instrument.options}
    if len(answers) != len(instrument.items):
        raise NotScorable(f"{len(answers)} answers for {len(instrument.items)} items")
    if any(isinstance(a, bool) or not isinstance(a, int) or a not in allowed for a in answers):
        raise NotScorable("an answer is not one of the instrument's values")
    rules = instrument.scoring
    raw = sum(answers)
    percent = raw * (rules.multiplier or 1)
    low = rules.support_at_or_below
    floor = rules.support_if_any_item_at_or_below
    support = (low is not None and percent <= low) or (floor is not None and min(answers) <= floor)
    return Score(raw=raw, percent=percent, offer_support=support)


def meaningful_change(instrument: Questionnaire, before: int, after: int) -> bool:
    """WHO-5: a change of 10 points or more (on 0–100) is considered meaningful."""
    threshold = instrument.scoring.meaningful_change
    return threshold is not None and abs(after - before) >= threshold
