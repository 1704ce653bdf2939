"""When reminders fall due: wall-clock times in Copenhagen, turned into UTC moments one at a time.

Only the next moment is stored (``next_due_at``); after each send the next one is computed again from the
plan. That keeps summer time right without a table of future times: 08:00 stays 08:00 on both sides of
the change. On the spring-forward night a time that does not exist (02:30) is sent at 03:30; on the
fall-back night a time that happens twice is sent once, at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from server.lib.localtime import TZ, local

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_SLOTS = 24
LOOKAHEAD_DAYS = 8  # a plan with at least one day a week always has a moment within this


def parse_hhmm(value: str) -> time:
    match = HHMM.match(value)
    if not match:
        raise ValueError(f"not a time of day: {value!r}")
    return time(int(match[1]), int(match[2]))


def window_slots(start: str, end: str, every_minutes: int) -> list[str]:
    """Every ``every_minutes`` from ``start`` up to and including ``end`` (a shift window, e.g. 07-15 every 2 h)."""
    first, last = parse_hhmm(start), parse_hhmm(end)
    minute, stop = first.hour * 60 + first.minute, last.hour * 60 + last.minute
    if stop < minute or every_minutes < 15:
        raise ValueError("the window must end after it starts, with at least 15 minutes between reminders")
    slots = []
    while minute <= stop:
        slots.append(f"{minute // 60:02d}:{minute % 60:02d}")
        minute += every_minutes
    return slots


def in_quiet_hours(moment: time, quiet_start: str, quiet_end: str) -> bool:
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start == end:
        return False  # no quiet hours
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # across midnight, e.g. 21:00-07:00


@dataclass(frozen=True, slots=True)
class Plan:
    slots: tuple[str, ...]  # "HH:MM", local
    days: str  # ISO weekdays, "1234567"
    quiet_start: str = "21:00"
    quiet_end: str = "07:00"
    paused_until: datetime | None = None


def plan_of(row: dict, **changes) -> Plan:
    """The schedule held by a ``reminder_plan`` row (JSON loaded), with any field replaced."""
    fields = {"slots": tuple(row["slots"] or ()), "days": row["days"], "quiet_start": row["quiet_start"],
              "quiet_end": row["quiet_end"], "paused_until": row["paused_until"]}
    return Plan(**{**fields, **changes})


def _moment(day: date, at: time) -> datetime:
    """The UTC moment of a local wall-clock time. fold=0 picks the first of a doubled hour, and reads a
    time skipped in spring with the winter offset, i.e. one hour later on the clock."""
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


def outside_quiet_hours(moment: datetime, quiet_start: str, quiet_end: str) -> datetime:
    """``moment`` itself, or, when it falls in her quiet hours, the end of those quiet hours (the first
    ``quiet_end`` on the clock after it). A snooze at 20:45 with quiet hours from 21:00 to 07:00 comes at
    07:00 the next morning, never at 21:15."""
    at = local(moment)
    if not in_quiet_hours(at.time().replace(tzinfo=None), quiet_start, quiet_end):
        return moment
    end = parse_hhmm(quiet_end)
    for offset in (0, 1):  # today's end, or tomorrow's when today's has passed (quiet hours across midnight)
        candidate = _moment(at.date() + timedelta(days=offset), end)
        if candidate > moment:
            return candidate
    return moment  # unreachable: an end of quiet hours always comes within a day


def next_due(plan: Plan, after: datetime) -> datetime | None:
    """The first moment strictly after ``after`` (and not before a pause ends) that the plan allows."""
    if not plan.slots or not plan.days:
        return None
    floor = max(after, plan.paused_until) if plan.paused_until else after
    times = sorted({parse_hhmm(s) for s in plan.slots})
    times = [t for t in times if not in_quiet_hours(t, plan.quiet_start, plan.quiet_end)]
    if not times:
        return None
    first_day = local(floor).date() - timedelta(days=1)  # a local day can start before the UTC one
    for offset in range(LOOKAHEAD_DAYS + 2):
        day = first_day + timedelta(days=offset)
        if str(day.isoweekday()) not in plan.days:
            continue
        for at in times:
            moment = _moment(day, at)
            if moment > floor and not (plan.paused_until and moment < plan.paused_until):
                return moment
    return None
