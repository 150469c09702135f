"""Privacy machinery: deletion jobs, Meta's data-deletion requests, and the queue of unsent
messages whose copies (logged events, raw receipts) still hold their content.

The schema's definition (see db/tables/identity.py); the partial indexes are raw SQL steps
in db/migrations.
"""

from piccolo.columns import JSONB, BigInt, BigSerial, Integer, Text, Timestamptz
from piccolo.constraints import Check
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.inbox import Message


class DeletionJob(Table, tablename="deletion_jobs"):
    """One permanent deletion (a workspace, or one Instagram account's data), due at a time.

    No foreign keys to what it deletes: the job outlives its workspace and account, so the
    operator can still see it done (`wazify deletions list`). One runner at a time holds
    its lease (`runner`, `lease_until`); a crash lets the lease run out and another resume.
    """

    id = BigSerial(primary_key=True)
    kind = Text(default=None)
    workspace_id = BigInt(default=None)
    workspace_slug = Text(default="")
    account_id = BigInt(null=True, default=None)
    account_username = Text(default="")
    reason = Text(default="")
    request_code = Text(null=True, default=None)
    requested_by = BigInt(null=True, default=None)
    requested_at = Timestamptz(default=Now())
    due_at = Timestamptz(default=None)
    state = Text(default="scheduled")  # scheduled, running, done or cancelled
    runner = Text(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    progress = JSONB(default="{}")
    last_error = Text(default="")
    cancelled_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)

    deletion_jobs_kind_check = Check("kind IN ('workspace', 'account')")
    deletion_jobs_state_check = Check("state IN ('scheduled', 'running', 'done', 'cancelled')")


class DataDeletionRequest(Table, tablename="data_deletion_requests"):
    """A data-deletion callback from Meta, known by the confirmation code it was answered
    with. It names nobody: the jobs it started carry the code."""

    code = Text(primary_key=True, default=None)
    received_at = Timestamptz(default=Now())


class ContentScrub(Table, tablename="content_scrubs"):
    """An unsent message whose text may still sit in logged events and raw receipts."""

    id = BigSerial(primary_key=True)
    workspace_id = BigInt(default=None)
    message = reference(Message, "message_id")
    created_at = Timestamptz(default=Now())
