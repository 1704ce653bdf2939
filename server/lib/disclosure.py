"""Disclosure control, the one home of the rule "no figure about fewer than five people, and no way to
work one out", for every aggregate that leaves the server (dashboards, annual report, unit page).

Primary suppression hides every row with fewer than ``MIN_PEOPLE`` distinct people. A table's rows add
up to the total shown above it (practices, minutes), so one hidden row could be recovered as "total
minus the rest"; complementary suppression then hides the next-smallest row too, so what can be worked
out is only the sum of at least two rows. The same holds for a filter: with a filter on one attribute
of a person (kind, site, unit, municipality, group), the people left out by it are a group of their own
("everyone" minus "these"), and if that group is small the figures are withheld.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# Five is the usual floor for small-cell suppression in Danish health statistics; the staff unit page,
# the dashboards, the annual report and the exports' documentation all use this constant.
MIN_PEOPLE = 5
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
    """Marks rows hidden in place (primary, then complementary) and returns them for chaining.

    Rows already hidden by the caller count as hidden. A row of nobody (0) is shown: it hides nothing,
    so it can neither protect a small row nor be the complement that does.
    """
    for row in rows:
        if too_few(row.people):
            row.hidden = "small"
    hidden = [row for row in rows if not row.shown]
    if len(hidden) == 1:
        candidates = sorted((row for row in rows if row.shown and row.people > 0),
                            key=lambda row: (row.people, str(row.label)))
        if candidates:
            candidates[0].hidden = "complement"
    return rows


def safe_total(rows: list[Row], name: str) -> float | int | None:
    """The sum over the rows still shown, for a total row that must not reveal the hidden ones."""
    return sum(row.values.get(name) or 0 for row in rows if row.shown)


# --- Consistent perturbation (the cell key method) ---------------------------------------------------
#
# Every participant carries a random record key (``participant.record_key``, drawn once at enrolment,
# never derived from a secret). The key of a cell — any figure about a set of people — is the sum of its
# people's record keys modulo 2**31, so the same people give the same key on every page, in every process
# and on both engines, while two different sets (a view, and that view less one person) give unrelated
# keys. Each figure's noise is read from the cell key and the figure's name, so a figure is the same
# whenever it is asked for (asking again averages nothing away) and the difference of two views carries
# the noise of both.

RECORD_KEY_SPACE = 2**31  # fits a signed 32-bit integer column on both engines


def new_record_key() -> int:
    return secrets.randbelow(RECORD_KEY_SPACE)


# The adjustment of a count of five or more people, and its probability: published beside the README's
# rules. Mean 0, variance 1.6, never more than 2; two cells agree on their adjustment only 21.5 % of the
# time, so a difference of two views is exactly right about as often as a guess.
COUNT_ADJUSTMENTS = ((-2, 0.15), (-1, 0.20), (0, 0.30), (1, 0.20), (2, 0.15))
# A magnitude (practices, minutes, ratings, a sum of changes) moves by up to this share of each of its two
# largest contributions, so no single person's part can be read from a cell she dominates.
MAGNITUDE_SHARE = 0.5
MAGNITUDE_CONTRIBUTORS = 2


def cell_key(record_keys: Iterable[int]) -> int:
    return sum(record_keys) % RECORD_KEY_SPACE


def draw(key: int, figure: str) -> float:
    """A number in [0, 1) fixed by the cell key and the figure's name (not secret: the key is)."""
    digest = hashlib.blake2b(f"{key}:{figure}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def count_adjustment(key: int, figure: str = "people") -> int:
    u, below = draw(key, figure), 0.0
    for adjustment, p in COUNT_ADJUSTMENTS:
        below += p
        if u < below:
            return adjustment
    return COUNT_ADJUSTMENTS[-1][0]


def published_count(n: int, key: int, figure: str = "people") -> int | None:
    """What a page may show for ``n`` people (None: "fewer than five"). Nobody stays 0: it reveals nobody."""
    if n == 0:
        return 0
    if too_few(n):
        return None
    shown = n + count_adjustment(key, figure)
    return None if shown < MIN_PEOPLE else shown


def published_magnitude(total: float, largest: Sequence[float], key: int, figure: str) -> float:
    """``total`` moved by up to MAGNITUDE_SHARE of each of its largest contributions (``largest``, in any
    order; only the MAGNITUDE_CONTRIBUTORS largest by size count). Never below zero for a total that is not."""
    top = sorted((abs(x) for x in largest), reverse=True)[:MAGNITUDE_CONTRIBUTORS]
    noise = sum(x * MAGNITUDE_SHARE * (2 * draw(key, f"{figure}#{i}") - 1) for i, x in enumerate(top))
    moved = total + noise
    return max(moved, 0.0) if total >= 0 else moved
