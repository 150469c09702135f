"""The workspace as every member sees it (the bootstrap's `workspace`, workspace.updated).

Plain SQL on the caller's connection: the bootstrap reads it inside its REPEATABLE READ
transaction, and actions inside their unit, so it agrees with the rows read beside it.
"""

from __future__ import annotations

from typing import Any

from wazify.views import WorkspaceView

WORKSPACE_VIEW_SQL = """
SELECT w.id, w.slug, w.name, w.message_retention_days,
       j.requested_at AS deletion_requested_at, j.due_at AS deletion_due_at
FROM workspaces w
LEFT JOIN deletion_jobs j ON j.kind = 'workspace' AND j.workspace_id = w.id
     AND j.state IN ('scheduled', 'running')
WHERE w.id = $1
"""


async def workspace_view(db: Any, workspace_id: int) -> WorkspaceView | None:
    """`db`: an asyncpg connection or pool."""
    row = await db.fetchrow(WORKSPACE_VIEW_SQL, workspace_id)
    return None if row is None else WorkspaceView(**dict(row))
