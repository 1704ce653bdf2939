"""Denmark's 98 municipalities (kommunekoder) and 5 regions, for 'municipality of residence', the help a
person is shown where she lives, and reports by geography."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import NamedTuple


class Municipality(NamedTuple):
    code: str
    name: str
    region: str
    region_code: str  # 1081–1085


@cache
def municipalities() -> dict[str, Municipality]:
    with (Path(__file__).parent / "municipalities.csv").open(encoding="utf-8") as fh:
        rows = [Municipality(r["code"], r["name"], r["region"], r["region_code"]) for r in csv.DictReader(fh)]
    return {m.code: m for m in sorted(rows, key=lambda m: m.name)}


@cache
def regions() -> dict[str, str]:
    """Region code -> name ("1084" -> "Region Hovedstaden"), in code order."""
    return dict(sorted({m.region_code: m.region for m in municipalities().values()}.items()))


def region_of(municipality_code: str | None) -> str | None:
    """The region code of a municipality, or None when the code is missing or unknown."""
    found = municipalities().get(municipality_code or "")
    return found.region_code if found else None
