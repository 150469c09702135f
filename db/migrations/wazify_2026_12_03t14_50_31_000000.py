"""Uploads: a conversation's uploads for erasure and purge (a conversation's status changes
in order have their index from the reports' migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T14:50:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "uploads: index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE INDEX uploads_conversation ON uploads (conversation_id)",
        )
    )
    return manager
