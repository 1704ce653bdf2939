"""Rollups of the event log and the annual report's commentary.

The rollups are a cache: ``pusterum reports refresh --full`` rebuilds them from the event log, which
stays the only truth. They keep the participant (people are counted distinctly, and a cell with fewer
than five people is hidden) but nothing finer than a day.
"""

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from server.accounts.tables import Account
from server.participants.tables import Participant


class UsageMonth(Table, tablename="usage_month"):
    """One row per participant, month (Copenhagen) and exercise she used; exercise "" holds the month's
    other activity (opening the app, check-ins), so every active month has at least one row."""

    month = Date(index=True)  # the first day of the month
    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)
    exercise = Varchar(length=60, default="")
    events = Integer(default=0)
    started = Integer(default=0)
    completed = Integer(default=0)  # exercise_completed
    pauses = Integer(default=0)  # pause_completed (a staff pause, also without JavaScript)
    seconds = Integer(default=0)
    ratings = Integer(default=0)
    rating_sum = Integer(default=0)
    stress_pairs = Integer(default=0)  # pauses rated both before and after
    stress_before_sum = Integer(default=0)
    stress_after_sum = Integer(default=0)


class ActiveDay(Table, tablename="active_day"):
    """The days on which a participant did anything: "active in the last 7 / 30 days"."""

    day = Date(index=True)
    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)


class RollupState(Table, tablename="rollup_state"):
    """One row: events received after ``watermark`` (less a margin) are not yet in the rollups."""

    name = Varchar(length=20, unique=True)
    watermark = Timestamptz()


class AnnualNote(Table, tablename="annual_note"):
    """The coordinator's own words in the annual report, per year, scope (sites) and section."""

    year = Integer()
    scope = Varchar(length=200)  # "all" or the site slugs, sorted, comma-separated
    section = Varchar(length=30)
    body = Text(default="")
    updated_at = Timestamptz()
    updated_by = ForeignKey(references=Account, null=True, default=None)
