"""Status changes and uploads: their multi-column indexes (a conversation's changes in
order for its thread; a workspace's or conversation's uploads for erasure and purge)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T14:50:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "status changes and uploads: indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE INDEX conversation_status_changes_conversation"
            " ON conversation_status_changes (conversation_id, id)",
            "CREATE INDEX uploads_conversation ON uploads (conversation_id)",
        )
    )
    return manager
