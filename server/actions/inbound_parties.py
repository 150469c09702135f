"""The parties of a webhook batch: its contacts and their conversations, created on first
sight (one per account and Instagram-scoped id, one conversation per account and contact)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wazify.actions.uow import UnitOfWork

if TYPE_CHECKING:
    from wazify.actions.inbound import AccountRef, InboundResult


# Insert what is new and read what existed, in one statement (a round trip less on a
# path that runs per batch). The read uses the statement's snapshot, which misses a row
# another batch committed while this insert waited for it: those few are read again.
UPSERT_CONTACTS = """
WITH k AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])
           AS k(workspace_id, account_id, igsid)),
     new AS (INSERT INTO contacts (workspace_id, account_id, igsid) SELECT * FROM k
             ON CONFLICT (account_id, igsid) DO NOTHING RETURNING id, account_id, igsid)
SELECT id, account_id, igsid, true AS created FROM new
UNION ALL
SELECT c.id, c.account_id, c.igsid, false FROM contacts c
JOIN k ON c.account_id = k.account_id AND c.igsid = k.igsid
"""
SELECT_CONTACTS = """
SELECT c.id, c.account_id, c.igsid FROM contacts c
JOIN unnest($1::bigint[], $2::text[]) AS k(account_id, igsid)
  ON c.account_id = k.account_id AND c.igsid = k.igsid
"""


async def upsert_contacts(
    uow: UnitOfWork, keys: list[tuple[AccountRef, str]], result: InboundResult
) -> dict[tuple[int, str], int]:
    rows = sorted({(account.workspace_id, account.id, igsid) for account, igsid in keys})
    arrays = [list(column) for column in zip(*rows, strict=True)]
    found = await uow.conn.fetch(UPSERT_CONTACTS, *arrays)
    result.new_contact_ids.extend(row["id"] for row in found if row["created"])
    ids = {(row["account_id"], row["igsid"]): row["id"] for row in found}
    missing = [
        (account_id, igsid) for _, account_id, igsid in rows if (account_id, igsid) not in ids
    ]
    if missing:
        again = await uow.conn.fetch(SELECT_CONTACTS, *map(list, zip(*missing, strict=True)))
        ids |= {(row["account_id"], row["igsid"]): row["id"] for row in again}
    return ids


UPSERT_CONVERSATIONS = """
WITH k AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
           AS k(workspace_id, account_id, contact_id)),
     new AS (INSERT INTO conversations (workspace_id, account_id, contact_id) SELECT * FROM k
             ON CONFLICT (account_id, contact_id) DO NOTHING RETURNING id, contact_id)
SELECT id, contact_id, true AS created FROM new
UNION ALL
SELECT c.id, c.contact_id, false FROM conversations c JOIN k ON c.contact_id = k.contact_id
"""


async def upsert_conversations(
    uow: UnitOfWork, keys: list[tuple[AccountRef, int]], result: InboundResult
) -> dict[int, int]:
    """Conversation id per contact id; one conversation per (account, contact)."""
    rows = sorted({(account.workspace_id, account.id, contact_id) for account, contact_id in keys})
    arrays = [list(column) for column in zip(*rows, strict=True)]
    found = await uow.conn.fetch(UPSERT_CONVERSATIONS, *arrays)
    result.new_conversation_ids.extend(row["id"] for row in found if row["created"])
    ids = {row["contact_id"]: row["id"] for row in found}
    missing = [contact_id for *_, contact_id in rows if contact_id not in ids]
    if missing:
        again = await uow.conn.fetch(
            "SELECT id, contact_id FROM conversations WHERE contact_id = ANY($1::bigint[])",
            missing,
        )
        ids |= {row["contact_id"]: row["id"] for row in again}
    return ids
