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
