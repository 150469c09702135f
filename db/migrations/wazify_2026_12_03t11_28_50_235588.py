"""Batched ingest: each conversation's last message time, from its last message
(0004_batched_ingest.sql).

The conversation keeps its last message's time beside its id: deciding whether a new
message is later compares two columns of the locked row, where a read of the messages
table (the statement's snapshot) missed a last message committed by a concurrent batch
while this one waited for the row, and let an older message take its place.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T11:28:50:235588"
VERSION = "1.38.0"
DESCRIPTION = "batched ingest: the last message times filled in (0004_batched_ingest.sql)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(
        sql(
            "UPDATE conversations c SET last_message_at = m.sent_at"
            " FROM messages m WHERE m.id = c.last_message_id"
        )
    )
    return manager
