"""The event log's answers in columns of their own: ``rating`` (1-5), ``score`` (the server's questionnaire
score) and ``answers`` as JSON, where one ``value`` column held both a rating and a score and the answers were
a comma-separated string; ``note`` becomes ``comment``, the word the API and her own data use; ``day`` is
always set (rows from before events carried their Copenhagen day get it here).

Piccolo runs a migration's raw steps before its own operations, and SQLite cannot alter a column, so the
operations below only describe the new shape (Piccolo builds the next migration from them) while
``_CarryOver.run`` does the work, engine by engine, in one transaction: PostgreSQL alters the table in
place; SQLite copies it into a table of the new shape. The report rollups are derived: they are emptied and
rebuilt whole on the next refresh.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB, Date, Integer, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-07T13:39:31:528253"
VERSION = "1.38.0"
DESCRIPTION = "event: rating, score and answers (JSONB) in columns of their own, note named comment, day always set"

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# The new shapes as Piccolo 1.38 creates them on SQLite (written out: a migration must not follow later
# changes to the tables).
EVENT = (
    'CREATE TABLE "event_new" ("id" UUID PRIMARY KEY NOT NULL DEFAULT None, "participant" UUID REFERENCES '
    '"participant" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "type" VARCHAR(32) NOT NULL DEFAULT '
    "'', \"content_version\" INTEGER REFERENCES \"content_version\" (\"id\") ON DELETE CASCADE ON UPDATE CASCADE "
    'DEFAULT null, "occurred_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "day" DATE NOT NULL DEFAULT '
    'null, "received_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "step" INTEGER DEFAULT null, "seconds" '
    'INTEGER DEFAULT null, "rating" INTEGER DEFAULT null, "comment" TEXT DEFAULT null, "stress_before" INTEGER '
    'DEFAULT null, "stress_after" INTEGER DEFAULT null, "score" INTEGER DEFAULT null, "answers" JSONB DEFAULT '
    "null, \"clock_suspect\" VARCHAR(20) DEFAULT null, \"fingerprint\" VARCHAR(32) NOT NULL DEFAULT '')"
)
EVENT_COPY = (
    "INSERT INTO event_new (id, participant, type, content_version, occurred_at, day, received_at, step, seconds, "
    "rating, comment, stress_before, stress_after, score, answers, clock_suspect, fingerprint) "
    "SELECT id, participant, type, content_version, occurred_at, day, received_at, step, seconds, "
    "CASE WHEN type = 'rating_given' THEN value END, note, stress_before, stress_after, "
    "CASE WHEN type = 'questionnaire_answered' THEN value END, "
    "CASE WHEN answers <> '' THEN '[' || replace(answers, ',', ', ') || ']' END, clock_suspect, fingerprint "
    "FROM event"
)
EVENT_INDEXES = ("participant", "content_version", "occurred_at", "received_at")
READING = (
    'CREATE TABLE "questionnaire_reading" ("id" INTEGER PRIMARY KEY NOT NULL, "kind" VARCHAR(10) NOT NULL DEFAULT '
    "'', \"site\" INTEGER NOT NULL DEFAULT 0, \"unit\" INTEGER DEFAULT null, \"course_group\" INTEGER DEFAULT null, "
    '"municipality_code" VARCHAR(4) DEFAULT null, "participant" UUID REFERENCES "participant" ("id") ON DELETE '
    "CASCADE ON UPDATE CASCADE DEFAULT null, \"questionnaire\" VARCHAR(60) NOT NULL DEFAULT '', \"at\" TIMESTAMPTZ "
    'NOT NULL DEFAULT current_timestamp, "day" DATE NOT NULL DEFAULT CURRENT_DATE, "score" INTEGER DEFAULT null, '
    '"answers" JSONB DEFAULT null)'
)
READING_INDEXES = (
    "CREATE INDEX questionnaire_reading_participant ON questionnaire_reading (participant)",
    "CREATE INDEX questionnaire_reading_cover ON questionnaire_reading (participant, questionnaire, at, day, "
    "score, answers, kind, site, unit, course_group, municipality_code)",
)
POSTGRES = (
    "ALTER TABLE event RENAME COLUMN note TO comment",
    "ALTER TABLE event RENAME COLUMN value TO rating",
    "ALTER TABLE event ADD COLUMN score INTEGER DEFAULT null",
    "UPDATE event SET score = rating, rating = NULL WHERE type = 'questionnaire_answered'",
    "ALTER TABLE event ALTER COLUMN answers DROP DEFAULT",  # a varchar default does not cast to jsonb
    "ALTER TABLE event ALTER COLUMN answers TYPE JSONB USING "
    "CASE WHEN answers <> '' THEN ('[' || replace(answers, ',', ', ') || ']')::jsonb END",
    "UPDATE event SET day = (occurred_at AT TIME ZONE 'Europe/Copenhagen')::date WHERE day IS NULL",
    "ALTER TABLE event ALTER COLUMN day DROP DEFAULT",
    "ALTER TABLE event ALTER COLUMN day SET NOT NULL",
    "DELETE FROM questionnaire_reading",
    "ALTER TABLE questionnaire_reading RENAME COLUMN value TO score",
    "ALTER TABLE questionnaire_reading ALTER COLUMN answers DROP DEFAULT",
    "ALTER TABLE questionnaire_reading ALTER COLUMN answers TYPE JSONB USING answers::jsonb",
    "DELETE FROM rollup_state",
)


async def _sql(engine, sql: str, *args):
    return await engine.run_querystring(QueryString(sql, *args))


def _moment(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def _sqlite(engine) -> None:
    # Days first, in Python: SQLite knows no time zones.
    undated = await _sql(engine, "SELECT id, occurred_at FROM event WHERE day IS NULL")
    by_day: dict[date, list] = {}
    for row in undated:
        by_day.setdefault(_moment(row["occurred_at"]).astimezone(COPENHAGEN).date(), []).append(row["id"])
    for day, ids in by_day.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            await _sql(engine, f"UPDATE event SET day = {{}} WHERE id IN ({', '.join('{}' for _ in chunk)})",  # noqa: S608
                       day.isoformat(), *map(str, chunk))
    await _sql(engine, EVENT)
    await _sql(engine, EVENT_COPY)
    await _sql(engine, "DROP TABLE event")
    await _sql(engine, "ALTER TABLE event_new RENAME TO event")
    for column in EVENT_INDEXES:
        await _sql(engine, f"CREATE INDEX event_{column} ON event ({column})")
    await _sql(engine, "DROP TABLE questionnaire_reading")
    await _sql(engine, READING)
    for index in READING_INDEXES:
        await _sql(engine, index)
    await _sql(engine, "DELETE FROM rollup_state")


class _CarryOver(MigrationManager):
    """Records the operations (for Piccolo's picture of the schema) but runs the carry-over instead."""

    async def run(self, backwards: bool = False) -> None:
        if backwards:
            raise NotImplementedError("the event log's columns are not split back into one (restore a backup)")
        engine = engine_finder()
        print(f"  - {self.migration_id} [forwards]... ", end="")
        async with engine.transaction():
            if engine.engine_type == "sqlite":
                await _sqlite(engine)
            else:
                for statement in POSTGRES:
                    await _sql(engine, statement)


async def forwards():
    manager = _CarryOver(migration_id=ID, app_name="server", description=DESCRIPTION)

    manager.rename_column(
        table_class_name="Event",
        tablename="event",
        old_column_name="note",
        new_column_name="comment",
        old_db_column_name="note",
        new_db_column_name="comment",
        schema=None,
    )

    manager.rename_column(
        table_class_name="Event",
        tablename="event",
        old_column_name="value",
        new_column_name="rating",
        old_db_column_name="value",
        new_db_column_name="rating",
        schema=None,
    )

    manager.add_column(
        table_class_name="Event",
        tablename="event",
        column_name="score",
        db_column_name="score",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
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

    manager.rename_column(
        table_class_name="QuestionnaireReading",
        tablename="questionnaire_reading",
        old_column_name="value",
        new_column_name="score",
        old_db_column_name="value",
        new_db_column_name="score",
        schema=None,
    )

    manager.alter_column(
        table_class_name="Event",
        tablename="event",
        column_name="answers",
        db_column_name="answers",
        params={},
        old_params={},
        column_class=JSONB,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Event",
        tablename="event",
        column_name="day",
        db_column_name="day",
        params={"null": False},
        old_params={"null": True},
        column_class=Date,
        old_column_class=Date,
        schema=None,
    )

    manager.alter_column(
        table_class_name="QuestionnaireReading",
        tablename="questionnaire_reading",
        column_name="answers",
        db_column_name="answers",
        params={},
        old_params={},
        column_class=JSONB,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
