"""The team's actions on a conversation: assign, claim, unassign, status and snooze, read.

Every action locks the conversation row (FOR UPDATE) before reading the state it changes,
so concurrent changes serialise: of two reassignments, the later commit's assignee wins and
its conversation.assigned names the earlier one's as previous, in seq order (the sequence
is taken while the row lock is held). A change that changes nothing emits and audits
nothing. Preconditions on the locked row are checked here (claiming an assigned
conversation, an agent unassigning someone else); role checks stay in the routes' guards.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from wazify.actions.status_changes import record_status_change
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.lib.errors import Conflict, Forbidden, Invalid, NotFound
from wazify.lib.inputs import check_moment
from wazify.realtime.events import (
    ConversationAssigned,
    ConversationRead,
    ConversationUpdated,
    ReadPositionUpdated,
    only,
)
from wazify.views import ConversationView

STATUSES = ("open", "pending", "resolved")

LOCK = """
SELECT id, workspace_id, status, snoozed_until, assignee_id, unread_count, last_message_id
FROM conversations WHERE id = $1 AND workspace_id = $2 FOR UPDATE
"""


async def lock_conversation(
    uow: UnitOfWork, workspace_id: int, conversation_id: int
) -> asyncpg.Record:
    row = await uow.conn.fetchrow(LOCK, conversation_id, workspace_id)
    if row is None:
        raise NotFound(f"no conversation {conversation_id} in this workspace")
    return row


async def _view(uow: UnitOfWork, conversation_id: int) -> ConversationView:
    return (await conversation_views(uow.conn, [conversation_id]))[conversation_id]


async def _check_assignee(uow: UnitOfWork, workspace_id: int, user_id: int) -> None:
    # FOR SHARE: a deactivation committing between this check and our commit waits for us.
    active = await uow.conn.fetchval(
        "SELECT active FROM memberships WHERE workspace_id = $1 AND user_id = $2 FOR SHARE",
        workspace_id,
        user_id,
    )
    if active is None:
        raise Invalid(
            f"user {user_id} is not a member of this workspace",
            field="user_id",
            code="unknown_member",
        )
    if not active:
        raise Invalid(
            f"member {user_id} is deactivated and cannot be assigned conversations",
            field="user_id",
            code="inactive_member",
        )


async def _set_assignee(
    uow: UnitOfWork, row: asyncpg.Record, assignee_id: int | None, by: int | None
) -> ConversationView:
    previous = row["assignee_id"]
    if previous == assignee_id:
        return await _view(uow, row["id"])
    if assignee_id is not None:
        await _check_assignee(uow, row["workspace_id"], assignee_id)
    await uow.conn.execute(
        "UPDATE conversations SET assignee_id = $2, updated_at = now() WHERE id = $1",
        row["id"],
        assignee_id,
    )
    uow.audit(
        "conversation.assigned" if assignee_id is not None else "conversation.unassigned",
        row["workspace_id"],
        "conversation",
        row["id"],
        before={"assignee_id": previous},
        after={"assignee_id": assignee_id},
    )
    view = await _view(uow, row["id"])
    uow.emit(
        ConversationAssigned(
            workspace_id=row["workspace_id"],
            at=uow.now,
            conversation=view,
            previous_assignee_id=previous,
            assigned_by=by,
        )
    )
    return view


async def do_assign(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, assignee_id: int, *, by: int | None
) -> ConversationView:
    """(Re)assign to an active member of the workspace, whoever holds it now."""
    row = await lock_conversation(uow, workspace_id, conversation_id)
    return await _set_assignee(uow, row, assignee_id, by)


async def do_claim(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, user_id: int
) -> ConversationView:
    """Take an unassigned conversation (claiming one's own again changes nothing)."""
    row = await lock_conversation(uow, workspace_id, conversation_id)
    if row["assignee_id"] not in (None, user_id):
        raise Conflict(
            f"conversation {conversation_id} is already assigned to member {row['assignee_id']};"
            " an admin or supervisor can reassign it",
            code="already_assigned",
        )
    return await _set_assignee(uow, row, user_id, user_id)


async def do_unassign(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    *,
    by: int | None,
    only_if_assignee: int | None = None,
) -> ConversationView:
    """Leave the conversation unassigned. With `only_if_assignee`, only that member may be
    removed (an agent unassigning itself): checked on the locked row, so it cannot race."""
    row = await lock_conversation(uow, workspace_id, conversation_id)
    current = row["assignee_id"]
    if only_if_assignee is not None and current not in (None, only_if_assignee):
        raise Forbidden(
            f"conversation {conversation_id} is assigned to member {current}, not to you;"
            " unassigning someone else needs the admin or supervisor role"
        )
    return await _set_assignee(uow, row, None, by)


def check_status(status: str, snoozed_until: datetime | None, now: datetime) -> None:
    if status not in STATUSES:
        raise Invalid(f"unknown status {status!r}: use open, pending or resolved", field="status")
    if status == "pending":
        if snoozed_until is None:
            raise Invalid("a pending conversation needs snoozed_until", field="snoozed_until")
        if snoozed_until.tzinfo is None:
            raise Invalid("snoozed_until needs a time zone (e.g. Z)", field="snoozed_until")
        if check_moment(snoozed_until, "snoozed_until") <= now:
            raise Invalid("snoozed_until must be in the future", field="snoozed_until")
    elif snoozed_until is not None:
        raise Invalid(f"snoozed_until is for pending, not {status}", field="snoozed_until")


async def do_set_status(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    status: str,
    snoozed_until: datetime | None = None,
) -> ConversationView:
    """open (reopen by hand), pending until `snoozed_until`, or resolved."""
    check_status(status, snoozed_until, uow.now)
    row = await lock_conversation(uow, workspace_id, conversation_id)
    if (row["status"], row["snoozed_until"]) == (status, snoozed_until):
        return await _view(uow, conversation_id)
    await _write_status(uow, row, status, snoozed_until, "conversation.status_changed")
    return await _view(uow, conversation_id)


async def _write_status(
    uow: UnitOfWork, row: asyncpg.Record, status: str, snoozed_until: datetime | None, action: str
) -> None:
    """Any change by a member or a snooze ending also ends a customer's reopening (the
    list's marker): someone has looked at it since."""
    await uow.conn.execute(
        "UPDATE conversations SET status = $2, snoozed_until = $3, reopened_at = NULL,"
        " updated_at = now() WHERE id = $1",
        row["id"],
        status,
        snoozed_until,
    )
    uow.audit(
        action,
        row["workspace_id"],
        "conversation",
        row["id"],
        before={"status": row["status"], "snoozed_until": row["snoozed_until"]},
        after={"status": status, "snoozed_until": snoozed_until},
    )
    if row["status"] != status:
        reason = "snooze_ended" if action == "conversation.woken" else "member"
        await record_status_change(
            uow, row["workspace_id"], row["id"], row["status"], status, reason
        )
    view = await _view(uow, row["id"])
    uow.emit(ConversationUpdated(workspace_id=row["workspace_id"], at=uow.now, conversation=view))


WAKE_DUE = """
SELECT id, workspace_id, status, snoozed_until FROM conversations
WHERE status = 'pending' AND snoozed_until <= now()
ORDER BY snoozed_until, id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


async def do_wake_snoozed(uow: UnitOfWork, limit: int = 100) -> list[int]:
    """Reopen pending conversations whose snooze time has come (the sweeper's action).
    Rows another transaction holds are skipped: the next sweep takes them."""
    rows = await uow.conn.fetch(WAKE_DUE, limit)
    for row in rows:
        await _write_status(uow, row, "open", None, "conversation.woken")
    return [row["id"] for row in rows]


async def _target_message(
    uow: UnitOfWork, row: asyncpg.Record, message_id: int | None
) -> asyncpg.Record | None:
    wanted = message_id if message_id is not None else row["last_message_id"]
    if wanted is None:
        return None
    found = await uow.conn.fetchrow(
        "SELECT id, sent_at FROM messages WHERE id = $1 AND conversation_id = $2",
        wanted,
        row["id"],
    )
    if found is None:
        raise Invalid(f"message {wanted} is not in conversation {row['id']}", field="message_id")
    return found


async def do_mark_read(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    user_id: int,
    message_id: int | None = None,
) -> tuple[ConversationView, int | None]:
    """The team's unread count back to zero (conversation.read, to everyone) and this
    member's own last-read position moved forward to `message_id`, by default the newest
    message (read_position.updated, to that member only). Returns the conversation and the
    member's position."""
    row = await lock_conversation(uow, workspace_id, conversation_id)
    target = await _target_message(uow, row, message_id)
    unread = row["unread_count"]
    if unread:
        await uow.conn.execute(
            "UPDATE conversations SET unread_count = 0, updated_at = now() WHERE id = $1",
            conversation_id,
        )
        uow.emit(
            ConversationRead(
                workspace_id=workspace_id,
                at=uow.now,
                conversation_id=conversation_id,
                read_by=user_id,
            )
        )
    current = await uow.conn.fetchrow(
        "SELECT rp.message_id, m.sent_at FROM read_positions rp LEFT JOIN messages m"
        " ON m.id = rp.message_id WHERE rp.user_id = $1 AND rp.conversation_id = $2",
        user_id,
        conversation_id,
    )
    before = current["message_id"] if current else None
    after = before
    if target is not None and (
        current is None
        or current["sent_at"] is None
        or (target["sent_at"], target["id"]) > (current["sent_at"], current["message_id"])
    ):
        after = target["id"]
        await uow.conn.execute(
            "INSERT INTO read_positions (user_id, conversation_id, workspace_id, message_id)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, conversation_id)"
            " DO UPDATE SET message_id = excluded.message_id, read_at = now()",
            user_id,
            conversation_id,
            workspace_id,
            after,
        )
        uow.emit(
            ReadPositionUpdated(
                workspace_id=workspace_id,
                at=uow.now,
                conversation_id=conversation_id,
                user_id=user_id,
                message_id=after,
            ),
            only(user_id),
        )
    if unread or after != before:
        uow.audit(
            "conversation.read",
            workspace_id,
            "conversation",
            conversation_id,
            before={"unread_count": unread, "read_message_id": before},
            after={"unread_count": 0, "read_message_id": after},
        )
    return await _view(uow, conversation_id), after
