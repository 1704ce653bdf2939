"""The attacker: a researcher (who sees every site) asks for every view the dashboard offers on a generated
follow-up with known truth, and tries to work out a figure about one to four people from them.

The view space is what the dashboard and the annual report offer: a calendar year, quarter or month; all
sites, one site, one unit or one course group; everyone, patients or staff; all municipalities, one, or
"not stated". A view is what ``server.reports.figures.build`` returns for it (the page only formats it).

* **No exact difference**: no two shown views, one inside the other as the filters and periods go, differ
  by one to four people (the lattice rule); where two shown views happen to nest otherwise, their
  difference carries the noise of both.
* **No averaged-out figure**: for every small group (1-4 people) that some pair of views isolates, the
  attacker gathers every pair of *shown* views that isolates exactly that group (she is told which pairs
  do, and that the group has one to four people: more than any real attacker knows) and takes the most
  likely size given the published noise table; where no shown pair isolates it, she can only guess, which
  is right one time in four (counted as a quarter, so luck does not decide the test). Over more than a
  thousand small groups she is exactly right no more often than guessing, give or take one percentage
  point: an informed estimate beats a guess (the noise is at most 2), so the protection lies in how
  rarely a pair of shown views isolates a small group at all (the share is checked too).

That the noise is consistent (the same view gives the same figures again, in another process and on either
engine), which this attack takes for granted, is tested in ``test_consistency``.
"""

from __future__ import annotations

import itertools
import math
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from server.content.catalog import get_catalog
from server.lib.disclosure import COUNT_ADJUSTMENTS
from server.reports import figures
from server.reports.figures import Filters
from tests.privacy.world import MUNICIPALITIES, YEAR, World, make_world

# One world in `make test` (some 1,400 small groups); `make privacy` asks for more.
SEEDS = tuple(int(s) for s in os.environ.get("PUSTERUM_PRIVACY_SEEDS", "1").split(","))
LABELS: dict = {"site": {}, "municipality": {}}


def periods() -> list[tuple[date, date]]:
    out = [(date(YEAR, 1, 1), date(YEAR, 12, 1))]
    out += [(date(YEAR, 3 * q + 1, 1), date(YEAR, 3 * q + 3, 1)) for q in range(4)]
    out += [(date(YEAR, m, 1), date(YEAR, m, 1)) for m in range(1, 13)]
    return out


def views(world: World) -> list[Filters]:
    """Every view the dashboard offers here, as its filter parser makes them (a unit or a course group
    brings its site, and its role: units are staff's, course groups patients')."""
    places: list[dict] = [{}]
    places += [{"site": s, "kind": k} for s in world.sites for k in (None, "patient", "staff")]
    places += [{"kind": k} for k in ("patient", "staff")]
    places += [{"site": site, "unit": u, "kind": "staff"} for u, site in world.units.items()]
    places += [{"site": site, "group": g, "kind": "patient"} for g, site in world.groups.items()]
    out = []
    for (first, last), place, municipality in itertools.product(periods(), places, (None, *MUNICIPALITIES, "none")):
        out.append(Filters(first_month=first, last_month=last, municipality=municipality, **place))
    return out


@dataclass(frozen=True, slots=True)
class Seen:
    filters: Filters
    members: frozenset
    people: int | None  # what the page shows (None: withheld or "<5")
    started: int | None


async def look(world: World) -> list[Seen]:
    catalog = get_catalog()
    seen = []
    for f in views(world):
        board = await figures.build(f, catalog, today=date.today(), labels=LABELS, language="en")
        shown = board.shown
        seen.append(Seen(f, world.members(f), board.totals["people"] if shown else None,
                         board.totals["started"] if shown else None))
    return seen


def adjustment_difference() -> dict[int, float]:
    """How likely each difference of two independent count adjustments is (the published table's)."""
    out: dict[int, float] = defaultdict(float)
    for (a, p), (b, q) in itertools.product(COUNT_ADJUSTMENTS, repeat=2):
        out[a - b] += p * q
    return dict(out)


def best_guess(differences: list[int], rng: random.Random) -> int:
    """The most likely size (1-4) of a group from published differences; a guess when there are none."""
    if not differences:
        return rng.randint(1, 4)
    odds = adjustment_difference()

    def likelihood(g: int) -> float:
        return sum(math.log(odds.get(d - g, 1e-9)) for d in differences)

    return max(range(1, 5), key=lambda g: (likelihood(g), -abs(g - 2.5)))


def nested(wide: Filters, narrow: Filters) -> bool:
    """Whether ``narrow`` is ``wide`` with more filters or a shorter period inside it (the lattice)."""
    if not (wide.first_month <= narrow.first_month and narrow.end <= wide.end):
        return False
    return all(getattr(wide, name) in (None, getattr(narrow, name))
               for name in ("site", "unit", "group", "kind", "municipality"))


@dataclass(slots=True)
class Outcome:
    exact_pairs: list[tuple[Seen, Seen]]  # lattice-nested shown views that differ by one to four people
    targets: int  # small groups some pair of views (shown or not) isolates
    informed: int  # of those, isolated by at least one pair of shown views
    right: float  # expected number of exactly right estimates


async def attack(seed: int) -> Outcome:
    world = await make_world(seed)
    seen = await look(world)
    shown = [s for s in seen if s.people is not None]
    by_size: dict[int, list[Seen]] = defaultdict(list)
    for s in shown:
        by_size[len(s.members)].append(s)
    exact_pairs = []
    isolating: dict[frozenset, list[int]] = defaultdict(list)
    for wide in shown:
        for k in range(1, 5):
            for narrow in by_size.get(len(wide.members) - k, ()):
                if narrow.members <= wide.members:
                    if nested(wide.filters, narrow.filters):
                        exact_pairs.append((wide, narrow))
                    isolating[wide.members - narrow.members].append(wide.people - narrow.people)
    sizes: dict[int, list[frozenset]] = defaultdict(list)
    for s in seen:
        sizes[len(s.members)].append(s.members)
    targets = {s.members - inner for s in seen for k in range(1, 5)
               for inner in sizes.get(len(s.members) - k, ()) if inner <= s.members}
    rng = random.Random(seed)
    right = sum(float(best_guess(isolating[g], rng) == len(g)) if g in isolating else 0.25 for g in targets)
    return Outcome(exact_pairs, len(targets), sum(g in isolating for g in targets), right)


async def test_no_view_can_be_subtracted_from_another_to_single_out_a_few_people_or_averaged_to_them(db):
    from server.participants.tables import Participant
    from server.reports.tables import UsageMonth

    targets = informed = 0
    right = 0.0
    for seed in SEEDS:
        outcome = await attack(seed)
        assert not outcome.exact_pairs, [(a.filters, b.filters) for a, b in outcome.exact_pairs[:3]]
        targets, informed, right = targets + outcome.targets, informed + outcome.informed, right + outcome.right
        await UsageMonth.delete(force=True)
        await Participant.delete(force=True)
    assert targets >= 1000, f"only {targets} small groups to attack: the world is too small to tell"
    assert informed / targets <= 0.02, f"{informed} of {targets} small groups are isolated by two shown views"
    assert right / targets <= 0.26, f"the attacker was exactly right for {right:.0f} of {targets} small groups"
