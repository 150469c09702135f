"""Read-only member queries, always scoped to one workspace."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from wazify.auth.schemas import WorkspaceView
from wazify.views import MemberView

_COLUMNS = "u.id AS user_id, u.name, u.email, m.role, m.active, m.created_at, m.id AS membership_id"


async def list_members(
    pool: asyncpg.Pool, workspace_id: int, before: tuple[datetime, int] | None, limit: int
) -> list[tuple[MemberView, tuple[datetime, int]]]:
    """Newest membership first; each member comes with its cursor key."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.workspace_id = $1"
        " AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2, $3))"
        " ORDER BY m.created_at DESC, m.id DESC LIMIT $4",
        workspace_id,
        before[0] if before else None,
        before[1] if before else 0,
        limit,
    )
    return [(_view(row), (row["created_at"], row["membership_id"])) for row in rows]


async def get_member(pool: asyncpg.Pool, workspace_id: int, user_id: int) -> MemberView | None:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE m.workspace_id = $1 AND m.user_id = $2",
        workspace_id,
        user_id,
    )
    return _view(row) if row else None


def _view(row: asyncpg.Record) -> MemberView:
    return MemberView(
        user_id=row["user_id"],
        name=row["name"],
        email=row["email"],
        role=row["role"],
        active=row["active"],
    )


async def pending_invitation(pool: asyncpg.Pool, token_hash: str) -> asyncpg.Record | None:
    """A usable invitation (not accepted, not expired) and the account its email already
    has, if any: `user_id`, `password_hash`, and `claimed` (someone holds it: it has a
    password or a workspace; false when there is no account)."""
    return await pool.fetchrow(
        "SELECT i.id, i.workspace_id, i.email, u.id AS user_id, u.password_hash,"
        " u.password_hash IS NOT NULL"
        " OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id) AS claimed"
        " FROM invitations i LEFT JOIN users u ON u.email = i.email"
        " WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now()",
        token_hash,
    )


async def workspace_view(pool: asyncpg.Pool, workspace_id: int) -> WorkspaceView:
    row = await pool.fetchrow("SELECT id, slug, name FROM workspaces WHERE id = $1", workspace_id)
    return WorkspaceView(id=row["id"], slug=row["slug"], name=row["name"])
