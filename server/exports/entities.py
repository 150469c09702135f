"""What an export holds: one JSON Lines file per entity, and the SQL that reads each one.

Every table of the schema is listed here, exported or not (OTHER_TABLES says why), and
tests/exports/test_format.py fails on a table that is neither: a table added later gets a
decision, not silence. An exported table's columns are the table class's own (docs/export.md
lists them), minus the columns Piccolo marks `secret=True` and those in `omit`: a column
added later is exported, a secret one never.

Each row becomes one JSON object built by PostgreSQL (`json_build_object`, keys in column
order, keyed by the database's column names), so the exporter only moves text. Timestamps
come out as ISO 8601 with their offset (the read transaction sets TimeZone to UTC), bytea as
hex. `$1` is the workspace's id and `$2` the contact's; the main table's alias is `t`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from piccolo.columns import Bytea
from piccolo.table import Table

from wazify.db.tables import (
    ApiToken,
    AuditEntry,
    CannedResponse,
    Contact,
    Conversation,
    ConversationLabel,
    ConversationStatusChange,
    DeferredEffect,
    DeletionJob,
    Event,
    ExportJob,
    IgAccount,
    ImportJob,
    Invitation,
    Label,
    Message,
    Note,
    NoteMention,
    Reaction,
    ReadPosition,
    ReportSettings,
    WebhookReceipt,
    Workspace,
)

FORMAT_VERSION = 1
# json_build_object takes at most 100 arguments: 50 columns.
MAX_COLUMNS = 50

Column = tuple[str, str]  # (key in the JSON object, SQL expression)


def table_columns(
    table: type[Table], omit: Iterable[str] = (), override: dict[str, str] | None = None
) -> tuple[Column, ...]:
    """The table's columns as (database name, `t."name"`), without secret and omitted ones."""
    omitted = set(omit)
    chosen = []
    for column in table._meta.columns:
        name = column._meta.db_column_name
        if column._meta.secret or name in omitted:
            continue
        expression = f't."{name}"'
        if isinstance(column, Bytea):
            expression = f"encode({expression}, 'hex')"
        chosen.append((name, (override or {}).get(name, expression)))
    return tuple(chosen)


@dataclass(frozen=True)
class Entity:
    file: str
    columns: tuple[Column, ...]
    source: str  # FROM ... WHERE ..., with the main table aliased `t`
    order: str = "t.id"
    tables: tuple[type[Table], ...] = field(default=())  # the tables it draws on

    def __post_init__(self) -> None:
        if len(self.columns) > MAX_COLUMNS:
            raise ValueError(f"{self.file}: {len(self.columns)} columns, at most {MAX_COLUMNS}")

    @property
    def rows_sql(self) -> str:
        pairs = ", ".join(f"'{key}', {expression}" for key, expression in self.columns)
        return f"SELECT json_build_object({pairs})::text FROM {self.source} ORDER BY {self.order}"

    @property
    def count_sql(self) -> str:
        return f"SELECT count(*) FROM {self.source}"


def entity(file: str, table: type[Table], source: str, **options: object) -> Entity:
    omit = options.pop("omit", ())
    override = options.pop("override", None)
    columns = table_columns(table, omit, override)  # type: ignore[arg-type]
    return Entity(file, columns, source, tables=(table,), **options)  # type: ignore[arg-type]


OF_WORKSPACE = "t.workspace_id = $1"
COUNTER = "(SELECT last_seq FROM workspace_counters c WHERE c.workspace_id = t.id)"
ACCOUNTS_OF_WORKSPACE = "(SELECT array_agg(ig_id) FROM ig_accounts WHERE workspace_id = $1)"
ASSIGNMENT_COLUMNS: tuple[Column, ...] = (
    ("audit_entry_id", "t.id"),
    ("conversation_id", "t.target_id::bigint"),
    ("action", "t.action"),
    ("previous_assignee_id", "(t.before ->> 'assignee_id')::bigint"),
    ("assignee_id", "(t.after ->> 'assignee_id')::bigint"),
    ("actor_id", "t.actor_id"),
    ("actor_label", "t.actor_label"),
    ("at", "t.created_at"),
)
ASSIGNMENTS = (
    "t.action IN ('conversation.assigned', 'conversation.unassigned')"
    " AND t.target_type = 'conversation'"
)
MEMBER_COLUMNS: tuple[Column, ...] = (
    ("user_id", "u.id"),
    ("email", "u.email"),
    ("name", "u.name"),
    ("role", "t.role"),
    ("active", "t.active"),
    ("joined_at", "t.created_at"),
    ("updated_at", "t.updated_at"),
)

WORKSPACE_ENTITIES: tuple[Entity, ...] = (
    Entity(
        "workspace.jsonl",
        (*table_columns(Workspace), ("last_seq", COUNTER)),
        "workspaces t WHERE t.id = $1",
        tables=(Workspace,),
    ),
    Entity(
        "members.jsonl",
        MEMBER_COLUMNS,
        "memberships t JOIN users u ON u.id = t.user_id WHERE t.workspace_id = $1",
        order="u.id",
    ),
    entity("invitations.jsonl", Invitation, f"invitations t WHERE {OF_WORKSPACE}"),
    entity("api_tokens.jsonl", ApiToken, f"api_tokens t WHERE {OF_WORKSPACE}"),
    entity("accounts.jsonl", IgAccount, f"ig_accounts t WHERE {OF_WORKSPACE}"),
    entity("contacts.jsonl", Contact, f"contacts t WHERE {OF_WORKSPACE}"),
    entity("conversations.jsonl", Conversation, f"conversations t WHERE {OF_WORKSPACE}"),
    entity("messages.jsonl", Message, f"messages t WHERE {OF_WORKSPACE}"),
    entity("reactions.jsonl", Reaction, f"reactions t WHERE {OF_WORKSPACE}"),
    entity(
        "read_positions.jsonl",
        ReadPosition,
        f"read_positions t WHERE {OF_WORKSPACE}",
        order="t.user_id, t.conversation_id",
    ),
    entity(
        "deferred_effects.jsonl",
        DeferredEffect,
        "deferred_effects t JOIN ig_accounts a ON a.id = t.account_id WHERE a.workspace_id = $1",
    ),
    entity(
        "events.jsonl",
        Event,
        f"events t WHERE {OF_WORKSPACE}",
        order="t.seq",
        override={"payload": "t.payload::json"},
    ),
    entity("audit_entries.jsonl", AuditEntry, f"audit_entries t WHERE {OF_WORKSPACE}"),
    Entity(
        "assignments.jsonl",
        ASSIGNMENT_COLUMNS,
        f"audit_entries t WHERE {OF_WORKSPACE} AND {ASSIGNMENTS}",
    ),
    # Metadata only: a delivery's body may carry other workspaces' accounts (Meta batches).
    entity(
        "webhook_receipts.jsonl",
        WebhookReceipt,
        f"webhook_receipts t WHERE t.ig_ids && {ACCOUNTS_OF_WORKSPACE}",
        omit=("body",),
    ),
    # Where the server keeps a file is its own business.
    entity(
        "export_jobs.jsonl", ExportJob, f"export_jobs t WHERE {OF_WORKSPACE}", omit=("file_path",)
    ),
    # The team's own tools: internal notes (with whom they mention), labels, saved replies.
    entity("notes.jsonl", Note, f"notes t WHERE {OF_WORKSPACE}"),
    entity("note_mentions.jsonl", NoteMention, f"note_mentions t WHERE {OF_WORKSPACE}"),
    entity("labels.jsonl", Label, f"labels t WHERE {OF_WORKSPACE}"),
    entity(
        "conversation_labels.jsonl",
        ConversationLabel,
        f"conversation_labels t WHERE {OF_WORKSPACE}",
    ),
    entity("canned_responses.jsonl", CannedResponse, f"canned_responses t WHERE {OF_WORKSPACE}"),
    entity("import_jobs.jsonl", ImportJob, f"import_jobs t WHERE {OF_WORKSPACE}"),
    entity("deletion_jobs.jsonl", DeletionJob, f"deletion_jobs t WHERE {OF_WORKSPACE}"),
    entity(
        "status_changes.jsonl",
        ConversationStatusChange,
        f"conversation_status_changes t WHERE {OF_WORKSPACE}",
    ),
    entity(
        "report_settings.jsonl",
        ReportSettings,
        f"report_settings t WHERE {OF_WORKSPACE}",
        order="t.workspace_id",
    ),
)

CONTACT_CONVERSATIONS = "SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id = $2"
CONTACT_MESSAGES = (
    "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    " WHERE c.workspace_id = $1 AND c.contact_id = $2"
)
NAMES_CONTACT = (
    f"t.workspace_id = $1 AND ((t.target_type = 'contact' AND t.target_id = $2::bigint::text)"
    f" OR (t.target_type = 'conversation' AND t.target_id IN"
    f" (SELECT id::text FROM ({CONTACT_CONVERSATIONS}) c))"
    f" OR (t.target_type = 'message' AND t.target_id IN"
    f" (SELECT id::text FROM ({CONTACT_MESSAGES}) m))"
    f" OR (t.target_type = 'export' AND t.after ->> 'contact_id' = $2::bigint::text))"
)

CONTACT_ENTITIES: tuple[Entity, ...] = (
    entity("contacts.jsonl", Contact, "contacts t WHERE t.workspace_id = $1 AND t.id = $2"),
    # The business account they wrote to: its public identity, nothing of its connection.
    Entity(
        "accounts.jsonl",
        (("id", "t.id"), ("ig_id", "t.ig_id"), ("username", "t.username"), ("name", "t.name")),
        "ig_accounts t WHERE t.id = (SELECT account_id FROM contacts WHERE workspace_id = $1"
        " AND id = $2)",
    ),
    entity(
        "conversations.jsonl",
        Conversation,
        "conversations t WHERE t.workspace_id = $1 AND t.contact_id = $2",
    ),
    entity(
        "messages.jsonl",
        Message,
        f"messages t WHERE t.conversation_id IN ({CONTACT_CONVERSATIONS})",
    ),
    entity("reactions.jsonl", Reaction, f"reactions t WHERE t.message_id IN ({CONTACT_MESSAGES})"),
    # What the team wrote about them and how it filed their conversations is data about them.
    entity(
        "notes.jsonl",
        Note,
        f"notes t WHERE t.workspace_id = $1 AND t.conversation_id IN ({CONTACT_CONVERSATIONS})",
    ),
    entity(
        "conversation_labels.jsonl",
        ConversationLabel,
        f"conversation_labels t WHERE t.workspace_id = $1"
        f" AND t.conversation_id IN ({CONTACT_CONVERSATIONS})",
    ),
    entity("audit_entries.jsonl", AuditEntry, f"audit_entries t WHERE {NAMES_CONTACT}"),
    Entity(
        "assignments.jsonl",
        ASSIGNMENT_COLUMNS,
        f"audit_entries t WHERE t.workspace_id = $1 AND {ASSIGNMENTS}"
        f" AND t.target_id IN (SELECT id::text FROM ({CONTACT_CONVERSATIONS}) c)",
    ),
    entity(
        "status_changes.jsonl",
        ConversationStatusChange,
        f"conversation_status_changes t WHERE t.conversation_id IN ({CONTACT_CONVERSATIONS})",
    ),
)

# Tables with no file of their own: where their data goes, or why it never leaves.
OTHER_TABLES: dict[str, str] = {
    "workspace_counters": "its last_seq is in workspace.jsonl",
    "users": "members.jsonl holds each member's public fields; password hashes never leave",
    "memberships": "members.jsonl",
    "sessions": "sign-in sessions: secrets (hashed ids, CSRF tokens) and nothing else of use",
    "oauth_states": "Instagram Login's one-time CSRF states: secrets, minutes long",
    "login_attempts": "the sign-in throttle's keys, not a workspace's",
    "installation": "the installation's id, not a workspace's",
    "data_deletion_requests": "Meta's callback codes, not a workspace's (deletion_jobs.jsonl"
    " names the code of each job it started)",
    "content_scrubs": "a work queue of ids (unsent messages whose copies are being removed)",
    "report_facts": "figures derived from messages and status changes, both exported"
    " (`wazify metrics rebuild` derives them again)",
    "assignment_settings": "auto-assignment's settings: each change is in audit_entries.jsonl"
    " (assignment.settings_changed)",
    "assignment_members": "members' own capacities (each change is in audit_entries.jsonl,"
    " assignment.capacity_changed) and live presence",
    "assignment_accounts": "connected accounts' own auto-assignment on/off: each change is in"
    " audit_entries.jsonl (assignment.account_changed)",
    "assignment_queue": "a work queue of ids (conversations waiting for a member with room)",
    "uploads": "each file sent from the composer is its message's attachment in messages.jsonl"
    " (its type and URL); where the server keeps the file is its own business",
}
