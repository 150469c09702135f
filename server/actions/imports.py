"""History imports and resyncs (docs/history.md): the jobs' queue and claim, through the
write path (a claimed job's steps are in actions/import_steps.py).

    queued -> running -> done
                 +-> queued   (a passing failure: throttling, 5xx, no connection; backoff)
                 +-> failed   (a dead token marks the account; anything else says why)

At most one job per account is queued or running (a partial unique index; the account row
is locked while a job is queued), so a second request joins the job already there,
widening its window. A job is claimed FOR UPDATE SKIP LOCKED with a lease whose token every
later step presents: a process that lost its lease (it stalled past it and another took
the job over) commits nothing more. What staff can see of a job changes only together with
its import_job.updated event. The messages themselves go through the ingest
(actions/inbound.py), which stores every mid once, whichever way it came first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wazify.actions.inbound import AccountRef
from wazify.actions.uow import UnitOfWork
from wazify.db.tables import ImportJob
from wazify.history.queries import import_job_views
from wazify.lib.errors import Conflict, NotFound
from wazify.realtime.events import STAFF, ImportJobUpdated
from wazify.views import ImportJobView

IMPORT_CHANNEL = "wazify_imports"  # NOTIFY'd when a job is queued: wakes the importers
# A resync starts this long before the last sign of health (a webhook, a finished job):
# Meta's timestamps and ours disagree a little, and deliveries in flight at the cut count.
GAP_MARGIN = timedelta(minutes=10)

CLAIM = """
UPDATE import_jobs j SET state = 'running', lease_until = $2::timestamptz + $3::interval,
    lease_token = md5(random()::text || clock_timestamp()::text || j.id::text),
    started_at = coalesce(j.started_at, $2), reason = '', updated_at = $2,
    listing_started_at = coalesce(j.listing_started_at, $2)
FROM ig_accounts a
WHERE a.id = j.account_id AND j.id IN (
    SELECT id FROM import_jobs
    WHERE (state = 'queued' AND next_attempt_at <= $2) OR (state = 'running' AND lease_until < $2)
    ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING j.id, j.workspace_id, j.account_id, j.trigger, j.since, j.cursor, j.page_mark,
    j.phase, j.listing_started_at, j.attempts, j.lease_token, a.ig_id, a.username,
    a.access_token_enc AS token_enc, a.status AS account_status
"""


@dataclass(frozen=True)
class ClaimedImport:
    id: int
    workspace_id: int
    account_id: int
    trigger: str
    since: datetime
    cursor: str | None
    page_mark: datetime | None
    phase: int
    listing_started_at: datetime | None
    attempts: int
    lease_token: str
    ig_id: str
    username: str
    token_enc: str | None
    account_status: str

    @property
    def account(self) -> AccountRef:
        return AccountRef(self.account_id, self.workspace_id, self.ig_id)


async def emit_job(uow: UnitOfWork, job_id: int) -> ImportJobView:
    view = (await import_job_views([job_id]))[job_id]
    workspace_id = await uow.conn.fetchval(
        "SELECT workspace_id FROM import_jobs WHERE id = $1", job_id
    )
    uow.emit(ImportJobUpdated(workspace_id=workspace_id, at=uow.now, job=view), STAFF)
    return view


GAP = """
SELECT a.last_webhook_at,
       (SELECT max(j.started_at) FROM import_jobs j
        WHERE j.account_id = a.id AND j.state = 'done') AS synced_at,
       (SELECT min(j.since) FROM import_jobs j
        WHERE j.account_id = a.id AND j.state = 'failed' AND j.id > coalesce(
            (SELECT max(d.id) FROM import_jobs d WHERE d.account_id = a.id AND d.state = 'done'),
            0)) AS unfinished_since
FROM ig_accounts a WHERE a.id = $1
"""


async def gap_start(uow: UnitOfWork, account_id: int, window: timedelta) -> datetime:
    """Where a resync starts: a little before the last sign that nothing was missed (the
    last webhook, the start of the last finished job), or where a job that failed since
    began (a token that died mid-import), never before the window."""
    row = await uow.conn.fetchrow(GAP, account_id)
    floor = uow.now - window
    if row is None:
        return floor
    marks = [mark for mark in (row["last_webhook_at"], row["synced_at"]) if mark]
    start = max(marks) - GAP_MARGIN if marks else floor
    if row["unfinished_since"] is not None:
        start = min(start, row["unfinished_since"])
    return max(floor, start)


async def do_queue_import(
    uow: UnitOfWork,
    account_id: int,
    trigger: str,
    *,
    since: datetime | None = None,
    requested_by: int | None = None,
) -> ImportJobView:
    """Queue an import (or join the account's job already queued or running)."""
    window = timedelta(days=uow.runtime.settings.history_window_days)
    account = await uow.conn.fetchrow(
        "SELECT workspace_id, status FROM ig_accounts WHERE id = $1 FOR UPDATE", account_id
    )
    if account is None:
        raise NotFound(f"no Instagram account {account_id}")
    if account["status"] != "connected":
        status = account["status"].replace("_", " ")
        raise Conflict(f"this Instagram account is {status}", code="account_" + account["status"])
    since = max(since or await gap_start(uow, account_id, window), uow.now - window)
    active = await (
        ImportJob.select(ImportJob.id, ImportJob.since)
        .where((ImportJob.account == account_id) & ImportJob.state.is_in(["queued", "running"]))
        .first()
    )
    if active is not None:
        if since < active["since"]:
            await ImportJob.update({ImportJob.since: since, ImportJob.updated_at: uow.now}).where(
                ImportJob.id == active["id"]
            )
            return await emit_job(uow, active["id"])
        return (await import_job_views([active["id"]]))[active["id"]]
    (row,) = await ImportJob.insert(
        ImportJob(
            workspace=account["workspace_id"],
            account=account_id,
            trigger=trigger,
            since=since,
            requested_by=requested_by,
            next_attempt_at=uow.now,
            created_at=uow.now,
            updated_at=uow.now,
        )
    ).returning(ImportJob.id)
    uow.audit(
        "import.queued",
        account["workspace_id"],
        "ig_account",
        account_id,
        after={"job": row["id"], "trigger": trigger, "since": since.isoformat()},
    )
    await uow.conn.execute("SELECT pg_notify($1, '')", IMPORT_CHANNEL)
    return await emit_job(uow, row["id"])


async def do_claim_imports(uow: UnitOfWork, limit: int, lease: timedelta) -> list[ClaimedImport]:
    """Due jobs (queued ones whose time came, running ones whose lease ran out)."""
    rows = await uow.conn.fetch(CLAIM, limit, uow.now, lease)
    for row in rows:
        await emit_job(uow, row["id"])
    return [ClaimedImport(**dict(row)) for row in rows]
