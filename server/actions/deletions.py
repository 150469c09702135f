"""Deletion requests: a workspace (after a grace period, cancellable until then), or one
Instagram account's data (at once: an admin's "disconnect and delete its conversations", or
Meta's data-deletion callback), and Meta's deauthorize callback (disconnect, keep data).

Each request is a deletion_jobs row that the deletion worker (wazify.workers.deletions)
runs when due, surviving restarts. Requesting disconnects an account at once: its token is
wiped, nothing more is sent from it, and its replies waiting to leave fail with the reason.
Every request is audited and shown live (workspace.updated, account.updated).
"""

from __future__ import annotations

from datetime import timedelta

from wazify.actions.outbox import emit_updated
from wazify.actions.uow import UnitOfWork
from wazify.actions.workspaces import emit_workspace
from wazify.conversations.queries import account_views
from wazify.db.expressions import db_now
from wazify.db.tables import DataDeletionRequest, DeletionJob, IgAccount, Message, Workspace
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.realtime.events import AccountUpdated
from wazify.views import AccountView, WorkspaceView

ACTIVE = ("scheduled", "running")


async def _active_job(kind: str, workspace_id: int, account_id: int | None = None) -> dict | None:
    query = DeletionJob.select(DeletionJob.id, DeletionJob.state, DeletionJob.due_at).where(
        (DeletionJob.kind == kind)
        & (DeletionJob.workspace_id == workspace_id)
        & DeletionJob.state.is_in(list(ACTIVE))
    )
    if account_id is not None:
        query = query.where(DeletionJob.account_id == account_id)
    return await query.first()


async def _lock_workspace(workspace_id: int) -> dict | None:
    """The workspace's row, FOR UPDATE: requests and cancellations of its deletion queue."""
    query = Workspace.select(Workspace.slug).where(Workspace.id == workspace_id)
    return await query.lock_rows("UPDATE").first()


async def do_request_workspace_deletion(
    uow: UnitOfWork, workspace_id: int, *, requested_by: int | None, confirm: str, grace: timedelta
) -> WorkspaceView:
    """Schedule the permanent deletion of everything the workspace holds, `grace` from now.
    `confirm` must be the workspace's slug, typed by the person asking."""
    workspace = await _lock_workspace(workspace_id)
    if workspace is None:
        raise NotFound(f"no workspace {workspace_id}")
    slug = workspace["slug"]
    if confirm.strip() != slug:
        raise Invalid(
            f"type the workspace's slug, {slug!r}, to confirm its deletion",
            field="confirm",
            code="confirmation_mismatch",
        )
    if (job := await _active_job("workspace", workspace_id)) is not None:
        when = f"{job['due_at']:%Y-%m-%d %H:%M} UTC"
        raise Conflict(
            f"this workspace's deletion is already scheduled for {when}", code="deletion_scheduled"
        )
    due_at = uow.now + grace
    await DeletionJob.insert(
        DeletionJob(
            kind="workspace",
            workspace_id=workspace_id,
            workspace_slug=slug,
            reason="requested by an admin",
            requested_by=requested_by,
            requested_at=uow.now,
            due_at=due_at,
        )
    )
    uow.audit(
        "workspace.deletion_requested",
        workspace_id,
        "workspace",
        workspace_id,
        after={"due_at": due_at.isoformat(), "grace_days": grace.days},
    )
    return await emit_workspace(uow, workspace_id)


async def do_cancel_workspace_deletion(uow: UnitOfWork, workspace_id: int) -> WorkspaceView:
    """Cancel a scheduled deletion; once it has started it can no longer be cancelled."""
    await _lock_workspace(workspace_id)
    job = await _active_job("workspace", workspace_id)
    if job is None:
        raise NotFound("no deletion of this workspace is scheduled")
    if job["state"] != "scheduled":
        raise Conflict("the deletion has started: it can no longer be cancelled", code="running")
    await DeletionJob.update(
        {DeletionJob.state: "cancelled", DeletionJob.cancelled_at: uow.now}
    ).where(DeletionJob.id == job["id"])
    uow.audit(
        "workspace.deletion_cancelled",
        workspace_id,
        "workspace",
        workspace_id,
        before={"due_at": job["due_at"].isoformat()},
    )
    return await emit_workspace(uow, workspace_id)


async def _disconnect(uow: UnitOfWork, account_id: int, reason: str) -> None:
    """Token wiped, nothing more sent, and the replies waiting to leave fail with why."""
    await IgAccount.update(
        {
            IgAccount.status: "disconnected",
            IgAccount.status_reason: reason,
            IgAccount.access_token_enc: None,
            IgAccount.token_expires_at: None,
            IgAccount.subscribed_at: None,
            IgAccount.updated_at: db_now(),
        }
    ).where(IgAccount.id == account_id)
    held = (
        await Message.update(
            {
                Message.status: "failed",
                Message.status_reason: f"not sent: {reason}",
                Message.next_attempt_at: None,
                Message.lease_until: None,
                Message.updated_at: db_now(),
            }
        )
        .where((Message.account_id == account_id) & (Message.status == "pending"))
        .returning(Message.id, Message.workspace_id)
    )
    await emit_updated(uow, held)


async def _emit_account(uow: UnitOfWork, workspace_id: int, account_id: int) -> AccountView:
    view = (await account_views(uow.conn, [account_id]))[account_id]
    uow.emit(AccountUpdated(workspace_id=workspace_id, at=uow.now, account=view))
    return view


async def do_schedule_account_erasure(
    uow: UnitOfWork,
    workspace_id: int,
    account_id: int,
    *,
    reason: str,
    requested_by: int | None = None,
    request_code: str | None = None,
) -> AccountView:
    """Disconnect the account now and delete its data (conversations, contacts, messages,
    receipts, the account itself) as soon as the deletion worker runs."""
    # The account's row only (FOR UPDATE OF ig_accounts): the workspace is read, not locked.
    row = (
        await IgAccount.select(
            IgAccount.username, IgAccount.status, IgAccount.workspace.slug.as_alias("slug")
        )
        .where((IgAccount.id == account_id) & (IgAccount.workspace == workspace_id))
        .lock_rows("UPDATE", of=(IgAccount,))
        .first()
    )
    if row is None:
        raise NotFound(f"no Instagram account {account_id} in this workspace")
    if await _active_job("account", workspace_id, account_id) is None:
        await DeletionJob.insert(
            DeletionJob(
                kind="account",
                workspace_id=workspace_id,
                workspace_slug=row["slug"],
                account_id=account_id,
                account_username=row["username"],
                reason=reason,
                request_code=request_code,
                requested_by=requested_by,
                requested_at=uow.now,
                due_at=uow.now,
            )
        )
    await _disconnect(uow, account_id, f"{reason}: its data is being deleted")
    uow.audit(
        "account.deletion_requested",
        workspace_id,
        "ig_account",
        account_id,
        before={"status": row["status"]},
        after={"status": "disconnected", "reason": reason},
    )
    return await _emit_account(uow, workspace_id, account_id)


async def do_record_deletion_request(uow: UnitOfWork, code: str) -> None:
    """Meta's data-deletion callback, known from now on by its confirmation code."""
    await DataDeletionRequest.insert(DataDeletionRequest(code=code, received_at=uow.now))


async def do_deauthorize_account(uow: UnitOfWork, account_id: int, reason: str) -> bool:
    """The person who connected the account removed the app: disconnect, keep the data.
    Repeats change nothing (False): no second event, no second audit entry."""
    row = (
        await IgAccount.select(
            IgAccount.workspace.as_alias("workspace_id"),
            IgAccount.status,
            IgAccount.access_token_enc,
        )
        .where(IgAccount.id == account_id)
        .lock_rows("UPDATE")
        .first()
    )
    if row is None or (row["status"] == "disconnected" and row["access_token_enc"] is None):
        return False
    await _disconnect(uow, account_id, reason)
    uow.audit(
        "account.deauthorized",
        row["workspace_id"],
        "ig_account",
        account_id,
        before={"status": row["status"]},
        after={"status": "disconnected", "reason": reason},
    )
    await _emit_account(uow, row["workspace_id"], account_id)
    return True
