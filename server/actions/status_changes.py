"""The log of conversation status changes, written in the unit of work that changes the
status: by a member, by a snooze ending, or by a customer's message reopening a resolved
conversation. A reopening also emits conversation.reopened (after the message's
message.created, in the same transaction), so every agent's thread shows the line
"Reopened by a new message from ..." and the list its marker (ConversationView.reopened_at)
without fetching anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.db.tables import StatusChange
from wazify.realtime.events import ConversationReopened
from wazify.views import StatusChangeView

Reason = Literal["member", "snooze_ended", "customer_message"]
STATUS_CHANGE_COLUMNS = (
    StatusChange.id,
    StatusChange.conversation.as_alias("conversation_id"),
    StatusChange.status_from,
    StatusChange.status_to,
    StatusChange.reason,
    StatusChange.user.as_alias("user_id"),
    StatusChange.message_id,
    StatusChange.created_at,
)


async def record_status_change(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    status_from: str,
    status_to: str,
    reason: Reason,
    *,
    message_id: int | None = None,
) -> StatusChangeView:
    user_id = uow.actor.user_id if reason == "member" else None
    row = StatusChange(
        workspace=workspace_id,
        conversation=conversation_id,
        status_from=status_from,
        status_to=status_to,
        reason=reason,
        user=user_id,
        message_id=message_id,
        created_at=uow.now,
    )
    [inserted] = await StatusChange.insert(row).returning(StatusChange.id, StatusChange.created_at)
    return StatusChangeView(
        id=inserted["id"],
        conversation_id=conversation_id,
        status_from=status_from,  # type: ignore[arg-type]
        status_to=status_to,  # type: ignore[arg-type]
        reason=reason,
        user_id=user_id,
        message_id=message_id,
        created_at=inserted["created_at"],
    )


async def record_reopenings(uow: UnitOfWork, reopened: Sequence[tuple[int, int, int]]) -> None:
    """(workspace id, conversation id, id of the customer's message that reopened it):
    a change "resolved -> open" each, and its conversation.reopened."""
    if not reopened:
        return
    views = await conversation_views(uow.conn, [cid for _, cid, _ in reopened])
    for workspace_id, conversation_id, message_id in reopened:
        change = await record_status_change(
            uow,
            workspace_id,
            conversation_id,
            "resolved",
            "open",
            "customer_message",
            message_id=message_id,
        )
        uow.emit(
            ConversationReopened(
                workspace_id=workspace_id,
                at=uow.now,
                conversation=views[conversation_id],
                change=change,
            )
        )


async def list_status_changes(conversation_id: int, limit: int = 500) -> list[StatusChangeView]:
    """A conversation's latest status changes, oldest first."""
    rows = (
        await StatusChange.select(*STATUS_CHANGE_COLUMNS)
        .where(StatusChange.conversation == conversation_id)
        .order_by(StatusChange.id, ascending=False)
        .limit(limit)
    )
    return [StatusChangeView(**row) for row in reversed(rows)]
