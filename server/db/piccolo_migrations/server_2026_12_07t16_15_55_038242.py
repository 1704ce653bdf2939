"""Every participant gets a random record key for the follow-up's protected figures (the cell key method,
``server.lib.disclosure``). Existing participants draw theirs here, each its own, from the engine's random
numbers: the keys need to be unrelated to each other and to anything known, not secret from the operator.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

from server.lib.disclosure import new_record_key

ID = "2026-12-07T16:15:55:038242"
VERSION = "1.38.0"
DESCRIPTION = "participant.record_key: a random key per person for protected figures"
FILL = {
    "sqlite": "UPDATE participant SET record_key = abs(random()) % 2147483648",
    "postgres": "UPDATE participant SET record_key = floor(random() * 2147483648)::integer",
}


class _Fill(MigrationManager):
    """Adds the column, then gives every existing participant a key of her own."""

    async def run(self, backwards: bool = False) -> None:
        engine = engine_finder()
        async with engine.transaction():  # the column's own transaction joins this one: both or neither
            await super().run(backwards=backwards)
            if not backwards and not self.preview:
                await engine.run_querystring(QueryString(FILL[engine.engine_type]))


async def forwards():
    manager = _Fill(migration_id=ID, app_name="server", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Participant",
        tablename="participant",
        column_name="record_key",
        db_column_name="record_key",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": new_record_key,
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
