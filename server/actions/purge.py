"""The steps of a permanent deletion, each small enough for a short transaction of its own.

A deletion job (wazify.workers.deletions) runs a step until it reports nothing left, then
the next; every step is idempotent, so a runner that dies mid-way is resumed by another from
the step recorded in the job. Bulk rows go in batches (the messages, the log, the audit
trail); the last step of each kind deletes what remains in one transaction, with the
workspace's or account's own row, so nothing is ever left half-deleted and visible.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wazify.actions.redaction import Erased, redact_audit, rewrite_page
from wazify.actions.uow import UnitOfWork
from wazify.actions.uploads import remove_upload_files, upload_files
from wazify.auth.throttle import account_key
from wazify.db.tables import ExportJob
from wazify.realtime.events import AccountErased
from wazify.workspaces.files import workspace_folders

Conn = Any  # an asyncpg connection (inside a unit, uow.conn)


@dataclass(frozen=True)
class Target:
    """What a job deletes: a workspace, or one account of it."""

    workspace_id: int
    account_id: int | None = None


async def delete_messages_batch(conn: Conn, target: Target, limit: int) -> int:
    """Up to `limit` messages (their reactions, read receipts and scrubs cascade)."""
    status = await conn.execute(
        "DELETE FROM messages WHERE id IN (SELECT m.id FROM conversations c"
        " JOIN messages m ON m.conversation_id = c.id"
        " WHERE c.workspace_id = $1 AND ($2::bigint IS NULL OR c.account_id = $2) LIMIT $3)",
        target.workspace_id,
        target.account_id,
        limit,
    )
    return _count(status)


async def delete_events_batch(conn: Conn, workspace_id: int, limit: int) -> int:
    """The oldest `limit` events of a workspace being deleted."""
    status = await conn.execute(
        "DELETE FROM events WHERE workspace_id = $1 AND seq IN (SELECT seq FROM events"
        " WHERE workspace_id = $1 ORDER BY seq LIMIT $2)",
        workspace_id,
        limit,
    )
    return _count(status)


async def delete_audit_batch(conn: Conn, workspace_id: int, limit: int) -> int:
    status = await conn.execute(
        "DELETE FROM audit_entries WHERE id IN (SELECT id FROM audit_entries"
        " WHERE workspace_id = $1 LIMIT $2)",
        workspace_id,
        limit,
    )
    return _count(status)


async def account_erasure_scope(conn: Conn, account_id: int, with_messages: bool) -> Erased:
    """The account, its contacts and conversations (and their messages, for the audit)."""
    contacts = await conn.fetch("SELECT id FROM contacts WHERE account_id = $1", account_id)
    conversations = await conn.fetch(
        "SELECT id FROM conversations WHERE account_id = $1", account_id
    )
    messages = (
        await conn.fetch(
            "SELECT m.id FROM conversations c JOIN messages m ON m.conversation_id = c.id"
            " WHERE c.account_id = $1",
            account_id,
        )
        if with_messages
        else []
    )
    return Erased(
        contact_ids=frozenset(row["id"] for row in contacts),
        conversation_ids=frozenset(row["id"] for row in conversations),
        account_ids=frozenset([account_id]),
        message_ids=frozenset(row["id"] for row in messages),
    )


async def redact_account_audit(conn: Conn, target: Target) -> int:
    assert target.account_id is not None
    scope = await account_erasure_scope(conn, target.account_id, with_messages=True)
    return await redact_audit(conn, target.workspace_id, scope)


async def redact_account_events_page(
    conn: Conn, target: Target, after: int
) -> tuple[int, int | None]:
    """One page of the workspace's log: events naming the account become event.redacted."""
    assert target.account_id is not None
    scope = await account_erasure_scope(conn, target.account_id, with_messages=False)
    return await rewrite_page(conn, target.workspace_id, after, scope.pattern(), scope.redacted)


async def do_finish_account_erasure(uow: UnitOfWork, target: Target, after: int) -> dict:
    """The rest in one transaction: events written since the pages ran, the raw receipts
    of the account, the account row (contacts, conversations and what remains cascade);
    clients drop it (account.erased), the workspace's audit trail says it was done."""
    assert target.account_id is not None
    account = await uow.conn.fetchrow(
        "SELECT ig_id, username FROM ig_accounts WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
        target.account_id,
        target.workspace_id,
    )
    if account is None:
        return {"already_gone": True}
    redacted = 0
    cursor: int | None = after
    while cursor is not None:
        count, cursor = await redact_account_events_page(uow.conn, target, cursor)
        redacted += count
    scope = await account_erasure_scope(uow.conn, target.account_id, with_messages=False)
    receipts = _count(
        await uow.conn.execute(
            "DELETE FROM webhook_receipts WHERE ig_ids @> ARRAY[$1]::text[]", account["ig_id"]
        )
    )
    uploads = await upload_files(sorted(scope.conversation_ids))
    await uow.conn.execute("DELETE FROM ig_accounts WHERE id = $1", target.account_id)
    await asyncio.to_thread(remove_upload_files, uow.runtime.settings.uploads_folder, uploads)
    uow.emit(
        AccountErased(workspace_id=target.workspace_id, at=uow.now, account_id=target.account_id)
    )
    summary = {
        "contacts": len(scope.contact_ids),
        "conversations": len(scope.conversation_ids),
        "receipts": receipts,
        "events_redacted_at_finish": redacted,
    }
    uow.audit(
        "account.erased",
        target.workspace_id,
        "ig_account",
        target.account_id,
        after={"username": account["username"], **summary},
    )
    return summary


async def do_finish_workspace_deletion(uow: UnitOfWork, workspace_id: int, data_dir: Path) -> dict:
    """The workspace row and everything that remains (memberships, sessions, tokens,
    accounts, contacts, conversations, the counter... cascade), the raw receipts of its
    accounts, the people who belonged to it alone, and its files."""
    slug = await uow.conn.fetchval(
        "SELECT slug FROM workspaces WHERE id = $1 FOR UPDATE", workspace_id
    )
    if slug is None:
        return {"already_gone": True}
    receipts = _count(
        await uow.conn.execute(
            "DELETE FROM webhook_receipts WHERE ig_ids && ARRAY(SELECT ig_id FROM ig_accounts"
            " WHERE workspace_id = $1)",
            workspace_id,
        )
    )
    alone = await uow.conn.fetch(
        "SELECT u.id, u.email FROM users u JOIN memberships m ON m.user_id = u.id"
        " WHERE m.workspace_id = $1 AND NOT EXISTS (SELECT 1 FROM memberships o"
        " WHERE o.user_id = u.id AND o.workspace_id <> $1)",
        workspace_id,
    )
    # Export files live in the exports folder (a setting), named by job, not by workspace.
    exports = await ExportJob.select(ExportJob.file_path).where(
        (ExportJob.workspace == workspace_id) & ExportJob.file_path.is_not_null()
    )
    await uow.conn.execute("DELETE FROM workspaces WHERE id = $1", workspace_id)
    await uow.conn.execute(
        "DELETE FROM users WHERE id = ANY($1::bigint[])", [row["id"] for row in alone]
    )
    await uow.conn.execute(
        "DELETE FROM login_attempts WHERE key = ANY($1::text[])",
        [account_key(row["email"]) for row in alone],
    )
    # Uploads live in the upload folder (a setting), one folder per workspace.
    uploads_folder = uow.runtime.settings.uploads_folder / str(workspace_id)
    await asyncio.to_thread(
        _remove_files,
        [*workspace_folders(data_dir, workspace_id), uploads_folder],
        [Path(export["file_path"]) for export in exports],
    )
    summary = {"slug": slug, "users": len(alone), "receipts": receipts}
    # The workspace's own trail went with it: this entry is the installation's.
    uow.audit("workspace.deleted", None, "workspace", workspace_id, after=summary)
    return summary


def _remove_files(folders: list[Path], files: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    for file in files:
        file.unlink(missing_ok=True)


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[1])
