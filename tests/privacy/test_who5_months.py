"""WHO-5 over time (the dashboard's monthly WHO-5, issue 16), under the same protection as every other figure.

On the world of ``test_differencing`` with WHO-5 answers (a generated follow-up with known truth and record
keys), for a sample of the views the dashboard offers over a year or a quarter (drawn with a fixed seed):

* **What the rules give for the truth**: each shown month's count is the cell key method's count of exactly
  the people in the view who answered WHO-5 that month (worked out here from the stored answers, not by the
  code under test), and its mean is shown only for ten people or more and is their protected mean.
* **No subtraction**: no shown month differs by one to four answerers from a view it could be subtracted
  from: the same month with any of the view's filters dropped, its quarter or its year (the lattice rule,
  checked against the truth).
* **No averaging**: a month reads the same in every view that shows it: in the year's table, in its
  quarter's and as the period chosen alone, so asking for it through many views averages nothing away.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import uuid
from collections import defaultdict
from datetime import date

from server.content.catalog import get_catalog
from server.lib.disclosure import MIN_PEOPLE_FOR_MEANS, Cell, too_few
from server.reports import figures
from server.reports.figures import Filters, add_months, quarter_of
from server.reports.tables import QuestionnaireReading
from server.wellbeing.services import INSTRUMENT
from tests.privacy.test_differencing import LABELS, SEEDS, views
from tests.privacy.world import YEAR, Person, World, make_world

SAMPLE = 50
# Most people answer WHO-5 twice a year, so a month holds far fewer answers than people: larger sites than the
# differencing world's, so that many months are shown (and checked), beside the small ones that must not be.
SIZES = (320, 200, 110, 7, 3, 2)
FILTERS = ("site", "unit", "group", "kind", "municipality")


async def answers(world: World) -> dict[uuid.UUID, dict[date, int]]:
    """The truth: each person's latest WHO-5 score in each month she answered it."""
    out: dict[uuid.UUID, dict[date, int]] = defaultdict(dict)
    rows = await QuestionnaireReading.select(QuestionnaireReading.participant, QuestionnaireReading.day,
                                             QuestionnaireReading.score).where(
        QuestionnaireReading.questionnaire == INSTRUMENT).order_by(QuestionnaireReading.at)
    for r in rows:
        if r["score"] is not None:
            out[uuid.UUID(str(r["participant"]))][date.fromisoformat(str(r["day"])[:10]).replace(day=1)] = r["score"]
    return out


def meets(f: Filters, p: Person, dropped: tuple[str, ...] = ()) -> bool:
    checks = {"site": p.site, "unit": p.unit, "group": p.group, "kind": p.kind,
              "municipality": p.municipality or "none"}
    return all(getattr(f, name) is None or name in dropped or getattr(f, name) == checks[name] for name in FILTERS)


def answered(world: World, scores: dict, f: Filters, first: date, end: date, dropped: tuple[str, ...] = ()) -> set:
    return {p.id for p in world.people if meets(f, p, dropped) and any(first <= m < end for m in scores.get(p.id, {}))}


def chosen_views(world: World) -> list[Filters]:
    """Years and quarters, everyone to a single unit or course group, a fixed-seed sample: two thirds about
    sixty people or more (their months are shown, and checked), a third of any size (mostly withheld)."""
    longer = [f for f in views(world) if f.first_month != f.last_month]
    rng = random.Random(16)
    large = [f for f in longer if len(world.members(f)) >= 60]
    return rng.sample(large, 2 * SAMPLE // 3) + rng.sample(longer, SAMPLE - 2 * SAMPLE // 3)


async def build(f: Filters) -> figures.Dashboard:
    return await figures.build(f, get_catalog(), today=date.today(), labels=LABELS, language="en")


async def test_each_shown_month_of_who5_is_what_the_rules_give_and_singles_out_no_few(db):
    world = await make_world(SEEDS[0], sizes=SIZES, readings=True)
    scores = await answers(world)
    wrong, shown, with_mean = [], 0, 0
    for f in chosen_views(world):
        board = await build(f)
        for row in board.who5_months:
            if not row.shown:
                continue
            shown += 1
            month = row.key
            inside = answered(world, scores, f, month, add_months(month, 1))
            truth = Cell()
            for person in inside:
                truth.add(world.record_keys[person], {"score": scores[person][month]})
            if row.people != truth.count():
                wrong.append((f, month, "people", row.people, truth.count()))
            mean = row.values.get("mean")
            if mean is not None:
                with_mean += 1
                expected = round(min(100.0, max(0.0, truth.magnitude("score") / truth.people)), 1)
                if truth.people < MIN_PEOPLE_FOR_MEANS or mean != expected:
                    wrong.append((f, month, "mean", mean, (truth.people, expected)))
            active = [name for name in FILTERS if getattr(f, name) is not None]
            quarter = quarter_of(month)
            wider = [(month, add_months(month, 1)), (quarter, add_months(quarter, 3)),
                     (date(YEAR, 1, 1), date(YEAR + 1, 1, 1))]
            for k, (first, end) in itertools.product(range(len(active) + 1), wider):
                for dropped in itertools.combinations(active, k):
                    if (k, first, end) == (0, month, add_months(month, 1)):
                        continue
                    extra = len(answered(world, scores, f, first, end, dropped) - inside)
                    if too_few(extra):
                        wrong.append((f, month, f"{extra} more without {dropped} over {first}–{end}"))
    assert shown >= 60 and with_mean >= 30, f"only {shown} months shown ({with_mean} with a mean): too few to tell"
    assert not wrong, f"{len(wrong)} monthly WHO-5 figures break the rules, e.g. {str(wrong[:3])[:800]}"


async def test_a_month_of_who5_reads_the_same_in_every_view_that_shows_it(db):
    world = await make_world(SEEDS[0], sizes=SIZES, readings=True)
    compared = 0
    differ = []
    for f in chosen_views(world)[:12]:
        board = await build(f)
        for row in board.who5_months:
            if not row.shown:
                continue
            alone = await build(dataclasses.replace(f, first_month=row.key, last_month=row.key))
            same = [r for r in alone.who5_months if r.key == row.key and r.shown]
            if not same:
                continue
            compared += 1
            if (same[0].people, same[0].values) != (row.people, row.values):
                differ.append((f, row.key, (row.people, row.values), (same[0].people, same[0].values)))
    assert compared >= 20, f"only {compared} months compared"
    assert not differ, f"{len(differ)} months read differently alone, e.g. {str(differ[:3])[:800]}"
