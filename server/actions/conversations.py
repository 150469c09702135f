"""The team's actions on a conversation: assign, claim, unassign, status and snooze, read.

Every action locks the conversation row (FOR UPDATE) before reading the state it changes,
so concurrent changes serialise: of two reassignments, the later commit's assignee wins and
its conversation.assigned names the earlier one's as previous, in seq order (the sequence
is taken while the row lock is held). A change that changes nothing emits and audits
nothing. Preconditions on the locked row are checked here (claiming an assigned
conversation, an agent unassigning someone else); role checks stay in the routes' guards.

Auto-assignment (actions/assignment.py): each action first holds the workspace's
assignment lock FOR SHARE (before the conversation row, the lock order), so no automatic
decision interleaves with it. An assignment takes the conversation out of the queue; a
resolve or a reassignment makes room for the queue's head; a reopen queues it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wazify.actions.assignment import dequeue, enqueue, hold, request_decision
from wazify.actions.report_facts import record_status_change
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.db.expressions import db_now
from wazify.db.tables import Conversation, Membership, Message, ReadPosition
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

# A row: a dict of these columns (Piccolo's typed select).
Row = dict[str, Any]
LOCKED = (
    Conversation.id,
    Conversation.workspace.as_alias("workspace_id"),
    Conversation.status,
    Conversation.snoozed_until,
    Conversation.assignee.as_alias("assignee_id"),
    Conversation.unread_count,
    Conversation.last_message_id,
)


async def lock_conversation(uow: UnitOfWork, workspace_id: int, conversation_id: int) -> Row:
    row = (
        await Conversation.select(*LOCKED)
        .where((Conversation.id == conversation_id) & (Conversation.workspace == workspace_id))
        .lock_rows("UPDATE")
        .first()
    )
    if row is None:
        raise NotFound(f"no conversation {conversation_id} in this workspace")
    return row


async def _view(uow: UnitOfWork, conversation_id: int) -> ConversationView:
    return (await conversation_views(uow.conn, [conversation_id]))[conversation_id]


async def _check_assignee(uow: UnitOfWork, workspace_id: int, user_id: int) -> None:
    # FOR SHARE: a deactivation committing between this check and our commit waits for us.
    membership = (
        await Membership.select(Membership.active)
        .where((Membership.workspace == workspace_id) & (Membership.user == user_id))
        .lock_rows("SHARE")
        .first()
    )
    if membership is None:
        raise Invalid(
            f"user {user_id} is not a member of this workspace",
            field="user_id",
            code="unknown_member",
        )
    if not membership["active"]:
        raise Invalid(
            f"member {user_id} is deactivated and cannot be assigned conversations",
            field="user_id",
            code="inactive_member",
        )


async def set_assignee(
    uow: UnitOfWork,
    row: Row,
    assignee_id: int | None,
    by: int | None,
    *,
    reason: tuple[str, dict] | None = None,
) -> ConversationView:
    """`reason`: an automatic assignment's (text for the event, details for the audit)."""
    previous = row["assignee_id"]
    if previous == assignee_id:
        return await _view(uow, row["id"])
    if assignee_id is not None:
        await _check_assignee(uow, row["workspace_id"], assignee_id)
        await dequeue(uow, row["id"])
    if previous is not None:
        request_decision(uow, row["workspace_id"])  # the previous assignee has room
    await Conversation.update(
        {Conversation.assignee: assignee_id, Conversation.updated_at: db_now()}
    ).where(Conversation.id == row["id"])
    uow.audit(
        "conversation.assigned" if assignee_id is not None else "conversation.unassigned",
        row["workspace_id"],
        "conversation",
        row["id"],
        before={"assignee_id": previous},
        after={"assignee_id": assignee_id, **(reason[1] if reason else {})},
    )
    view = await _view(uow, row["id"])
    uow.emit(
        ConversationAssigned(
            workspace_id=row["workspace_id"],
            at=uow.now,
            conversation=view,
            previous_assignee_id=previous,
            assigned_by=by,
            reason=reason[0] if reason else None,
        )
    )
    return view


async def do_assign(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, assignee_id: int, *, by: int | None
) -> ConversationView:
    """(Re)assign to an active member of the workspace, whoever holds it now."""
    await hold(uow, [workspace_id])
    row = await lock_conversation(uow, workspace_id, conversation_id)
    return await set_assignee(uow, row, assignee_id, by)


async def do_claim(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, user_id: int
) -> ConversationView:
    """Take an unassigned conversation (claiming one's own again changes nothing)."""
    await hold(uow, [workspace_id])
    row = await lock_conversation(uow, workspace_id, conversation_id)
    if row["assignee_id"] not in (None, user_id):
        raise Conflict(
            f"conversation {conversation_id} is already assigned to member {row['assignee_id']};"
            " an admin or supervisor can reassign it",
            code="already_assigned",
        )
    return await set_assignee(uow, row, user_id, user_id)


async def do_unassign(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    *,
    by: int | None,
    only_if_assignee: int | None = None,
) -> ConversationView:
    """Leave the conversation unassigned. With `only_if_assignee`, only that member may be
    removed (an agent unassigning itself): checked on the locked row, so it cannot race.
    The conversation is not queued: whoever let it go leaves it to be claimed by hand."""
    await hold(uow, [workspace_id])
    row = await lock_conversation(uow, workspace_id, conversation_id)
    current = row["assignee_id"]
    if only_if_assignee is not None and current not in (None, only_if_assignee):
        raise Forbidden(
            f"conversation {conversation_id} is assigned to member {current}, not to you;"
            " unassigning someone else needs the admin or supervisor role"
        )
    return await set_assignee(uow, row, None, by)


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
    automatic = await hold(uow, [workspace_id])
    row = await lock_conversation(uow, workspace_id, conversation_id)
    if (row["status"], row["snoozed_until"]) == (status, snoozed_until):
        return await _view(uow, conversation_id)
    await _write_status(uow, row, status, snoozed_until, "conversation.status_changed")
    if status != "open":
        await dequeue(uow, conversation_id)
        if row["assignee_id"] is not None and status == "resolved":
            request_decision(uow, workspace_id)  # its assignee has room
    elif automatic and row["assignee_id"] is None:
        await enqueue(uow, workspace_id, [(conversation_id, uow.now)], "reopened")
    return await _view(uow, conversation_id)


async def _write_status(
    uow: UnitOfWork, row: Row, status: str, snoozed_until: datetime | None, action: str
) -> None:
    if status != row["status"]:
        cause = "snooze" if action == "conversation.woken" else "member"
        await record_status_change(uow, row, status, cause)
    await Conversation.update(
        {
            Conversation.status: status,
            Conversation.snoozed_until: snoozed_until,
            Conversation.facts_stale: True,  # the reports re-derive this conversation
            # Someone has looked at it since a customer reopened it: the list's marker ends.
            Conversation.reopened_at: None,
            Conversation.updated_at: db_now(),
        }
    ).where(Conversation.id == row["id"])
    uow.audit(
        action,
        row["workspace_id"],
        "conversation",
        row["id"],
        before={"status": row["status"], "snoozed_until": row["snoozed_until"]},
        after={"status": status, "snoozed_until": snoozed_until},
    )
    view = await _view(uow, row["id"])
    uow.emit(ConversationUpdated(workspace_id=row["workspace_id"], at=uow.now, conversation=view))


async def do_wake_snoozed(uow: UnitOfWork, limit: int = 100) -> list[int]:
    """Reopen pending conversations whose snooze time has come (the sweeper's action).
    Rows another transaction holds are skipped: the next sweep takes them."""
    rows = (
        await Conversation.select(*LOCKED)
        .where((Conversation.status == "pending") & (Conversation.snoozed_until <= db_now()))
        .order_by(Conversation.snoozed_until, Conversation.id)
        .limit(limit)
        .lock_rows("UPDATE", skip_locked=True)
    )
    for row in rows:
        await _write_status(uow, row, "open", None, "conversation.woken")
        if row["assignee_id"] is None:
            # Without the assignment lock (the rows are locked first): a decision running
            # now leaves it for the next one, which this unit requests.
            await enqueue(uow, row["workspace_id"], [(row["id"], uow.now)], "woken")
    return [row["id"] for row in rows]


async def _target_message(uow: UnitOfWork, row: Row, message_id: int | None) -> Row | None:
    wanted = message_id if message_id is not None else row["last_message_id"]
    if wanted is None:
        return None
    found = (
        await Message.select(Message.id, Message.sent_at)
        .where((Message.id == wanted) & (Message.conversation == row["id"]))
        .first()
    )
    if found is None:
        raise Invalid(f"message {wanted} is not in conversation {row['id']}", field="message_id")
    return found


async def _read_position(user_id: int, conversation_id: int) -> Row | None:
    """The member's last-read message and when it was sent (None: it is gone)."""
    position = (
        await ReadPosition.select(ReadPosition.message_id)
        .where((ReadPosition.user == user_id) & (ReadPosition.conversation == conversation_id))
        .first()
    )
    if position is None:
        return None
    message_id = position["message_id"]
    message = None
    if message_id is not None:
        message = await Message.select(Message.sent_at).where(Message.id == message_id).first()
    return {"message_id": message_id, "sent_at": message["sent_at"] if message else None}


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
        await Conversation.update(
            {Conversation.unread_count: 0, Conversation.updated_at: db_now()}
        ).where(Conversation.id == conversation_id)
        uow.emit(
            ConversationRead(
                workspace_id=workspace_id,
                at=uow.now,
                conversation_id=conversation_id,
                read_by=user_id,
            )
        )
    current = await _read_position(user_id, conversation_id)
    before = current["message_id"] if current else None
    after = before
    if target is not None and (
        current is None
        or current["sent_at"] is None
        or (target["sent_at"], target["id"]) > (current["sent_at"], current["message_id"])
    ):
        after = target["id"]
        position = ReadPosition(
            user=user_id,
            conversation=conversation_id,
            workspace=workspace_id,
            message_id=after,
            read_at=db_now(),
        )
        await ReadPosition.insert(position).on_conflict(
            target=(ReadPosition.user, ReadPosition.conversation),
            action="DO UPDATE",
            values=(ReadPosition.message_id, ReadPosition.read_at),
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
