"""A conversation's status history as the thread shows it, and the customer's reopenings.

The history itself is one table, conversation_status_changes (db/tables/reports.py),
written in the unit of work that changes the status: by a member or a snooze ending
(actions/report_facts.record_status_change), and by a customer's message, in the ingest's
own conversation update (actions/inbound.py), which also names the message. A reopening
from resolved also emits conversation.reopened (after the message's message.created, in the
same transaction), so every agent's thread shows the line "Reopened by a new message from
..." and the list its marker (ConversationView.reopened_at) without fetching anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.db.tables import ConversationStatusChange as Change
from wazify.realtime.events import ConversationReopened
from wazify.views import StatusChangeView

# The history's causes as the API names them (reasons, older than the reports' table).
REASONS = {"member": "member", "snooze": "snooze_ended", "customer": "customer_message"}
COLUMNS = (
    Change.id,
    Change.conversation.as_alias("conversation_id"),
    Change.from_status,
    Change.to_status,
    Change.cause,
    Change.by_user.as_alias("by_user_id"),
    Change.message_id,
    Change.changed_at,
)


def change_view(row: Mapping[str, Any]) -> StatusChangeView:
    return StatusChangeView(
        id=row["id"],
        conversation_id=row["conversation_id"],
        status_from=row["from_status"],
        status_to=row["to_status"],
        reason=REASONS[row["cause"]],  # type: ignore[arg-type]
        user_id=row["by_user_id"],
        message_id=row["message_id"],
        created_at=row["changed_at"],
    )


async def emit_reopenings(
    uow: UnitOfWork, reopened: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    """(workspace id, the change the ingest recorded): conversation.reopened each."""
    if not reopened:
        return
    views = await conversation_views(uow.conn, [row["conversation_id"] for _, row in reopened])
    for workspace_id, row in reopened:
        uow.emit(
            ConversationReopened(
                workspace_id=workspace_id,
                at=uow.now,
                conversation=views[row["conversation_id"]],
                change=change_view(row),
            )
        )


async def list_status_changes(conversation_id: int, limit: int = 500) -> list[StatusChangeView]:
    """A conversation's latest status changes, oldest first."""
    rows = (
        await Change.select(*COLUMNS)
        .where(Change.conversation == conversation_id)
        .order_by(Change.id, ascending=False)
        .limit(limit)
    )
    return [change_view(row) for row in reversed(rows)]
