"""Erasing one contact on request: every trace of them goes in one transaction.

Their conversations, messages (and with them reactions, read positions and the search
index, a column generated from the text), deferred effects, the files the team sent them
from the composer (uploads) and the contact row are deleted;
the raw webhook receipts naming them lose those items; logged events naming them become
`event.redacted`; audit entries about them lose their content. Live clients drop them at
once (contact.erased), replay finds only redacted events, and a bootstrap has no trace.

Lock order: the receipts naming them first, then the contact, which is the order the webhook
processor takes (it claims receipts, then upserts contacts), so the two wait for each other
instead of deadlocking. A delivery arriving after the erasure started is a person writing
again: it creates a new contact once the erasure has committed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial

from wazify.actions.redaction import Erased, redact_audit, redact_receipts, rewrite_log
from wazify.actions.uow import UnitOfWork
from wazify.actions.uploads import remove_upload_files, upload_files
from wazify.lib.errors import NotFound
from wazify.meta.receipt_redaction import without_person
from wazify.realtime.events import ContactErased


@dataclass(frozen=True)
class ContactErasure:
    """What an erasure removed (counts only: the audit entry holds no content)."""

    contact_id: int
    conversation_ids: list[int]
    messages: int
    events_redacted: int
    receipts_redacted: int


CONTACT_SQL = """
SELECT ct.id, ct.igsid, ct.account_id, a.ig_id FROM contacts ct
JOIN ig_accounts a ON a.id = ct.account_id WHERE ct.id = $1 AND ct.workspace_id = $2
"""


async def do_erase_contact(uow: UnitOfWork, workspace_id: int, contact_id: int) -> ContactErasure:
    contact = await uow.conn.fetchrow(CONTACT_SQL, contact_id, workspace_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id} in this workspace")
    receipts = await redact_receipts(
        uow.conn,
        contact["ig_id"],
        contact["igsid"],
        partial(without_person, account_ig_id=contact["ig_id"], igsid=contact["igsid"]),
    )
    await uow.conn.execute("SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE", contact_id)
    conversation_ids = [
        row["id"]
        for row in await uow.conn.fetch(
            "SELECT id FROM conversations WHERE contact_id = $1 ORDER BY id FOR UPDATE",
            contact_id,
        )
    ]
    message_ids = [
        row["id"]
        for row in await uow.conn.fetch(
            "SELECT id FROM messages WHERE conversation_id = ANY($1::bigint[])", conversation_ids
        )
    ]
    erased = Erased(
        contact_ids=frozenset([contact_id]),
        conversation_ids=frozenset(conversation_ids),
        message_ids=frozenset(message_ids),
    )
    redacted = await rewrite_log(uow.conn, workspace_id, erased.pattern(), erased.redacted)
    await redact_audit(uow.conn, workspace_id, erased)
    uploads = await upload_files(conversation_ids)
    await delete_contact_rows(uow, contact_id, contact["account_id"], contact["igsid"])
    # The files the team sent them go with the rows (a rollback after this leaves rows
    # whose files are gone: the erasure, asked for, is then run again).
    await asyncio.to_thread(remove_upload_files, uow.runtime.settings.uploads_folder, uploads)
    uow.emit(
        ContactErased(
            workspace_id=workspace_id,
            at=uow.now,
            contact_id=contact_id,
            conversation_ids=conversation_ids,
        )
    )
    result = ContactErasure(
        contact_id=contact_id,
        conversation_ids=conversation_ids,
        messages=len(message_ids),
        events_redacted=redacted,
        receipts_redacted=receipts,
    )
    uow.audit(
        "contact.erased",
        workspace_id,
        "contact",
        contact_id,
        after={
            "conversations": len(conversation_ids),
            "messages": result.messages,
            "events_redacted": redacted,
            "receipts_redacted": receipts,
        },
    )
    return result


async def delete_contact_rows(
    uow: UnitOfWork, contact_id: int, account_id: int, igsid: str
) -> None:
    """The contact and everything hanging from it (conversations cascade to messages, their
    reactions, read positions and pending scrubs)."""
    await uow.conn.execute(
        "DELETE FROM deferred_effects WHERE account_id = $1 AND effect->>'contact_igsid' = $2",
        account_id,
        igsid,
    )
    await uow.conn.execute("DELETE FROM conversations WHERE contact_id = $1", contact_id)
    await uow.conn.execute("DELETE FROM contacts WHERE id = $1", contact_id)
