"""A contact's unreact keeps the row as a tombstone (removed, stamped with the unreact's time)
instead of deleting it. Meta retries and does not order deliveries: a react redelivered after
its unreact must find the newer unreact and lose to it, or the reaction would come back for
good (actions/inbound_reactions.py). Readers skip removed rows."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T12:16:06:555789"
VERSION = "1.38.0"
DESCRIPTION = "reactions keep an unreact as a tombstone"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Reaction",
        tablename="reactions",
        column_name="removed",
        db_column_name="removed",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
