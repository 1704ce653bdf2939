"""Rollups of the event log and the annual report's commentary.

The rollups are a cache: ``pusterum reports refresh --full`` rebuilds them from the event log, which
stays the only truth. They keep the participant (people are counted distinctly, and a cell with fewer
than five people is hidden) but nothing finer than a day. Each row carries a copy of who she is to the
follow-up (kind, site, unit, group, municipality), so a dashboard filters and groups without joining
thousands of rows to the participant table; the copy is rebuilt at the next refresh after she changes
her municipality (``participant.changed_at``).
"""

from piccolo.columns import JSONB, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import Column, OnDelete
from piccolo.table import Table

from server.accounts.tables import Account
from server.participants.tables import Participant


class PersonAttributes:
    """Who she is to the follow-up, copied from the participant into every rollup row (the same column
    names as in the participant table, so filters read alike on both)."""

    kind = Varchar(length=10)
    site = Integer()
    unit = Integer(null=True, default=None)
    course_group = Integer(null=True, default=None)
    municipality_code = Varchar(length=4, null=True, default=None)
    # Her record key (``participant.record_key``): the follow-up's figures sum it per cell without a join.
    record_key = Integer(default=0)


ATTRIBUTES = tuple(name for name, value in vars(PersonAttributes).items() if isinstance(value, Column))


class UsageMonth(PersonAttributes, Table, tablename="usage_month"):
    """One row per participant and month (Copenhagen) in which she did anything."""

    month = Date(index=True)  # the first day of the month
    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)
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


class UsageYear(PersonAttributes, Table, tablename="usage_year"):
    """Per participant and calendar year: the months she did anything (bit 0 is January) and the year's sums;
    and the same per quarter she did anything in. Derived from ``usage_month`` at each rebuild, so the
    dashboard reads one row per person for a year or a quarter."""

    year = Integer(index=True)
    quarter = Integer(default=0)  # 0: the whole year; 1-4: that quarter only
    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)
    months = Integer(default=0)
    started = Integer(default=0)
    completed = Integer(default=0)
    pauses = Integer(default=0)
    seconds = Integer(default=0)
    ratings = Integer(default=0)
    rating_sum = Integer(default=0)
    stress_pairs = Integer(default=0)
    stress_before_sum = Integer(default=0)
    stress_after_sum = Integer(default=0)


class UsageExercise(PersonAttributes, Table, tablename="usage_exercise"):
    """One row per participant, month and exercise she used: completion and ratings per exercise."""

    month = Date()
    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)
    exercise = Varchar(length=60)
    started = Integer(default=0)
    completed = Integer(default=0)
    seconds = Integer(default=0)
    ratings = Integer(default=0)
    rating_sum = Integer(default=0)


class UsageExerciseYear(PersonAttributes, Table, tablename="usage_exercise_year"):
    """Per participant, calendar year and exercise: the months she used it (bit 0 is January) and the year's
    sums. Derived from ``usage_exercise`` at each rebuild, so the dashboard's exercise table for a year reads
    one row per person and exercise instead of grouping every month of a region's year. Per quarter too."""

    year = Integer(index=True)
    quarter = Integer(default=0)  # 0: the whole year; 1-4: that quarter only
    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)
    exercise = Varchar(length=60)
    months = Integer(default=0)
    started = Integer(default=0)
    completed = Integer(default=0)
    seconds = Integer(default=0)
    ratings = Integer(default=0)
    rating_sum = Integer(default=0)


class QuestionnaireReading(PersonAttributes, Table, tablename="questionnaire_reading"):
    """Every scored questionnaire answer (WHO-5, app satisfaction), with the day and the score."""

    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)
    questionnaire = Varchar(length=60)
    at = Timestamptz()
    day = Date()
    score = Integer(null=True, default=None)
    answers = JSONB(null=True, default=None)


class ActiveDay(PersonAttributes, Table, tablename="active_day"):
    """The days on which a participant did anything: "active in the last 7 / 30 days"."""

    day = Date(index=True)
    participant = ForeignKey(references=Participant, index=True, on_delete=OnDelete.cascade)


class RollupState(Table, tablename="rollup_state"):
    """One row: events received after ``watermark`` (less a margin) are not yet in the rollups."""

    name = Varchar(length=20, unique=True)
    watermark = Timestamptz()


class AnnualNote(Table, tablename="annual_note"):
    """The commentary in the annual report, per year, scope (the sites it is about) and section."""

    year = Integer()
    # "all" (every site: the admins') or the ids of exactly the sites it is about, sorted, comma-separated
    scope = Text()
    section = Varchar(length=30)
    body = Text(default="")
    updated_at = Timestamptz()
    updated_by = ForeignKey(references=Account, null=True, default=None)


class StoredKey(Table, tablename="stored_key"):
    """A key that must not change when SECRET_KEY does, stored once: the research pseudonyms' key
    (``research-pseudonym``), so exports made years apart join (see server.reports.exports.pseudonym_key)."""

    name = Varchar(length=40, unique=True)
    value = Varchar(length=64)  # 32 bytes, hex
    created_at = Timestamptz()
