"""The event log, the audit trail and the raw webhook receipts. Mirrors db/migrations."""

from piccolo.columns import JSONB, Array, BigInt, BigSerial, Bytea, Integer, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Event(Table, tablename="events"):
    # Composite key (workspace_id, seq) in SQL; rows are only inserted and read, never
    # saved through Piccolo, so naming seq as the key here is harmless.
    workspace_id = BigInt()
    seq = BigInt(primary_key=True)
    type = Text()
    payload = Text()
    audience_user_id = BigInt(null=True, default=None)
    audience_roles = Array(Text(), null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AuditEntry(Table, tablename="audit_entries"):
    id = BigSerial(primary_key=True)
    workspace_id = BigInt(null=True, default=None)
    actor_id = BigInt(null=True, default=None)
    actor_label = Text(default="")
    action = Text()
    target_type = Text(default="")
    target_id = Text(default="")
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    client_addr = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookReceipt(Table, tablename="webhook_receipts"):
    id = BigSerial(primary_key=True)
    body = Bytea()
    body_sha256 = Bytea(unique=True)
    state = Text(default="pending")
    reason = Text(default="")
    ig_ids = Array(Text(), default=list)
    attempts = Integer(default=0)
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)
    request_id = Text(null=True, default=None)


class Installation(Table, tablename="installation"):
    """One row: this installation's random id (names its Redis channels)."""

    id = Text(primary_key=True)
    created_at = Timestamptz(default=TimestamptzNow())
