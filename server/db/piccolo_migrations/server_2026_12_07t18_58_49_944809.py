"""The derived rollups get rows per quarter as well as per year (``quarter``: 0 for the year), so a quarter's
figures read one row per person. The rollups are emptied so the next refresh rebuilds all of them.

The covering indexes follow what the dashboard now reads: the record key (summed per cell since the record
keys came) joins them, the yearly rollups are found by year and quarter, and the monthly exercise rollup is
read a month at a time (no longer by exercise across a span)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-07T18:58:49:944809"
VERSION = "1.38.0"
DESCRIPTION = "usage_year and usage_exercise_year: rows per quarter too (rollups emptied, rebuilt at the next refresh)"

INDEXES = {
    "usage_year_period": "usage_year (year, quarter)",
    "usage_exercise_year_cover": "usage_exercise_year (year, quarter, exercise, kind, site, unit, course_group, "
                                 "municipality_code, months, record_key, started, completed, seconds, ratings, "
                                 "rating_sum)",
    "usage_exercise_cover": "usage_exercise (month, exercise, kind, site, unit, course_group, municipality_code, "
                            "record_key, started, completed, seconds, ratings, rating_sum)",
    "active_day_cover": "active_day (day, participant, kind, site, unit, course_group, municipality_code, "
                        "record_key)",
    "questionnaire_reading_cover": "questionnaire_reading (participant, questionnaire, at, day, score, answers, "
                                   "kind, site, unit, course_group, municipality_code, record_key)",
}
# What the three replaced covers were (server_2026_11_23t17_54_35_000000 and 2026_12_07t13_39_31_528253).
FORMER = {
    "usage_exercise_cover": "usage_exercise (exercise, participant, month, kind, site, unit, course_group, "
                            "municipality_code, started, completed, seconds, ratings, rating_sum)",
    "active_day_cover": "active_day (day, participant, kind, site, unit, course_group, municipality_code)",
    "questionnaire_reading_cover": "questionnaire_reading (participant, questionnaire, at, day, score, answers, "
                                   "kind, site, unit, course_group, municipality_code)",
}
EMPTIED = ("usage_month", "usage_exercise", "usage_year", "usage_exercise_year", "questionnaire_reading",
           "active_day", "rollup_state")


class _Rebuilt(MigrationManager):
    async def run(self, backwards: bool = False) -> None:
        engine = engine_finder()
        async with engine.transaction():
            if backwards and not self.preview:
                for name in INDEXES:
                    await engine.run_querystring(QueryString(f"DROP INDEX {name}"))
                for name, columns in FORMER.items():
                    await engine.run_querystring(QueryString(f"CREATE INDEX {name} ON {columns}"))
            await super().run(backwards=backwards)
            if not backwards and not self.preview:
                for table in EMPTIED:
                    await engine.run_querystring(QueryString(f"DELETE FROM {table}"))  # noqa: S608
                for name in FORMER:
                    await engine.run_querystring(QueryString(f"DROP INDEX {name}"))
                for name, columns in INDEXES.items():
                    await engine.run_querystring(QueryString(f"CREATE INDEX {name} ON {columns}"))


async def forwards():
    manager = _Rebuilt(migration_id=ID, app_name="server", description=DESCRIPTION)

    manager.add_column(
        table_class_name="UsageYear",
        tablename="usage_year",
        column_name="quarter",
        db_column_name="quarter",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UsageExerciseYear",
        tablename="usage_exercise_year",
        column_name="quarter",
        db_column_name="quarter",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
