"""Reports: what Piccolo cannot express (partial and multi-column indexes).

The reports worker finds stale conversations through the partial index (a handful among
many); figures read a workspace's facts by time; a conversation's facts and status
history are read and replaced by conversation.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T14:39:40:100000"
VERSION = "1.38.0"
DESCRIPTION = "reports: indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "CREATE INDEX conversations_facts_stale ON conversations (id) WHERE facts_stale",
            "CREATE INDEX report_facts_range ON report_facts (workspace_id, at)",
            "CREATE INDEX report_facts_conversation ON report_facts (conversation_id)",
            "CREATE INDEX conversation_status_changes_conversation"
            " ON conversation_status_changes (conversation_id, changed_at)",
        )
    )
    return manager
