"""The rollups follow the event log: late events, withdrawals and a full rebuild all give the same figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.participants.withdrawal import withdraw
from server.reports import rollups
from server.reports.tables import ActiveDay, UsageMonth
from tests.integration.reports.test_dashboard import figure, phone, practise, sign_in
from tests.support import app_client, enrol, event, exercise_version, post_events

URL = "/workspace/reports"


async def rows() -> list[dict]:
    return sorted(await UsageMonth.select(UsageMonth.participant, UsageMonth.month, UsageMonth.exercise,
                                          UsageMonth.started, UsageMonth.completed, UsageMonth.seconds),
                  key=lambda r: (str(r["participant"]), str(r["month"]), r["exercise"]))


async def test_late_events_are_counted_and_a_full_rebuild_agrees(app, db):
    version = exercise_version("breathing-space-3")
    async with app_client(app) as researcher:
        await sign_in(researcher, "r@example.org", ("researcher",))
        await practise(app, 5)
        before = (await researcher.get(URL)).text
        async with phone(app) as late:
            await enrol(late, lang="en")
            # Practised offline three days ago, sent only now.
            three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat()
            await post_events(late, [event("exercise_started", exercise_version=version, occurred_at=three_days_ago),
                                     event("exercise_completed", exercise_version=version, seconds=240,
                                           occurred_at=three_days_ago)])
        after = (await researcher.get(URL)).text
    assert figure(before, "Practices started") == "5" and figure(after, "Practices started") == "6"
    assert figure(after, "Minutes of practice") == "19"  # 5 × 3 + 4
    incremental = await rows()
    assert await rollups.refresh(full=True) == -1
    assert await rows() == incremental


async def test_withdrawal_with_deletion_takes_her_out_of_the_figures(app, db):
    async with app_client(app) as researcher:
        await sign_in(researcher, "r@example.org", ("researcher",))
        await practise(app, 6)
        assert figure((await researcher.get(URL)).text, "Used Pusterum in the period") == "6"
        async with phone(app) as leaving:
            keeps = await enrol(leaving, lang="en")
            await post_events(leaving, [event("exercise_started", exercise_version=exercise_version("body-scan-10"))])
        async with phone(app) as leaving:
            deletes = await enrol(leaving, lang="en")
            await post_events(leaving, [event("exercise_started", exercise_version=exercise_version("body-scan-10"))])
        await researcher.get(URL)  # both are in the rollups now
        assert await withdraw(keeps, "keep") and await withdraw(deletes, "delete")
        html = (await researcher.get(URL)).text
    assert figure(html, "Used Pusterum in the period") == "7"  # the six, and the one who kept her records
    assert figure(html, "Joined in the period") == "7"
    assert await UsageMonth.count().where(UsageMonth.participant == deletes) == 0
    assert await ActiveDay.count().where(ActiveDay.participant == deletes) == 0
    assert await UsageMonth.count().where(UsageMonth.participant == keeps) == 1


async def test_events_stored_before_they_carried_a_day_get_their_copenhagen_day(app, db):
    from server.engagement.tables import Event

    async with app_client(app) as researcher:
        await sign_in(researcher, "r@example.org", ("researcher",))
        await practise(app, 5)
        # As a row written before the `day` column existed: 23:30 UTC on a summer evening is the next
        # day in Copenhagen.
        late_evening = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        participant = (await Event.select(Event.participant).first())["participant"]
        await Event.update({Event.day: None, Event.occurred_at: late_evening}).where(
            (Event.participant == participant) & (Event.type == "exercise_started"))
        await rollups.refresh(full=True)
    row = await Event.select(Event.day).where(
        (Event.participant == participant) & (Event.type == "exercise_started")).first()
    assert str(row["day"]) == "2026-07-01"
    assert await UsageMonth.count().where((UsageMonth.participant == participant)
                                          & (UsageMonth.month == datetime(2026, 7, 1).date())) == 1
