"""The only place a database engine is built: SQLite under var/ by default, PostgreSQL from DATABASE_URL.

Piccolo tables bind to this engine the first time they are used, so settings must be final before
any table module is imported (tests set the environment in conftest before importing ``server``).
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from server.settings import get_settings

_settings = get_settings()

if _settings.is_postgres:
    DB = PostgresEngine(config={"dsn": _settings.database_url})
else:
    _settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    # timeout is sqlite3's busy timeout: writers wait for the lock instead of failing at once.
    DB = SQLiteEngine(path=str(_settings.sqlite_path), timeout=30)

APP_REGISTRY = AppRegistry(apps=["server.db.piccolo_app"])
