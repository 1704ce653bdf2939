"""Local time for people in Denmark: weeks, months and reminder times are wall-clock times in Copenhagen.

Stored times are UTC; this is the one place that turns them into the days and hours people live by,
so summer time is handled once, by zoneinfo.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Copenhagen")
# No moment before Pusterum or in the next century happened on a phone: outside these, a clock (or a
# hostile client) is wrong, and date arithmetic near year 1 or 9999 would overflow.
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def plausible(moment: datetime) -> bool:
    return EARLIEST <= moment < LATEST


def local(moment: datetime) -> datetime:
    return moment.astimezone(TZ)


def today() -> date:
    """The date in Copenhagen now: what "today" means on a report or an export."""
    return local(datetime.now(UTC)).date()


def start_of_day(day: date) -> datetime:
    """Local midnight of ``day``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def week_start(now: datetime) -> datetime:
    today = local(now).date()
    return start_of_day(today - timedelta(days=today.weekday()))


def month_start(now: datetime) -> datetime:
    return start_of_day(local(now).date().replace(day=1))


def next_midnight(now: datetime) -> datetime:
    return start_of_day(local(now).date() + timedelta(days=1))
