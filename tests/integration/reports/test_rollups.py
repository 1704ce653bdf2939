"""The rollups follow the event log: late events, withdrawals and a full rebuild all give the same figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.journeys.withdrawal import withdraw
from server.reports import rollups
from server.reports.tables import ActiveDay, QuestionnaireReading, RollupState, UsageExercise, UsageMonth
from tests.integration.reports.pages import cell, figure, practise
from tests.support import app_client, event, exercise_version, post_events

URL = "/workspace/reports"


async def rows() -> list[dict]:
    """Every rollup row, in a stable order."""
    out = []
    for table in (UsageMonth, UsageExercise, QuestionnaireReading, ActiveDay):
        found = await table.select(*[c for c in table._meta.columns if c._meta.name != "id"])
        out.append(sorted(found, key=lambda r: sorted((k, str(v)) for k, v in r.items())))
    return out


async def test_late_events_are_counted_and_a_full_rebuild_agrees(app, actors, researcher):
    version = exercise_version("breathing-space-3")
    early = await practise(app, 8)  # shown as at least 6
    before = (await researcher.get(URL)).text
    late = await actors.patient()
    # Practised offline three days ago, sent only now.
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    await post_events(late, [event("exercise_started", exercise_version=version, occurred_at=three_days_ago),
                             event("exercise_completed", exercise_version=version, seconds=240,
                                   occurred_at=three_days_ago)])
    after = (await researcher.get(URL)).text
    everyone = [*early, late.participant_id]
    minutes = {p: {"started": 1, "seconds": 180} for p in early}
    minutes[late.participant_id] = {"started": 1, "seconds": 240}
    was, now = await cell(early, {"started": 1}), await cell(everyone, each=minutes)
    assert figure(before, "Practices started") == str(round(was.magnitude("started")))
    assert figure(after, "Practices started") == str(round(now.magnitude("started")))
    assert figure(after, "Minutes of practice") == str(round(now.magnitude("seconds") / 60))  # 8 × 3 + 4
    incremental = await rows()
    assert await rollups.refresh(full=True) == -1
    assert await rows() == incremental


async def test_withdrawal_with_deletion_takes_her_out_of_the_figures(app, actors, researcher):
    six = await practise(app, 6)
    keeping, deleting = await actors.patient(), await actors.patient()
    for leaving in (keeping, deleting):
        await post_events(leaving, [event("exercise_started", exercise_version=exercise_version("body-scan-10"))])
    keeps, deletes = keeping.participant_id, deleting.participant_id
    await researcher.get(URL)  # both are in the rollups now
    assert await withdraw(keeps, "keep") and await withdraw(deletes, "delete")
    html = (await researcher.get(URL)).text
    seven = await cell([*six, keeps])  # the six, and the one who kept her records
    assert figure(html, "Used Pusterum in the period") == str(seven.count())
    assert figure(html, "Joined in the period") == str(seven.count())
    assert await UsageMonth.count().where(UsageMonth.participant == deletes) == 0
    assert await ActiveDay.count().where(ActiveDay.participant == deletes) == 0
    assert await UsageMonth.count().where(UsageMonth.participant == keeps) == 1
    assert await UsageExercise.count().where(UsageExercise.participant == deletes) == 0


async def test_a_practice_late_on_the_last_evening_of_a_month_counts_in_the_next_month(app, actors):
    from server.engagement.tables import Event

    # 23:30 UTC on 30 June is 01:30 on 1 July in Copenhagen (summer time): her day, not the server's.
    late_evening = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    her = await actors.patient()
    started = event("exercise_started", exercise_version=exercise_version("breathing-space-3"),
                    occurred_at=late_evening.isoformat())
    assert (await post_events(her, [started])).status_code == 200
    await rollups.refresh(full=True)
    row = await Event.select(Event.day).where(Event.participant == her.participant_id).first()
    assert str(row["day"]) == "2026-07-01"
    months = await UsageMonth.select(UsageMonth.month).where(UsageMonth.participant == her.participant_id)
    assert [str(m["month"]) for m in months] == ["2026-07-01"]


async def test_moving_to_another_municipality_moves_her_activity_with_her(app, actors, researcher):
    from tests.integration.reports.pages import table
    from tests.support import csrf_token

    copenhagen = await practise(app, 9, municipality="0101")
    mover = await actors.patient(municipality="0101")
    await post_events(mover, [event("exercise_started", exercise_version=exercise_version("body-scan-10"))])
    frederiksberg = await practise(app, 9, municipality="0147")
    before = table((await researcher.get(URL)).text, "People, practices and minutes by municipality of residence")
    page = await mover.get("/welcome/municipality")
    await mover.post("/welcome/municipality", data={"_csrf_token": csrf_token(page.text), "municipality": "0147"})
    after = table((await researcher.get(URL)).text, "People, practices and minutes by municipality of residence")
    moved = mover.participant_id

    async def shown(people: list, code: str) -> str:
        return str((await cell(people)).count())

    assert {r[0]: r[1] for r in before[1:-1]} == {"København": await shown([*copenhagen, moved], "0101"),
                                                  "Frederiksberg": await shown(frederiksberg, "0147")}
    assert {r[0]: r[1] for r in after[1:-1]} == {"København": await shown(copenhagen, "0101"),
                                                 "Frederiksberg": await shown([*frederiksberg, moved], "0147")}


async def test_the_background_refresher_folds_new_events_in_without_anyone_opening_a_dashboard(app, db):
    import asyncio
    import contextlib

    from server.plugins import _refresh_rollups

    async with app_client(app):
        await rollups.refresh()  # the watermark exists: what follows is incremental
        await practise(app, 2)
        assert await UsageMonth.count() == 0
        refresher = asyncio.create_task(_refresh_rollups(0.05))
        try:
            for _ in range(100):
                if await UsageMonth.count() == 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
    assert await UsageMonth.count() == 2 and await UsageExercise.count() == 2


async def test_the_command_line_rebuilds_the_rollups_from_the_log(app, db, capsys):
    from server.cli import main

    async with app_client(app):
        await practise(app, 3)
    await UsageMonth.delete(force=True)
    # The command runs its own event loop, as it does from a shell.
    import asyncio

    code = await asyncio.to_thread(main, ["reports", "refresh", "--full"])
    assert code == 0 and "everyone rebuilt" in capsys.readouterr().out
    assert await UsageMonth.count() == 3


async def test_rollups_refreshed_moments_ago_are_not_rebuilt_again(app, db):
    """A dashboard opened every few seconds must not hold the write lock for a rebuild each time."""
    await practise(app, 5)
    assert await rollups.refresh() != 0  # the first one: everybody
    await practise(app, 1)  # one more person, seconds later
    assert await rollups.refresh(fresh_for=timedelta(seconds=10)) == 0  # fresh enough: left alone
    assert await UsageMonth.count() == 5
    later = datetime.now(UTC) + timedelta(seconds=11)
    assert await rollups.refresh(fresh_for=timedelta(seconds=10), now=later) >= 1  # stale: brought up to date
    assert await UsageMonth.count() == 6


async def test_a_refresh_that_found_nothing_new_still_counts_as_fresh(app, db):
    """An idle night: the background refresh finds nothing, and the morning's dashboards must not each take
    the write lock (which phones syncing need) only to find nothing again: "fresh" is measured from the
    last refresh, not from the last one that rebuilt someone."""
    await practise(app, 5)
    start = datetime.now(UTC)
    assert await rollups.refresh(now=start) != 0
    await rollups.refresh(now=start + timedelta(minutes=5))  # the safety margin still looks back at them
    quiet = start + timedelta(minutes=10)
    assert await rollups.refresh(now=quiet) == 0  # nothing new since: nobody rebuilt
    state = await RollupState.select(RollupState.watermark).where(RollupState.name == rollups.STATE).first()
    assert state["watermark"] == quiet
