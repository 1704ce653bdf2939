"""One phone (or a script holding her cookie) cannot fill the event log: events per participant per
minute and per day, counted in the database before the batch is written; a batch over a limit gets 429
with Retry-After and nothing of it is stored or counted."""

from __future__ import annotations

import asyncio

import pytest

from server.db import limits
from server.db.limits import Limit, RateCount
from server.engagement.tables import Event
from tests.support import app_client, enrol, event, phone, post_events

MINUTE, DAY = 60, 86400
pytestmark = pytest.mark.usefixtures("limits_clock")


async def test_concurrent_batches_store_no_more_than_the_limit(app, db, settings_env):
    # The attack: 20 clients stored 189,000 events in 20 s. Scaled down: 20 batches of 10 at once, 100 a minute.
    settings_env(LIMIT_EVENTS_PER_MINUTE="100", LIMIT_EVENTS_PER_DAY="100000")
    async with app_client(app) as client:
        await enrol(client)
        answers = await asyncio.gather(*[post_events(client, [event("app_opened") for _ in range(10)])
                                         for _batch in range(20)])
    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) == 10
    assert await Event.count() == 100
    for refused in (r for r in answers if r.status_code == 429):
        assert int(refused.headers["retry-after"]) == 30
        assert refused.json()["error"] and "events-minute" in refused.json()["detail"]


async def test_a_day_limit_answers_with_the_wait_until_the_day_is_over(app, db, settings_env):
    settings_env(LIMIT_EVENTS_PER_MINUTE="1000", LIMIT_EVENTS_PER_DAY="30")
    async with app_client(app) as client:
        await enrol(client)
        statuses = [(await post_events(client, [event("app_opened") for _ in range(10)])).status_code
                    for _batch in range(3)]
        refused = await post_events(client, [event("app_opened") for _ in range(10)])
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= DAY
    assert "events-day" in refused.json()["detail"]
    assert await Event.count() == 30


async def test_a_refused_batch_stores_nothing_and_uses_nothing_up(app, db, settings_env):
    settings_env(LIMIT_EVENTS_PER_MINUTE="1000", LIMIT_EVENTS_PER_DAY="15")
    async with app_client(app) as client:
        await enrol(client)
        assert (await post_events(client, [event("app_opened") for _ in range(10)])).status_code == 200
        too_many = [event("app_opened") for _ in range(10)]
        assert (await post_events(client, too_many)).status_code == 429
        assert (await post_events(client, [event("app_opened") for _ in range(5)])).status_code == 200
        ids = {str(r["id"]) for r in await Event.select(Event.id)}
    assert len(ids) == 15 and not ids & {e["id"] for e in too_many}


async def test_a_batch_larger_than_the_limit_is_a_clear_429_never_a_5xx(app, db, settings_env):
    settings_env(LIMIT_EVENTS_PER_MINUTE="5")
    async with app_client(app) as client:
        await enrol(client)
        response = await post_events(client, [event("app_opened") for _ in range(6)])
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert await Event.count() == 0


async def test_each_participant_has_her_own_count(app, db, settings_env):
    settings_env(LIMIT_EVENTS_PER_MINUTE="10")
    async with app_client(app) as first, phone(app) as second:
        await enrol(first)
        await enrol(second)
        assert (await post_events(first, [event("app_opened") for _ in range(10)])).status_code == 200
        assert (await post_events(first, [event("app_opened")])).status_code == 429
        assert (await post_events(second, [event("app_opened") for _ in range(10)])).status_code == 200


async def test_the_defaults_take_a_500_event_offline_backlog_at_once(app, db):
    async with app_client(app) as client:
        await enrol(client)
        answers = [await post_events(client, [event("app_opened") for _ in range(size)]) for size in (200, 200, 100)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert await Event.count() == 500


async def test_counts_of_ended_windows_are_pruned_and_current_ones_kept(app, db, limits_clock):
    now = limits_clock
    async with app_client(app):
        from server import db as database

        async with database.transaction():
            assert await limits.take([Limit("t", "old", 5, 60)], now=now - 3 * MINUTE) is None
            assert await limits.take([Limit("t", "now", 5, 60)], now=now) is None
        assert await limits.prune(now) == 1
        assert [r["slot"].split(":")[1] for r in await RateCount.select(RateCount.slot)] == ["now"]
