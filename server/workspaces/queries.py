"""The workspace as every member sees it (the bootstrap's `workspace`, workspace.updated).

Piccolo's query builder: inside a unit of work, or the bootstrap's REPEATABLE READ snapshot
(both joined with `piccolo_joins`), it reads in that transaction, so it agrees with the rows
read beside it; elsewhere, through the pool.
"""

from __future__ import annotations

from typing import Any

from wazify.db.tables import DeletionJob, Workspace
from wazify.views import WorkspaceView

# A deletion in these states is shown to the members (the banner, and who may cancel it).
PENDING_DELETION = ("scheduled", "running")


async def workspace_view(db: Any, workspace_id: int) -> WorkspaceView | None:
    """`db`: the caller's connection or pool, kept for the callers; Piccolo picks the
    joined transaction's connection, or the pool."""
    rows = await Workspace.select(
        Workspace.id, Workspace.slug, Workspace.name, Workspace.message_retention_days
    ).where(Workspace.id == workspace_id)
    if not rows:
        return None
    jobs = await DeletionJob.select(DeletionJob.requested_at, DeletionJob.due_at).where(
        (DeletionJob.kind == "workspace")
        & (DeletionJob.workspace_id == workspace_id)
        & DeletionJob.state.is_in(list(PENDING_DELETION))
    )
    job = jobs[0] if jobs else {"requested_at": None, "due_at": None}
    return WorkspaceView(
        **rows[0], deletion_requested_at=job["requested_at"], deletion_due_at=job["due_at"]
    )
