"""Auto-assignment: the queue's order (what Piccolo cannot express: a multi-column index).

A decision reads a workspace's queue from its head: longest waiting first, then by id.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T14:40:51:100000"
VERSION = "1.38.0"
DESCRIPTION = "auto-assignment: the queue's order index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE INDEX assignment_queue_order"
            " ON assignment_queue (workspace_id, waiting_since, conversation_id)",
        )
    )
    return manager
