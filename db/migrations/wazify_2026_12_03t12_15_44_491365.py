"""The team's tools (notes, labels, canned responses): what Piccolo cannot express.

Indexes for a conversation's notes and a member's mentions (newest first), the notes'
full-text index (the conversations search finds notes as it finds messages; the mention
tokens `<@id>` are left out of it), and names unique without regard to case: a label per
workspace, a canned response's shortcut per workspace and owner (shared ones together).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T12:15:44:491365"
VERSION = "1.38.0"
DESCRIPTION = "team tools: indexes, note search, unique names"

INDEXES = (
    "CREATE INDEX notes_conversation ON notes (conversation_id, created_at DESC, id DESC)",
    "CREATE INDEX notes_search ON notes"
    " USING gin (to_tsvector('simple', regexp_replace(text, '<@[0-9]+>', ' ', 'g')))",
    "CREATE INDEX note_mentions_user ON note_mentions (workspace_id, user_id, id DESC)",
    "CREATE UNIQUE INDEX labels_name ON labels (workspace_id, lower(name))",
    "CREATE INDEX conversation_labels_label ON conversation_labels (label_id)",
    "CREATE UNIQUE INDEX canned_responses_shortcut"
    " ON canned_responses (workspace_id, coalesce(owner_id, 0), lower(shortcut))",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(sql(*INDEXES))
    return manager
