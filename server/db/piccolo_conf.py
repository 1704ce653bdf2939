"""What Piccolo reads (``PICCOLO_CONF=server.db.piccolo_conf``): the one engine of this process.

Piccolo tables bind to this engine the first time they are used, so settings must be final before
any table module is imported (tests set the environment in conftest before importing ``server``).
"""

from piccolo.conf.apps import AppRegistry

from server.db.connections import make_engine
from server.settings import get_settings

DB = make_engine(get_settings())

APP_REGISTRY = AppRegistry(apps=["server.db.piccolo_app"])
