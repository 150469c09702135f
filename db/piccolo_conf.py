"""Piccolo's configuration, for Piccolo's own CLI only (`piccolo` reads PICCOLO_CONF).

The running server never imports this: it binds its engine at start-up (db/engine.py).
"""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(config={"dsn": os.environ.get("DATABASE_URL", "postgresql:///wazify")})
APP_REGISTRY = AppRegistry(apps=["wazify.db.piccolo_app"])
