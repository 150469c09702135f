"""Members of a workspace: create, change role, deactivate. Each emits member.updated (a
public view everyone in the workspace sees) and writes an audit entry."""

from __future__ import annotations

from typing import Literal

import asyncpg

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.db.tables import User
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.realtime.events import ConversationAssigned, MemberUpdated
from wazify.views import MemberView

ROLES = ("admin", "supervisor", "agent")

MEMBER_SQL = """
SELECT u.id AS user_id, u.name, u.email, m.role, m.active
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.workspace_id = $1 AND m.user_id = $2
"""


def check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}: use admin, supervisor or agent", field="role")
    return role


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or " " in email:
        raise Invalid(f"{email!r} is not an email address", field="email")
    return email


async def load_member(uow: UnitOfWork, workspace_id: int, user_id: int) -> MemberView:
    row = await uow.conn.fetchrow(MEMBER_SQL, workspace_id, user_id)
    if row is None:
        raise NotFound(f"no member {user_id} in this workspace")
    return MemberView(**dict(row))


async def _emit_member(uow: UnitOfWork, workspace_id: int, user_id: int) -> MemberView:
    member = await load_member(uow, workspace_id, user_id)
    uow.emit(MemberUpdated(workspace_id=workspace_id, at=uow.now, member=member))
    return member


class AccountExists(Conflict):
    """The email already has an account (perhaps in another workspace): it joins this one
    only when its holder accepts an invitation."""


async def do_create_member(
    uow: UnitOfWork,
    workspace_id: int,
    *,
    email: str,
    role: str,
    name: str = "",
    password_hash: str | None = None,
    existing: Literal["refuse", "attach"] = "refuse",
) -> MemberView:
    """Add a member with a new account. An email that already has one raises AccountExists,
    and nothing is written: an admin of one workspace must not be able to pull another
    workspace's member (and their password) in with a role of their choosing.

    `existing="attach"` adds the existing account as it is (its name and password stay its
    own) once its holder has agreed (an accepted invitation) or an operator decides (the
    CLI)."""
    email, role = normalize_email(email), check_role(role)
    # ON CONFLICT rather than look-then-insert: two requests for one new email cannot both
    # create it, and a conflict aborts nothing in the unit's transaction.
    user_id = await uow.conn.fetchval(
        "INSERT INTO users (email, name, password_hash, password_changed_at)"
        " VALUES ($1, $2, $3, CASE WHEN $3::text IS NULL THEN NULL ELSE now() END)"
        " ON CONFLICT (email) DO NOTHING RETURNING id",
        email,
        name,
        password_hash,
    )
    if user_id is None:
        if existing == "refuse":
            raise AccountExists(f"{email} already has an account", field="email")
        user_id = await uow.conn.fetchval("SELECT id FROM users WHERE email = $1", email)
    try:
        async with uow.conn.transaction():
            await uow.conn.execute(
                "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3)",
                workspace_id,
                user_id,
                role,
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"{email} is already a member of this workspace", field="email") from None
    uow.audit("member.created", workspace_id, "user", user_id, after={"email": email, "role": role})
    return await _emit_member(uow, workspace_id, user_id)


async def _active_admins(uow: UnitOfWork, workspace_id: int) -> int:
    return await uow.conn.fetchval(
        "SELECT count(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin' AND active",
        workspace_id,
    )


async def _lock_member(uow: UnitOfWork, workspace_id: int, user_id: int) -> MemberView:
    # Lock every admin row too, so two concurrent demotions cannot both pass the
    # "one admin must remain" check.
    await uow.conn.execute(
        "SELECT 1 FROM memberships WHERE workspace_id = $1 AND (role = 'admin' OR user_id = $2)"
        " FOR UPDATE",
        workspace_id,
        user_id,
    )
    return await load_member(uow, workspace_id, user_id)


async def do_set_role(uow: UnitOfWork, workspace_id: int, user_id: int, role: str) -> MemberView:
    check_role(role)
    before = await _lock_member(uow, workspace_id, user_id)
    if before.role == role:
        return before
    if before.role == "admin" and before.active and await _active_admins(uow, workspace_id) <= 1:
        raise Conflict("the workspace's last active admin cannot lose the admin role")
    await uow.conn.execute(
        "UPDATE memberships SET role = $3, updated_at = now()"
        " WHERE workspace_id = $1 AND user_id = $2",
        workspace_id,
        user_id,
        role,
    )
    uow.audit(
        "member.role_changed",
        workspace_id,
        "user",
        user_id,
        before={"role": before.role},
        after={"role": role},
    )
    return await _emit_member(uow, workspace_id, user_id)


HELD = """
SELECT id FROM conversations
WHERE workspace_id = $1 AND assignee_id = $2 AND status <> 'resolved'
ORDER BY id FOR UPDATE
"""


async def _release_conversations(
    uow: UnitOfWork, workspace_id: int, user_id: int, by: int | None
) -> None:
    """The member's open and snoozed conversations go back to the unassigned queue: one
    conversation.assigned (to nobody) and one audit entry each, as an unassignment by hand.
    The rows were locked before the membership (see do_deactivate_member); locked again
    here, with any that was assigned to the member in between."""
    ids = [row["id"] for row in await uow.conn.fetch(HELD, workspace_id, user_id)]
    if not ids:
        return
    await uow.conn.execute(
        "UPDATE conversations SET assignee_id = NULL, updated_at = now() WHERE id = ANY($1)",
        ids,
    )
    views = await conversation_views(uow.conn, ids)
    for conversation_id in ids:
        uow.audit(
            "conversation.unassigned",
            workspace_id,
            "conversation",
            conversation_id,
            before={"assignee_id": user_id},
            after={"assignee_id": None, "reason": "member_deactivated"},
        )
        uow.emit(
            ConversationAssigned(
                workspace_id=workspace_id,
                at=uow.now,
                conversation=views[conversation_id],
                previous_assignee_id=user_id,
                assigned_by=by,
            )
        )


async def do_deactivate_member(
    uow: UnitOfWork, workspace_id: int, user_id: int, *, by: int | None = None
) -> MemberView:
    """Deactivate and cut off at once: the member's sessions and API tokens in this
    workspace end in the same transaction, and their open conversations return to the
    unassigned queue.

    Their conversations are locked before the membership row: an assignment locks the
    conversation and then the membership (FOR SHARE), so the reverse order here could
    deadlock with it."""
    await uow.conn.execute(HELD, workspace_id, user_id)
    before = await _lock_member(uow, workspace_id, user_id)
    if not before.active:
        return before
    if before.role == "admin" and await _active_admins(uow, workspace_id) <= 1:
        raise Conflict("the workspace's last active admin cannot be deactivated")
    await uow.conn.execute(
        "UPDATE memberships SET active = false, updated_at = now()"
        " WHERE workspace_id = $1 AND user_id = $2",
        workspace_id,
        user_id,
    )
    await uow.conn.execute(
        "UPDATE sessions SET ended_at = now()"
        " WHERE workspace_id = $1 AND user_id = $2 AND ended_at IS NULL",
        workspace_id,
        user_id,
    )
    await uow.conn.execute(
        "UPDATE api_tokens SET revoked_at = now()"
        " WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        workspace_id,
        user_id,
    )
    uow.audit(
        "member.deactivated",
        workspace_id,
        "user",
        user_id,
        before={"active": True},
        after={"active": False},
    )
    member = await _emit_member(uow, workspace_id, user_id)
    await _release_conversations(uow, workspace_id, user_id, by)
    return member


async def do_rename_member(
    uow: UnitOfWork, workspace_id: int, user_id: int, name: str
) -> MemberView:
    """An admin's correction of a member's display name. The name is the person's own,
    across workspaces: a person who also belongs to another workspace is not renamed from
    here (that would change what another business sees)."""
    name = " ".join(name.split())
    if not name:
        raise Invalid("the name cannot be empty", field="name")
    before = await _lock_member(uow, workspace_id, user_id)
    if before.name == name:
        return before
    elsewhere = await uow.conn.fetchval(
        "SELECT count(*) FROM memberships WHERE user_id = $1 AND workspace_id <> $2",
        user_id,
        workspace_id,
    )
    if elsewhere:
        raise Conflict(
            "this person also belongs to another workspace: only they can change their name",
            field="name",
            code="member_elsewhere",
        )
    await User.update({User.name: name}).where(User.id == user_id)
    uow.audit(
        "member.renamed",
        workspace_id,
        "user",
        user_id,
        before={"name": before.name},
        after={"name": name},
    )
    return await _emit_member(uow, workspace_id, user_id)
