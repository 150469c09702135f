"""History imports and resyncs through Meta's Conversations API (docs/history.md).

One row per job; its cursor and progress live here, so a job survives a restart and resumes
where it stopped. At most one job per account is queued or running at a time (a partial
unique index, raw SQL in db/migrations), and a running job belongs to the process holding
its lease.
"""

from piccolo.columns import BigSerial, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check
from piccolo.table import Table

from wazify.db.tables.columns import Now, reference
from wazify.db.tables.identity import User, Workspace
from wazify.db.tables.inbox import IgAccount


class ImportJob(Table, tablename="import_jobs"):
    """One import (on connect) or resync (after a gap) of an account's recent history."""

    id = BigSerial(primary_key=True)
    workspace = reference(Workspace, "workspace_id")
    account = reference(IgAccount, "account_id")
    trigger = Text(default=None)
    state = Text(default="queued")
    # The oldest activity the job covers: threads updated before it are not visited, and
    # messages created before it are not imported.
    since = Timestamptz(default=None)
    requested_by = reference(User, "requested_by", null=True, on_delete=OnDelete.set_null)
    # Where the walk stands: the `after` cursor of the page being worked through (NULL: the
    # first page), the last-active time of the last thread applied on it (threads more
    # recent were applied: a resumed page skips them, even if some moved meanwhile), and
    # the phase (1: the window, 2: a catch-up over threads that became active while the
    # walk ran, which jumped to the top of the list behind its cursor).
    cursor = Text(null=True, default=None)
    page_mark = Timestamptz(null=True, default=None)
    phase = Integer(default=1)
    listing_started_at = Timestamptz(null=True, default=None)
    conversations_done = Integer(default=0)
    messages_seen = Integer(default=0)
    messages_imported = Integer(default=0)
    graph_calls = Integer(default=0)
    # Consecutive passing failures (throttling, 5xx, network), for the backoff.
    attempts = Integer(default=0)
    reason = Text(default="")
    next_attempt_at = Timestamptz(default=Now())
    lease_until = Timestamptz(null=True, default=None)
    lease_token = Text(null=True, default=None, secret=True)
    created_at = Timestamptz(default=Now())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=Now())

    import_jobs_trigger_check = Check(
        "trigger IN ('connect', 'reconnect', 'webhook_silence', 'server_restart', 'manual')"
    )
    import_jobs_state_check = Check("state IN ('queued', 'running', 'done', 'failed')")
    import_jobs_phase_check = Check("phase IN (1, 2)")
