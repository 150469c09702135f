"""The initial schema's indexes, composite keys and full-text column (0001_initial.sql).

Piccolo cannot name an index, make one partial, descending, multi-column or GIN on an
expression, key a table on two columns or on none, or declare a generated column.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from wazify.db.migrations import sql

ID = "2026-12-03T11:27:29:131591"
VERSION = "1.38.0"
DESCRIPTION = "initial schema: what Piccolo cannot express (0001_initial.sql)"

KEYS = (
    # Piccolo names exactly one primary key column; these tables have two, or none.
    "ALTER TABLE read_positions DROP CONSTRAINT read_positions_pkey,"
    " ADD PRIMARY KEY (user_id, conversation_id)",
    "ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (workspace_id, seq)",
    "ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_pkey",
)

FULL_TEXT = (
    "ALTER TABLE messages ADD COLUMN search tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', coalesce(text, ''))) STORED",
)

INDEXES = (
    "CREATE INDEX memberships_user ON memberships (user_id)",
    "CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL",
    "CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, id)",
    "CREATE INDEX login_attempts_key ON login_attempts (key, attempted_at)",
    "CREATE INDEX ig_accounts_workspace ON ig_accounts (workspace_id)",
    "CREATE INDEX contacts_workspace ON contacts (workspace_id)",
    "CREATE INDEX contacts_profile_due ON contacts (profile_fetched_at)"
    " WHERE profile_state <> 'unavailable'",
    "CREATE INDEX conversations_recent"
    " ON conversations (workspace_id, last_activity_at DESC, id DESC)",
    "CREATE INDEX conversations_assignee"
    " ON conversations (workspace_id, assignee_id, last_activity_at DESC)",
    "CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 'pending'",
    "CREATE UNIQUE INDEX messages_mid ON messages (account_id, mid) WHERE mid IS NOT NULL",
    "CREATE UNIQUE INDEX messages_client_id ON messages (workspace_id, client_id)"
    " WHERE client_id IS NOT NULL",
    "CREATE INDEX messages_history ON messages (conversation_id, sent_at DESC, id DESC)",
    "CREATE INDEX messages_outbox ON messages (next_attempt_at)"
    " WHERE status IN ('pending', 'sending', 'unknown')",
    "CREATE INDEX messages_search ON messages USING gin (search)",
    "CREATE INDEX deferred_effects_mid ON deferred_effects (account_id, mid)",
    "CREATE INDEX events_created ON events (created_at)",
    "CREATE INDEX audit_entries_recent ON audit_entries (workspace_id, created_at DESC, id DESC)",
    "CREATE INDEX audit_entries_actor ON audit_entries (workspace_id, actor_id, created_at DESC)",
    "CREATE INDEX webhook_receipts_pending ON webhook_receipts (id) WHERE state = 'pending'",
    "CREATE INDEX webhook_receipts_state ON webhook_receipts (state, id DESC)",
    "CREATE INDEX webhook_receipts_accounts ON webhook_receipts USING gin (ig_ids)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="wazify", description=DESCRIPTION)
    manager.add_raw(sql(*KEYS, *FULL_TEXT, *INDEXES))
    return manager
