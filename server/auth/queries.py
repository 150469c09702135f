"""Read-only identity queries for the auth routes (Piccolo's query builder)."""

from __future__ import annotations

from wazify.auth.schemas import UserView, WorkspaceView
from wazify.db.tables import User, Workspace


async def user_and_workspace(user_id: int, workspace_id: int) -> tuple[UserView, WorkspaceView]:
    """Who is signed in, and where (GET /me): both exist while the principal resolves."""
    user = await User.select(User.id, User.email, User.name).where(User.id == user_id).first()
    workspace = (
        await Workspace.select(Workspace.id, Workspace.slug, Workspace.name)
        .where(Workspace.id == workspace_id)
        .first()
    )
    return UserView(**user), WorkspaceView(**workspace)


async def password_hash_of(user_id: int) -> str | None:
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    return row["password_hash"] if row else None
