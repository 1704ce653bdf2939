"""Denmark's 98 municipalities (kommunekoder), for 'municipality of residence' and reports by geography."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import NamedTuple


class Municipality(NamedTuple):
    code: str
    name: str
    region: str


@cache
def municipalities() -> dict[str, Municipality]:
    with (Path(__file__).parent / "municipalities.csv").open(encoding="utf-8") as fh:
        rows = [Municipality(r["code"], r["name"], r["region"]) for r in csv.DictReader(fh)]
    return {m.code: m for m in sorted(rows, key=lambda m: m.name)}
