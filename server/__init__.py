"""Pusterum: the server package."""

import os

# Piccolo finds its engine through this variable; point it at ours before any table is imported.
os.environ.setdefault("PICCOLO_CONF", "server.db.piccolo_conf")
