"""What the privacy sweeper removes: unsent content left in copies, raw receipts past their
retention, messages past their workspace's retention, audit entries past theirs.

Each function is one short transaction over a bounded batch; the sweeper repeats it until
a batch comes back short. Rows are taken FOR UPDATE SKIP LOCKED where two server processes
could pick the same ones, so every process may sweep at once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Any

from wazify.actions.redaction import first_seq_since, redact_receipts, rewrite_log, unsent_content
from wazify.actions.uow import UnitOfWork
from wazify.actions.uploads import remove_upload_files
from wazify.conversations.queries import conversation_views
from wazify.meta.receipt_redaction import without_message
from wazify.realtime.events import ConversationUpdated

Conn = Any

CLAIM_SCRUBS_SQL = """
SELECT s.id, s.message_id, m.workspace_id, m.mid, m.created_at, a.ig_id
FROM content_scrubs s JOIN messages m ON m.id = s.message_id
JOIN ig_accounts a ON a.id = m.account_id
ORDER BY s.id LIMIT $1 FOR UPDATE OF s SKIP LOCKED
"""
EXPIRE_MESSAGES_SQL = """
DELETE FROM messages WHERE id IN (
    SELECT m.id FROM conversations c JOIN messages m ON m.conversation_id = c.id
    WHERE c.workspace_id = $1 AND m.sent_at < now() - make_interval(days => $2)
      AND m.status NOT IN ('pending', 'sending', 'unknown')
    LIMIT $3 FOR UPDATE OF m SKIP LOCKED)
RETURNING id, conversation_id
"""


async def do_scrub_unsent(uow: UnitOfWork, limit: int) -> int:
    """Unsent messages' content out of the event log (their events keep their seq and
    type, the message reads as a tombstone) and out of the raw receipts; returns how many
    messages were done."""
    rows = await uow.conn.fetch(CLAIM_SCRUBS_SQL, limit)
    for row in rows:
        pattern, rewrite = unsent_content(row["message_id"])
        after = await first_seq_since(uow.conn, row["workspace_id"], row["created_at"])
        await rewrite_log(uow.conn, row["workspace_id"], pattern, rewrite, after=after)
        if row["mid"]:
            strip = partial(without_message, account_ig_id=row["ig_id"], mid=row["mid"])
            await redact_receipts(uow.conn, row["ig_id"], row["mid"], strip)
    await uow.conn.execute(
        "DELETE FROM content_scrubs WHERE id = ANY($1::bigint[])", [row["id"] for row in rows]
    )
    return len(rows)


async def purge_receipts(conn: Conn, cutoff: datetime, limit: int) -> int:
    """Processed, ignored and quarantined receipts received before `cutoff` (pending ones
    are still needed)."""
    status = await conn.execute(
        "DELETE FROM webhook_receipts WHERE id IN (SELECT id FROM webhook_receipts"
        " WHERE received_at < $1 AND state <> 'pending' ORDER BY received_at LIMIT $2"
        " FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return _count(status)


async def purge_workspace_receipts(conn: Conn, workspace_id: int, days: int, limit: int) -> int:
    """A workspace keeping messages fewer days than receipts are kept: its accounts'
    receipts go with its messages."""
    status = await conn.execute(
        "DELETE FROM webhook_receipts WHERE id IN (SELECT id FROM webhook_receipts"
        " WHERE received_at < now() - make_interval(days => $2) AND state <> 'pending'"
        " AND ig_ids && ARRAY(SELECT ig_id FROM ig_accounts WHERE workspace_id = $1)"
        " LIMIT $3 FOR UPDATE SKIP LOCKED)",
        workspace_id,
        days,
        limit,
    )
    return _count(status)


async def do_expire_messages(uow: UnitOfWork, workspace_id: int, days: int, limit: int) -> int:
    """Messages older than the workspace's retention (their reactions cascade, their
    uploaded files are removed). A
    conversation whose last message went shows none, live (conversation.updated)."""
    rows = await uow.conn.fetch(EXPIRE_MESSAGES_SQL, workspace_id, days, limit)
    if not rows:
        return 0
    # A file sent from the composer goes with its message.
    files = await uow.conn.fetch(
        "DELETE FROM uploads WHERE message_id = ANY($1::bigint[]) RETURNING file_name",
        [row["id"] for row in rows],
    )
    if files:
        await asyncio.to_thread(
            remove_upload_files,
            uow.runtime.settings.uploads_folder,
            [row["file_name"] for row in files],
        )
    emptied = await uow.conn.fetch(
        "UPDATE conversations SET last_message_id = NULL, updated_at = now()"
        " WHERE id = ANY($1::bigint[]) AND last_message_id = ANY($2::bigint[]) RETURNING id",
        sorted({row["conversation_id"] for row in rows}),
        [row["id"] for row in rows],
    )
    views = await conversation_views(uow.conn, [row["id"] for row in emptied])
    for view in views.values():
        uow.emit(ConversationUpdated(workspace_id=workspace_id, at=uow.now, conversation=view))
    return len(rows)


async def purge_audit(conn: Conn, workspace_id: int | None, cutoff: datetime, limit: int) -> int:
    """Audit entries of a workspace (None: the installation's own) older than `cutoff`."""
    which = "workspace_id IS NULL" if workspace_id is None else "workspace_id = $3"
    args = () if workspace_id is None else (workspace_id,)
    status = await conn.execute(
        "DELETE FROM audit_entries WHERE id IN (SELECT id FROM audit_entries"
        f" WHERE {which} AND created_at < $1 LIMIT $2)",
        cutoff,
        limit,
        *args,
    )
    return _count(status)


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[1])
