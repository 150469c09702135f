"""Export jobs through the write path: requested, claimed, progressing, done, failed, expired.

    queued -> running -> done -> expired (the file deleted, the link dead)
                 |  +--> queued (the server stopped: released; or it failed and tries again)
                 +-----> failed (MAX_ATTEMPTS used up, or the workspace or contact is gone)

A job is claimed like an outbox row (actions/outbox.py): FOR UPDATE SKIP LOCKED, with a
lease the exporting process renews as it goes. A process that dies mid-export leaves a
running job whose lease runs out: the next claim takes it and starts over (a snapshot does
not outlive its transaction). `attempts` counts claims and fences each one: progress and
completion only land for the claim that still holds the job. Every change emits
export.updated to the workspace's admins (the link is never in it: admins ask the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wazify.actions.uow import UnitOfWork
from wazify.db.tables import Contact, ExportJob
from wazify.db.transactions import advisory_xact_lock
from wazify.exports.exporter import Requester, Scope
from wazify.exports.queries import active_export, export_views
from wazify.lib.errors import Conflict, NotFound
from wazify.realtime.events import ADMINS, ExportUpdated
from wazify.views import ExportView

MAX_ATTEMPTS = 3
EXPORTS_LOCK = 0x455850  # the advisory lock's first key: "exports of workspace <second key>"


@dataclass(frozen=True)
class ExportClaim:
    id: int
    workspace_id: int
    contact_id: int | None
    attempt: int
    requested_by: int | None
    requested_label: str

    @property
    def scope(self) -> Scope:
        return Scope(self.workspace_id, self.contact_id)

    @property
    def requester(self) -> Requester:
        return Requester(self.requested_by, self.requested_label)

    @property
    def ours(self) -> Any:
        """The job's row while this claim still holds it."""
        return (
            (ExportJob.id == self.id)
            & (ExportJob.attempts == self.attempt)
            & (ExportJob.status == "running")
        )


async def _emit(uow: UnitOfWork, workspace_id: int, export_id: int) -> ExportView:
    """export.updated with the job as it now stands (its row locked by the caller's change:
    a contact's erasure, which deletes it, waits for the commit)."""
    view = (await export_views([export_id]))[export_id]
    uow.emit(ExportUpdated(workspace_id=workspace_id, at=uow.now, export=view), ADMINS)
    return view


async def do_request_export(
    uow: UnitOfWork,
    workspace_id: int,
    *,
    contact_id: int | None,
    requested_by: int | None,
    label: str,
) -> ExportView:
    """Queue an export of the workspace, or of one of its contacts."""
    kind = "workspace" if contact_id is None else "contact"
    if contact_id is not None:
        mine = (Contact.id == contact_id) & (Contact.workspace == workspace_id)
        if not await Contact.exists().where(mine):
            raise NotFound(f"no contact {contact_id} in this workspace", field="contact_id")
    # Requests of one workspace take turns from here to the insert: two at once (a double
    # click) would both find none under way and queue two.
    await advisory_xact_lock(uow.conn, EXPORTS_LOCK, workspace_id % 2**31)
    active = await active_export(workspace_id, contact_id)
    if active is not None:
        raise Conflict(
            f"an export of this {kind} is already under way (export {active})",
            code="export_in_progress",
        )
    job = ExportJob(
        workspace=workspace_id,
        kind=kind,
        contact=contact_id,
        requested_by=requested_by,
        requested_label=label,
    )
    export_id = (await ExportJob.insert(job).returning(ExportJob.id))[0]["id"]
    after = {"kind": kind, "contact_id": contact_id}
    uow.audit("export.requested", workspace_id, "export", export_id, after=after)
    return await _emit(uow, workspace_id, export_id)


async def do_claim_export(uow: UnitOfWork, lease: timedelta) -> ExportClaim | None:
    """Take the oldest queued job, or a running one whose process stopped renewing it."""
    now = uow.now
    due = (ExportJob.status == "queued") | (
        (ExportJob.status == "running") & (ExportJob.lease_until < now)
    )
    found = (
        await ExportJob.select(ExportJob.id, ExportJob.status, ExportJob.attempts)
        .where(due)
        .order_by(ExportJob.id)
        .limit(1)
        .lock_rows(skip_locked=True)
    )
    if not found:
        return None
    job = found[0]
    if job["status"] == "running" and job["attempts"] >= MAX_ATTEMPTS:
        reason = f"the export stopped {job['attempts']} times before it finished; request it again"
        await _finish_failed(uow, job["id"], reason)
        return None
    changes = {
        ExportJob.status: "running",
        ExportJob.status_reason: "",
        ExportJob.attempts: ExportJob.attempts + 1,
        ExportJob.lease_until: now + lease,
        ExportJob.rows_done: 0,
        ExportJob.started_at: now,
        ExportJob.updated_at: now,
    }
    row = (
        await ExportJob.update(changes)
        .where(ExportJob.id == job["id"])
        .returning(
            ExportJob.id,
            ExportJob.workspace,
            ExportJob.contact,
            ExportJob.attempts,
            ExportJob.requested_by,
            ExportJob.requested_label,
        )
    )[0]
    await _emit(uow, row["workspace_id"], row["id"])
    return ExportClaim(
        id=row["id"],
        workspace_id=row["workspace_id"],
        contact_id=row["contact_id"],
        attempt=row["attempts"],
        requested_by=row["requested_by"],
        requested_label=row["requested_label"],
    )


async def do_record_progress(
    uow: UnitOfWork, claim: ExportClaim, rows_done: int, rows_total: int, lease: timedelta
) -> bool:
    """Renew the lease and say how far the export got; False when the claim was lost."""
    before = (
        await ExportJob.select(ExportJob.rows_done, ExportJob.rows_total)
        .where(claim.ours)
        .lock_rows()
    )
    if not before:
        return False
    changes = {
        ExportJob.rows_done: rows_done,
        ExportJob.rows_total: rows_total,
        ExportJob.lease_until: uow.now + lease,
        ExportJob.updated_at: uow.now,
    }
    await ExportJob.update(changes).where(claim.ours)
    if (before[0]["rows_done"], before[0]["rows_total"]) != (rows_done, rows_total):
        await _emit(uow, claim.workspace_id, claim.id)
    return True


async def do_complete_export(
    uow: UnitOfWork,
    claim: ExportClaim,
    *,
    path: str,
    size: int,
    sha256: str,
    counts: dict[str, int],
    expires_at: datetime,
) -> bool:
    """The file is written: the link works until `expires_at`. False: the claim was lost."""
    changes = {
        ExportJob.status: "done",
        ExportJob.file_path: path,
        ExportJob.file_size: size,
        ExportJob.file_sha256: sha256,
        ExportJob.counts: counts,
        ExportJob.rows_done: sum(counts.values()),
        ExportJob.rows_total: sum(counts.values()),
        ExportJob.lease_until: None,
        ExportJob.finished_at: uow.now,
        ExportJob.expires_at: expires_at,
        ExportJob.updated_at: uow.now,
    }
    if not await ExportJob.update(changes).where(claim.ours).returning(ExportJob.id):
        return False
    await _emit(uow, claim.workspace_id, claim.id)
    return True


async def do_fail_export(uow: UnitOfWork, claim: ExportClaim, reason: str, *, retry: bool) -> None:
    """A failed attempt: queued again while attempts remain (and it may help), else failed."""
    if retry and claim.attempt < MAX_ATTEMPTS:
        await _requeue(uow, claim, f"attempt {claim.attempt} failed ({reason}); trying again")
    else:
        await _finish_failed(uow, claim.id, reason, claim.ours)


async def do_release_export(uow: UnitOfWork, claim: ExportClaim) -> None:
    """This process is stopping: the job goes back to the queue for the next one."""
    await _requeue(uow, claim, "the server stopped while exporting; it starts again")


async def _requeue(uow: UnitOfWork, claim: ExportClaim, reason: str) -> None:
    changes = {
        ExportJob.status: "queued",
        ExportJob.status_reason: reason,
        ExportJob.lease_until: None,
        ExportJob.rows_done: 0,
        ExportJob.updated_at: uow.now,
    }
    if await ExportJob.update(changes).where(claim.ours).returning(ExportJob.id):
        await _emit(uow, claim.workspace_id, claim.id)


async def _finish_failed(uow: UnitOfWork, export_id: int, reason: str, where: Any = None) -> None:
    changes = {
        ExportJob.status: "failed",
        ExportJob.status_reason: reason,
        ExportJob.lease_until: None,
        ExportJob.finished_at: uow.now,
        ExportJob.updated_at: uow.now,
    }
    rows = (
        await ExportJob.update(changes)
        .where(ExportJob.id == export_id if where is None else where)
        .returning(ExportJob.workspace)
    )
    if rows:  # else: gone meanwhile, erased with its contact or workspace
        await _emit(uow, rows[0]["workspace_id"], export_id)


async def do_expire_exports(uow: UnitOfWork, limit: int = 100) -> list[str]:
    """Finished exports past their link's expiry: expired, their files to delete (returned:
    the caller deletes them after the commit)."""
    due = (ExportJob.status == "done") & (ExportJob.expires_at <= uow.now)
    rows = (
        await ExportJob.select(ExportJob.id, ExportJob.workspace, ExportJob.file_path)
        .where(due)
        .order_by(ExportJob.id)
        .limit(limit)
        .lock_rows(skip_locked=True)
    )
    if not rows:
        return []
    changes = {
        ExportJob.status: "expired",
        ExportJob.file_path: None,
        ExportJob.updated_at: uow.now,
    }
    await ExportJob.update(changes).where(ExportJob.id.is_in([row["id"] for row in rows]))
    for row in rows:
        await _emit(uow, row["workspace_id"], row["id"])
    return [row["file_path"] for row in rows if row["file_path"]]


def do_record_download(uow: UnitOfWork, workspace_id: int, export_id: int, size: int) -> None:
    uow.audit("export.downloaded", workspace_id, "export", export_id, after={"bytes": size})


def do_record_written(uow: UnitOfWork, scope: Scope, file: str, rows: int) -> None:
    """An export written straight to a file (`wazify export`), not through a job."""
    target = (
        ("workspace", scope.workspace_id)
        if scope.contact_id is None
        else (
            "contact",
            scope.contact_id,
        )
    )
    uow.audit("export.written", scope.workspace_id, *target, after={"file": file, "rows": rows})
