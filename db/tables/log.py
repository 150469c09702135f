"""The event log, the audit trail, the raw webhook receipts and the installation's id.

The schema's definition (see db/tables/identity.py); indexes and the events' composite key
are raw SQL steps in db/migrations.
"""

from piccolo.columns import JSONB, Array, BigInt, BigSerial, Bytea, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.identity import User, Workspace


class Event(Table, tablename="events"):
    # The key is (workspace_id, seq): a raw step widens the one-column key Piccolo can
    # name. Rows are only inserted and read, never saved through Piccolo.
    workspace = reference(Workspace, "workspace_id")
    seq = BigInt(primary_key=True, default=None)
    type = Text(default=None)
    payload = Text(default=None)
    audience_user_id = BigInt(null=True, default=None)
    audience_roles = Array(Text(), null=True, default=None)
    created_at = Timestamptz(default=Now())


class AuditEntry(Table, tablename="audit_entries"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id", null=True)
    actor = reference(User, "actor_id", null=True, on_delete=OnDelete.set_null)
    actor_label = Text(default="")
    action = Text(default=None)
    target_type = Text(default="")
    target_id = Text(default="")
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    client_addr = Text(null=True, default=None)
    created_at = Timestamptz(default=Now())


class WebhookReceipt(Table, tablename="webhook_receipts"):
    id = BigSerial(primary_key=True)
    body = Bytea(default=None)
    body_sha256 = Bytea(unique=True, default=None)
    state = Text(default="pending")
    reason = Text(default="")
    ig_ids = Array(Text(), default=list)
    attempts = Integer(default=0)
    received_at = Timestamptz(default=Now())
    processed_at = Timestamptz(null=True, default=None)
    request_id = Text(null=True, default=None)

    webhook_receipts_state_check = Check(
        "state IN ('pending', 'processed', 'quarantined', 'ignored')"
    )


class Installation(Table, tablename="installation"):
    """One row: this installation's random id (names its Redis channels)."""

    id = Text(primary_key=True, default=None)
    created_at = Timestamptz(default=Now())
