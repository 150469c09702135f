"""Data exports (access and portability): one row per export job.

The schema's definition (see db/tables/identity.py); the claim index is a raw SQL step in
db/migrations. A job is the outbox's pattern again: `queued`, claimed with a lease by one
process (`running`, `attempts` is the claim's fencing number), then `done` (a file, a link
until `expires_at`), `failed` or `expired` (the file deleted).
"""

from piccolo.columns import JSONB, BigInt, BigSerial, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.identity import User, Workspace
from wazify.db.tables.inbox import Contact


class ExportJob(Table, tablename="export_jobs"):
    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    kind = Text(default="workspace")
    # An erased contact takes its export jobs along; the sweeper then deletes their files.
    contact = reference(Contact, "contact_id", null=True)
    status = Text(default="queued")
    status_reason = Text(default="")
    requested_by = reference(User, "requested_by", null=True, on_delete=OnDelete.set_null)
    requested_label = Text(default="")
    rows_done = BigInt(default=0)
    rows_total = BigInt(default=0)
    attempts = Integer(default=0)
    lease_until = Timestamptz(null=True, default=None)
    file_path = Text(null=True, default=None)
    file_size = BigInt(null=True, default=None)
    file_sha256 = Text(null=True, default=None)
    counts = JSONB(null=True, default=None)
    created_at = Timestamptz(default=Now())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=Now())

    export_jobs_kind_check = Check(
        "(kind = 'workspace' AND contact_id IS NULL)"
        " OR (kind = 'contact' AND contact_id IS NOT NULL)"
    )
    export_jobs_status_check = Check("status IN ('queued', 'running', 'done', 'failed', 'expired')")
