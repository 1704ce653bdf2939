"""The report rollups carry each person's record key, so the figures sum it per cell without joining the
participant table. The rollups are a cache: they are emptied here and rebuilt whole at the next refresh."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-07T17:42:35:734773"
VERSION = "1.38.0"
DESCRIPTION = "rollups carry the record key (emptied, rebuilt at the next refresh)"
EMPTIED = ("usage_month", "usage_exercise", "questionnaire_reading", "active_day", "rollup_state")


class _Rebuilt(MigrationManager):
    """Adds the columns, then empties the rollups (rows without keys would sum to wrong cell keys)."""

    async def run(self, backwards: bool = False) -> None:
        engine = engine_finder()
        async with engine.transaction():
            await super().run(backwards=backwards)
            if not backwards and not self.preview:
                for table in EMPTIED:
                    await engine.run_querystring(QueryString(f"DELETE FROM {table}"))  # noqa: S608


async def forwards():
    manager = _Rebuilt(migration_id=ID, app_name="server", description=DESCRIPTION)

    manager.add_column(
        table_class_name="UsageMonth",
        tablename="usage_month",
        column_name="record_key",
        db_column_name="record_key",
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
        table_class_name="UsageExercise",
        tablename="usage_exercise",
        column_name="record_key",
        db_column_name="record_key",
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
        table_class_name="QuestionnaireReading",
        tablename="questionnaire_reading",
        column_name="record_key",
        db_column_name="record_key",
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
        table_class_name="ActiveDay",
        tablename="active_day",
        column_name="record_key",
        db_column_name="record_key",
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
