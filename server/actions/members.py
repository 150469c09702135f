"""Members of a workspace: create, change role, deactivate. Each emits member.updated (a
public view everyone in the workspace sees) and writes an audit entry."""

from __future__ import annotations

from typing import Literal

import asyncpg
from piccolo.columns.combination import Combinable

from wazify.actions.assignment import hold, release_member
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.db.expressions import db_now
from wazify.db.tables import ApiToken, Conversation, Membership, Session, User
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.realtime.events import ConversationAssigned, MemberUpdated
from wazify.views import MemberView

ROLES = ("admin", "supervisor", "agent")

MEMBER_COLUMNS = (
    Membership.user.as_alias("user_id"),
    Membership.user.name.as_alias("name"),
    Membership.user.email.as_alias("email"),
    Membership.role,
    Membership.active,
)


def _of_member(workspace_id: int, user_id: int) -> Combinable:
    return (Membership.workspace == workspace_id) & (Membership.user == user_id)


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
    rows = await Membership.select(*MEMBER_COLUMNS).where(_of_member(workspace_id, user_id))
    if not rows:
        raise NotFound(f"no member {user_id} in this workspace")
    return MemberView(**rows[0])


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
    user = User(
        email=email,
        name=name,
        password_hash=password_hash,
        password_changed_at=None if password_hash is None else db_now(),
        created_at=db_now(),
    )
    created = (
        await User.insert(user)
        .on_conflict(target=User.email, action="DO NOTHING")
        .returning(User.id)
    )
    if created:
        user_id = created[0]["id"]
    else:
        if existing == "refuse":
            raise AccountExists(f"{email} already has an account", field="email")
        user_id = (await User.select(User.id).where(User.email == email).first())["id"]
    membership = Membership(
        workspace=workspace_id,
        user=user_id,
        role=role,
        created_at=db_now(),
        updated_at=db_now(),
    )
    try:
        async with uow.conn.transaction():
            await Membership.insert(membership)
    except asyncpg.UniqueViolationError:
        raise Conflict(f"{email} is already a member of this workspace", field="email") from None
    uow.audit("member.created", workspace_id, "user", user_id, after={"email": email, "role": role})
    return await _emit_member(uow, workspace_id, user_id)


async def _active_admins(uow: UnitOfWork, workspace_id: int) -> int:
    return await Membership.count().where(
        (Membership.workspace == workspace_id)
        & (Membership.role == "admin")
        & Membership.active.eq(True)
    )


async def _lock_member(uow: UnitOfWork, workspace_id: int, user_id: int) -> MemberView:
    # Lock every admin row too, so two concurrent demotions cannot both pass the
    # "one admin must remain" check.
    await (
        Membership.select(Membership.id)
        .where(
            (Membership.workspace == workspace_id)
            & ((Membership.role == "admin") | (Membership.user == user_id))
        )
        .lock_rows("UPDATE")
    )
    return await load_member(uow, workspace_id, user_id)


async def do_set_role(uow: UnitOfWork, workspace_id: int, user_id: int, role: str) -> MemberView:
    check_role(role)
    before = await _lock_member(uow, workspace_id, user_id)
    if before.role == role:
        return before
    if before.role == "admin" and before.active and await _active_admins(uow, workspace_id) <= 1:
        raise Conflict("the workspace's last active admin cannot lose the admin role")
    await Membership.update({Membership.role: role, Membership.updated_at: db_now()}).where(
        _of_member(workspace_id, user_id)
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


async def _lock_held(workspace_id: int, user_id: int) -> list[int]:
    """The member's open and snoozed conversations, locked FOR UPDATE in id order."""
    rows = await (
        Conversation.select(Conversation.id)
        .where(
            (Conversation.workspace == workspace_id)
            & (Conversation.assignee == user_id)
            & (Conversation.status != "resolved")
        )
        .order_by(Conversation.id)
        .lock_rows("UPDATE")
    )
    return [row["id"] for row in rows]


async def _release_conversations(
    uow: UnitOfWork, workspace_id: int, user_id: int, by: int | None
) -> None:
    """The member's open and snoozed conversations go back to the unassigned queue: one
    conversation.assigned (to nobody) and one audit entry each, as an unassignment by hand.
    The rows were locked before the membership (see do_deactivate_member); locked again
    here, with any that was assigned to the member in between."""
    ids = await _lock_held(workspace_id, user_id)
    if not ids:
        return
    await Conversation.update(
        {Conversation.assignee: None, Conversation.updated_at: db_now()}
    ).where(Conversation.id.is_in(ids))
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
    workspace end in the same transaction, and their open and snoozed conversations return
    to the unassigned queue (with auto-assignment on, the open ones are queued for others).

    Their conversations are locked before the membership row (after the assignment lock,
    the lock order): an assignment locks the conversation and then the membership (FOR
    SHARE), so the reverse order here could deadlock with it."""
    automatic = await hold(uow, [workspace_id])
    await _lock_held(workspace_id, user_id)
    before = await _lock_member(uow, workspace_id, user_id)
    if not before.active:
        return before
    if before.role == "admin" and await _active_admins(uow, workspace_id) <= 1:
        raise Conflict("the workspace's last active admin cannot be deactivated")
    await Membership.update({Membership.active: False, Membership.updated_at: db_now()}).where(
        _of_member(workspace_id, user_id)
    )
    await Session.update({Session.ended_at: db_now()}).where(
        (Session.workspace == workspace_id) & (Session.user == user_id) & Session.ended_at.is_null()
    )
    await ApiToken.update({ApiToken.revoked_at: db_now()}).where(
        (ApiToken.workspace == workspace_id)
        & (ApiToken.user == user_id)
        & ApiToken.revoked_at.is_null()
    )
    uow.audit(
        "member.deactivated",
        workspace_id,
        "user",
        user_id,
        before={"active": True},
        after={"active": False},
    )
    if automatic:
        await release_member(uow, workspace_id, user_id, "member_deactivated")
    member = await _emit_member(uow, workspace_id, user_id)
    await _release_conversations(uow, workspace_id, user_id, by)  # the rest: snoozed ones
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
    elsewhere = await Membership.exists().where(
        (Membership.user == user_id) & (Membership.workspace != workspace_id)
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
