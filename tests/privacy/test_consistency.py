"""Consistency, which the cell key method rests on: the same view gives the same published figures when it is
asked again, in another process, and on either engine. Were it not so, asking for the same view many times (a
reload, a second worker, a second server) and averaging would wear the noise away.

On the world of ``test_differencing`` (a generated follow-up with known truth and record keys), with
WHO-5 and satisfaction answers added:

* **On reload**: a sample of views (shown and withheld, drawn with a fixed seed) built twice gives the same
  dashboard, every total, table row, WHO-5, stress and satisfaction figure alike.
* **Across processes**: another Python process, with another hash seed, connected to the same database,
  builds the same views and gives the same dashboards.
* **Across engines**: each shown view's people, practices started and completed and minutes (in total, per
  month, site and municipality) and its staff stress are what the disclosure rules give for the people the
  truth says are in it, worked out here in Python alone (``World.cell``). SQLite and PostgreSQL are each held
  to that one answer, so neither can publish a figure the other would not.

Run as a module (``python -m tests.privacy.test_consistency``), this file is the other process: it reads views
as JSON on its standard input and prints their dashboards as JSON.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from server.content.catalog import Catalog, get_catalog
from server.lib.disclosure import MIN_PEOPLE, Cell
from server.reports import figures
from server.reports.figures import Dashboard, Filters, Row
from tests.privacy.test_differencing import LABELS, SEEDS, views
from tests.privacy.world import World, make_world

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = 60
TODAY = date.today()  # the day the figures are built on, in every process


async def build(f: Filters, catalog: Catalog, today: date = TODAY) -> Dashboard:
    return await figures.build(f, catalog, today=today, labels=LABELS, language="en")


def published(board: Dashboard) -> dict[str, Any]:
    """Everything the dashboard hands to its page, as plain JSON (the same in any process)."""
    return json.loads(json.dumps(dataclasses.asdict(board), default=str, sort_keys=True))


def sample(world: World) -> list[Filters]:
    """Views drawn with a fixed seed, a third each: a quarter or the year about twenty people or more (shown,
    most with WHO-5, satisfaction or stress), any period about five to nineteen (shown, or withheld because a
    wider view differs by a few), and any about one to four (never shown)."""
    rng = random.Random(14)
    bands: list[list[Filters]] = [[], [], []]
    for f in views(world):
        n = len(world.members(f))
        if n >= 20 and f.first_month != f.last_month:
            bands[0].append(f)
        elif n >= MIN_PEOPLE:
            bands[1].append(f)
        elif n:
            bands[2].append(f)
    return [f for band in bands for f in rng.sample(band, SAMPLE // 3)]


def assert_all_kinds(boards: list[dict[str, Any]]) -> None:
    """The sample holds each kind of figure the noise must keep consistent, and views withheld by a wider one."""
    found = {"shown": sum(b["shown"] for b in boards), "who5": sum(b["who5"] is not None for b in boards),
             "satisfaction": sum(any(r["hidden"] is None for r in b["satisfaction"]) for b in boards),
             "stress": sum(bool(b["stress"].get("shown")) for b in boards),
             "withheld": sum(b["withheld_by"] is not None for b in boards)}
    assert found["shown"] >= 20 and min(found.values()) >= 2, found


def differences(these: list[dict[str, Any]], those: list[dict[str, Any]]) -> list[tuple[dict, dict]]:
    """For each view whose dashboards differ: its filters, and each part that differs, both ways."""
    return [(a["filters"], {part: (a[part], b[part]) for part in a if a[part] != b[part]})
            for a, b in zip(these, those, strict=True) if a != b]


async def test_the_same_view_gives_the_same_figures_when_it_is_asked_for_again(db):
    world = await make_world(SEEDS[0], readings=True)
    catalog = get_catalog()
    chosen = sample(world)
    first = [published(await build(f, catalog)) for f in chosen]
    again = [published(await build(f, catalog)) for f in chosen]
    assert_all_kinds(first)
    changed = differences(first, again)
    assert not changed, f"{len(changed)} of {len(chosen)} views changed on reload, e.g. {str(changed[0])[:800]}"


def _other_hash_seed() -> str:
    mine = os.environ.get("PYTHONHASHSEED", "")
    return str(int(mine) + 1) if mine.isdigit() else "1"


async def test_another_process_gives_the_same_figures_for_the_same_views(db):
    world = await make_world(SEEDS[0], readings=True)
    catalog = get_catalog()
    chosen = sample(world)
    here = [published(await build(f, catalog)) for f in chosen]
    assert_all_kinds(here)
    # The same database (PUSTERUM_VAR_DIR on SQLite, DATABASE_URL on PostgreSQL, as set up by conftest) and
    # settings; only Python's per-process salt for hash() differs.
    env = {**os.environ, "PYTHONHASHSEED": _other_hash_seed(),
           "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    request = json.dumps({"today": TODAY, "views": [dataclasses.asdict(f) for f in chosen]}, default=str)
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "tests.privacy.test_consistency"],
                                   input=request, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["salt"] != hash("pusterum"), "the other process hashes as this one does: it proves nothing"
    there = answer["boards"]
    changed = differences(here, there)
    assert not changed, f"{len(changed)} of {len(chosen)} views differ in another process, e.g. {str(changed[0])[:800]}"


def expected(cell: Cell) -> dict[str, int | None]:
    """What the disclosure rules publish for a cell (``figures._values`` rounds the same protected sums, and
    shows no more practices completed than started)."""
    started = round(cell.magnitude("started"))
    return {"people": cell.count(), "started": started, "completed": min(round(cell.magnitude("completed")), started),
            "minutes": round(cell.magnitude("seconds") / 60)}


def got(people: int | None, values: dict[str, Any]) -> dict[str, int | None]:
    return {"people": people, **{name: values[name] for name in ("started", "completed", "minutes")}}


def rows_against_truth(world: World, f: Filters, board: Dashboard) -> list[tuple[str, dict, dict]]:
    """Each shown row of the month, site and municipality tables, published and as the truth gives it."""
    out = []
    tables: list[tuple[list[Row], str, Any]] = [
        (board.months, "month", lambda row: dataclasses.replace(f, first_month=row.key, last_month=row.key)),
        (board.sites, "site", lambda row: dataclasses.replace(f, site=int(row.key))),
        (board.municipalities, "municipality_code",
         lambda row: dataclasses.replace(f, municipality=row.key or "none"))]
    for rows, column, narrowed in tables:
        for row in rows:
            if row.shown:
                key = row.key.isoformat() if column == "month" else row.key
                figure = f"{column}:{key}"
                out.append((figure, got(row.people, row.values), expected(world.cell(narrowed(row)))))
    return out


async def test_each_shown_figure_is_what_the_rules_give_for_the_known_truth_on_either_engine(db):
    world = await make_world(SEEDS[0], readings=True)
    catalog = get_catalog()
    wrong: list[tuple[Filters, str, dict, dict]] = []
    shown = rows = stress = 0
    for f in views(world):
        if len(world.members(f)) < MIN_PEOPLE:  # never shown (the differencing attacker's business)
            continue
        board = await build(f, catalog)
        if not board.shown:
            continue
        shown += 1
        checks = [("total", got(board.totals["people"], board.totals), expected(world.cell(f)))]
        checks += rows_against_truth(world, f, board)
        rows += len(checks) - 1
        if board.stress["shown"]:
            stress += 1
            truth = world.cell(f, stress=True)
            checks.append(("stress", {"people": board.stress["people"], "pauses": board.stress["pauses"]},
                           {"people": truth.count(),
                            "pauses": round(truth.magnitude("stress_pairs"))}))
        wrong += [(f, name, published_, truth) for name, published_, truth in checks if published_ != truth]
    assert shown >= 200 and rows >= 600 and stress >= 20, f"{shown} views, {rows} rows, {stress} stress: too few"
    assert not wrong, f"{len(wrong)} figures differ from the truth's, e.g. {str(wrong[:3])[:800]}"


async def _child() -> None:
    from server.content.services import load_catalog

    catalog = await load_catalog()
    request = json.loads(sys.stdin.read())
    chosen = [Filters(**{name: date.fromisoformat(value) if name in ("first_month", "last_month") else value
                         for name, value in f.items()}) for f in request["views"]]
    today = date.fromisoformat(request["today"])
    boards = [published(await build(f, catalog, today)) for f in chosen]
    print(json.dumps({"salt": hash("pusterum"), "boards": boards}))


if __name__ == "__main__":
    asyncio.run(_child())
