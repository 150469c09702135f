"""Read-only member queries, always scoped to one workspace (Piccolo's query builder; the
`pool` arguments are kept for the callers, Piccolo reads through its engine's pool)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.columns.combination import Combinable

from wazify.auth.schemas import WorkspaceView
from wazify.db.expressions import db_now
from wazify.db.tables import Invitation, Membership, User, Workspace
from wazify.views import MemberView

_COLUMNS = (
    Membership.user.as_alias("user_id"),
    Membership.user.name.as_alias("name"),
    Membership.user.email.as_alias("email"),
    Membership.role,
    Membership.active,
    Membership.created_at,
    Membership.id.as_alias("membership_id"),
)


async def list_members(
    pool: Any, workspace_id: int, before: tuple[datetime, int] | None, limit: int
) -> list[tuple[MemberView, tuple[datetime, int]]]:
    """Newest membership first; each member comes with its cursor key."""
    where: Combinable = Membership.workspace == workspace_id
    if before is not None:
        moment, membership_id = before
        where &= (Membership.created_at < moment) | (
            (Membership.created_at == moment) & (Membership.id < membership_id)
        )
    rows = (
        await Membership.select(*_COLUMNS)
        .where(where)
        .order_by(Membership.created_at, Membership.id, ascending=False)
        .limit(limit)
    )
    return [(_view(row), (row["created_at"], row["membership_id"])) for row in rows]


async def get_member(pool: Any, workspace_id: int, user_id: int) -> MemberView | None:
    rows = await Membership.select(*_COLUMNS).where(
        (Membership.workspace == workspace_id) & (Membership.user == user_id)
    )
    return _view(rows[0]) if rows else None


def _view(row: dict[str, Any]) -> MemberView:
    return MemberView(
        user_id=row["user_id"],
        name=row["name"],
        email=row["email"],
        role=row["role"],
        active=row["active"],
    )


async def pending_invitation(pool: Any, token_hash: str) -> dict[str, Any] | None:
    """A usable invitation (not accepted, not expired) and the account its email already
    has, if any: `user_id`, `password_hash`, and `claimed` (someone holds it: it has a
    password or a workspace; false when there is no account)."""
    invitation = (
        await Invitation.select(
            Invitation.id, Invitation.workspace.as_alias("workspace_id"), Invitation.email
        )
        .where(
            (Invitation.token_hash == token_hash)
            & Invitation.accepted_at.is_null()
            & (Invitation.expires_at > db_now())
        )
        .first()
    )
    if invitation is None:
        return None
    user = (
        await User.select(User.id, User.password_hash)
        .where(User.email == invitation["email"])
        .first()
    )
    if user is None:
        return {**invitation, "user_id": None, "password_hash": None, "claimed": False}
    claimed = user["password_hash"] is not None or await Membership.exists().where(
        Membership.user == user["id"]
    )
    return {
        **invitation,
        "user_id": user["id"],
        "password_hash": user["password_hash"],
        "claimed": claimed,
    }


async def workspace_view(pool: Any, workspace_id: int) -> WorkspaceView:
    row = (
        await Workspace.select(Workspace.id, Workspace.slug, Workspace.name)
        .where(Workspace.id == workspace_id)
        .first()
    )
    return WorkspaceView(**row)
