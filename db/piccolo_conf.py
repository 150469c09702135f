"""Piccolo's configuration, for Piccolo's CLI (PICCOLO_CONF=wazify.db.piccolo_conf) and for
Piccolo's migration code, which looks its engine up here when db/migrate.py runs it.

`DB` is resolved on each lookup, not built at import: db/migrate.py binds the engine of the
database it migrates (db/engine.py, `engine_for_piccolo`), and only Piccolo's CLI falls back
to an engine on DATABASE_URL, built on first use (building one connects to read the
server's version). The running server never looks here: it binds its tables at start-up.
"""

from __future__ import annotations

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from wazify.db.engine import piccolo_engine

APP_REGISTRY = AppRegistry(apps=["wazify.db.piccolo_app"])

_cli_engine: list[PostgresEngine] = []


def __getattr__(name: str) -> PostgresEngine:
    if name != "DB":
        raise AttributeError(name)
    bound = piccolo_engine()
    if bound is not None:
        return bound
    if not _cli_engine:
        dsn = os.environ.get("DATABASE_URL", "postgresql:///wazify")
        _cli_engine.append(PostgresEngine(config={"dsn": dsn}))
    return _cli_engine[0]
