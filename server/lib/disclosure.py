"""Disclosure control, the one home of the rule "no figure about fewer than five people, and no way to
work one out", for every aggregate that leaves the server (dashboards, annual report, unit page,
coordination counts).

Three layers, each written down for the data-protection officer in the README ("How the figures are
protected"):

1. **Small cells are hidden.** A figure about one to four people is never shown ("<5"). In a table whose
   rows add up to a total, hiding one small row is not enough (total minus the others): whenever a single
   row is hidden, or only small ones, the smallest row of five or more is hidden with them ("·"), so what
   the total and the shown rows give away is a sum that includes at least five unknown people.
2. **Views that differ by a few people are not both shown** (``Lattice``). A view (a period and a set of
   filters) is compared with every coarser view it could be subtracted from: each of its filters dropped
   alone or together, a group or unit widened to its site, a month widened to its quarter and year. If
   any of them holds one to four more people, the view is withheld: it would single them out.
3. **Every shown figure carries consistent noise** (the cell key method of the Australian Bureau of
   Statistics and the ONS). Each participant has a random record key; the key of a cell — any figure
   about a set of people — is the sum of their keys. The noise is read from the cell key and the figure's
   name, so the same people give the same figure on every page, in every process and on both engines
   (asking again averages nothing away), while two different sets get unrelated noise, so a difference of
   two views that layer 2 did not foresee is not exact.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# Five is the usual floor for small-cell suppression in Danish health statistics.
MIN_PEOPLE = 5
# A mean, a share or a change is shown only for at least this many people: below it the noise that
# protects the sum would move the mean visibly (see ``published_magnitude``).
MIN_PEOPLE_FOR_MEANS = 10
Hidden = Literal["small", "complement"] | None


@dataclass(slots=True)
class Row:
    key: Any
    label: str
    people: int
    values: dict[str, float | int | None] = field(default_factory=dict)
    hidden: Hidden = None

    @property
    def shown(self) -> bool:
        return self.hidden is None


def too_few(people: int) -> bool:
    """A group of one to four people is too small to show; nobody (0) reveals nobody."""
    return 0 < people < MIN_PEOPLE


def protect(rows: list[Row]) -> list[Row]:
    """Marks rows hidden in place and returns them for chaining: each small row (primary suppression), and
    then one more, the smallest row of five or more (complementary suppression), whenever a single row is
    hidden or all hidden rows are small: otherwise the total minus the shown rows would give that row, or a
    sum of small rows only.

    Rows already hidden by the caller count as hidden (a row hidden because a wider view differs from it by
    a few people needs its partner too). A row of nobody (0) is shown: it hides nothing.
    """
    for row in rows:
        if too_few(row.people):
            row.hidden = "small"
    hidden = [row for row in rows if not row.shown]
    if hidden and (len(hidden) == 1 or all(row.people < MIN_PEOPLE for row in hidden)):
        candidates = sorted((row for row in rows if row.shown and row.people > 0),
                            key=lambda row: (row.people, str(row.label)))
        if candidates:
            candidates[0].hidden = "complement"
    return rows


# --- Layer 3: consistent noise (the cell key method) -------------------------------------------------

RECORD_KEY_SPACE = 2**31  # fits a signed 32-bit integer column on both engines
# The adjustment of a count of five or more people, and its probability: published in the README. Mean 0,
# variance 1.6, never more than 2; two cells get the same adjustment only 21.5 % of the time.
COUNT_ADJUSTMENTS = ((-2, 0.15), (-1, 0.20), (0, 0.30), (1, 0.20), (2, 0.15))
# A magnitude (practices, minutes, ratings, a sum of changes) moves by up to its largest single person's
# contribution, so no one person's part can be read from a cell she dominates, and a small group's part of
# a large cell is lost in the noise of its largest contributor.
MAGNITUDE_SHARE = 1.0


def new_record_key() -> int:
    return secrets.randbelow(RECORD_KEY_SPACE)


def cell_key(record_keys: Iterable[int]) -> int:
    return sum(record_keys) % RECORD_KEY_SPACE


def draw(key: int, what: str) -> float:
    """A number in [0, 1) fixed by the cell key and ``what`` is drawn for (not secret: the record keys are)."""
    digest = hashlib.blake2b(f"{key}:{what}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def count_adjustment(key: int) -> int:
    """By the cell key alone, as in the ABS's TableBuilder: the same people get the same count in every table
    and under every heading (joined, active, per exercise, per site …). Were the figure's name part of it, one
    page would hold a dozen independent readings of one group, and their average would wear the noise away."""
    u, below = draw(key, "people"), 0.0
    for adjustment, p in COUNT_ADJUSTMENTS:
        below += p
        if u < below:
            return adjustment
    return COUNT_ADJUSTMENTS[-1][0]


def published_count(n: int, key: int) -> int | None:
    """What a page may show for ``n`` people (None: "fewer than five"). Nobody stays 0: it reveals nobody."""
    if n == 0:
        return 0
    if too_few(n):
        return None
    shown = n + count_adjustment(key)
    return None if shown < MIN_PEOPLE else shown


def published_magnitude(total: float, largest: float, key: int, measure: str) -> float:
    """``total`` moved by up to MAGNITUDE_SHARE of ``largest`` (the largest one person contributed, by
    size). Never below zero for a total that is not.

    The draw is fixed by the cell key, the measure and the true total: the same people's same sum reads the
    same wherever it is shown (no averaging), while the same people's different sums (a quarter and its last
    month, where one of them did something in another month) get unrelated noise, so their difference does
    not give that one person's part exactly."""
    plain = str(int(total)) if float(total).is_integer() else repr(float(total))  # 7, 7.0 and Decimal(7) alike
    moved = total + abs(largest) * MAGNITUDE_SHARE * (2 * draw(key, f"{measure}:{plain}") - 1)
    return max(moved, 0.0) if total >= 0 else moved


@dataclass(slots=True)
class Cell:
    """A figure's people, the sum of their record keys, and what they contributed: added one person at a
    time (``add``) or a group at a time as a query counted them (``merge``)."""

    people: int = 0
    keys: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    largest: dict[str, float] = field(default_factory=dict)  # the largest one person contributed, by size

    def add(self, record_key: int, values: dict[str, float] | None = None) -> None:
        self.merge(1, record_key, values or {}, values or {})

    def merge(self, people: int, keys: int, sums: dict[str, float], largest: dict[str, float]) -> None:
        self.people += people
        self.keys += keys
        for name, value in sums.items():
            self.sums[name] = self.sums.get(name, 0) + (value or 0)
        for name, value in largest.items():
            self.largest[name] = max(self.largest.get(name, 0), abs(value or 0))

    def merge_group(self, group: Mapping[str, Any], names: Iterable[str]) -> None:
        """A group as a query counted it: ``n`` people, the sum of their ``record_keys``, and for each name
        its sum and its largest single contribution (``top_<name>``). The dashboard merges thousands of
        these, so this one avoids ``merge``'s two dictionaries per group."""
        self.people += int(group["n"])
        self.keys += int(group["record_keys"])
        sums, largest = self.sums, self.largest
        for name in names:
            sums[name] = sums.get(name, 0) + int(group[name] or 0)
            top = abs(int(group[f"top_{name}"] or 0))
            if top >= largest.get(name, 0):
                largest[name] = top

    @property
    def key(self) -> int:
        return self.keys % RECORD_KEY_SPACE

    def count(self) -> int | None:
        return published_count(self.people, self.key)

    def magnitude(self, name: str) -> float:
        """The protected sum of ``name`` (0 when nobody contributed)."""
        return published_magnitude(self.sums.get(name, 0), self.largest.get(name, 0), self.key, name)


# --- Layer 2: views that differ by a few people -------------------------------------------------------

class Lattice:
    """Who is in a view and in every coarser view, told apart by two small codes per person.

    ``filters``: the view's filters, in a fixed order; ``levels``: its period first, then each wider period
    it could be subtracted from. A person is added with the filters she meets (``mask``: bit i for
    ``filters[i]``) and the periods she counts in (``levels``: bit j for level j). A coarser view keeps some
    of the filters (a sub-mask) over one of the levels; ``gap`` finds one holding one to four more people.
    """

    def __init__(self, filters: Sequence[str], levels: int) -> None:
        self.filters = tuple(filters)
        self.full = (1 << len(self.filters)) - 1
        self.levels = levels
        self.seen: Counter[tuple[int, int]] = Counter()

    def add(self, mask: int, levels: int, people: int = 1) -> None:
        self.seen[(mask, levels)] += people

    def people(self) -> int:
        return sum(n for (mask, levels), n in self.seen.items() if mask == self.full and levels & 1)

    def gap(self) -> str | None:
        """The first coarser view that holds one to four more people: the name of a filter it drops, or
        "period" when only the period is wider; None when every coarser view differs by none or five or more."""
        inside = Counter[tuple[int, int]]()  # (kept filters, level) -> people
        for (mask, levels), n in self.seen.items():
            sub = mask
            while True:  # every sub-mask of ``mask``: the views that keep only those filters still hold her
                for level in range(self.levels):
                    if levels >> level & 1:
                        inside[(sub, level)] += n
                if sub == 0:
                    break
                sub = (sub - 1) & mask
        here = inside.get((self.full, 0), 0)
        for (kept, level), n in sorted(inside.items(), key=lambda item: (-item[0][0], item[0][1])):
            if (kept, level) != (self.full, 0) and too_few(n - here):
                dropped = [name for i, name in enumerate(self.filters) if not kept >> i & 1]
                return dropped[0] if dropped else "period"
        return None
