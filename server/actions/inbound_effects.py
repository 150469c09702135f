"""Events that change an existing message: reactions, read receipts, edits and unsends.

Meta does not order deliveries, so an effect may arrive before its message: it is then kept
in deferred_effects and applied when the message arrives. Every effect is idempotent (a
redelivery changes nothing and emits nothing) and only moves state forward; reactions,
which can move back and forth, keep the latest by Meta's timestamp (inbound_reactions.py).
A batch's effects find their messages in one statement, and its reactions are applied in
one more.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import msgspec

from wazify.actions.inbound_reactions import apply_reactions
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import message_views
from wazify.meta.events import (
    MessageEdited,
    MessagesRead,
    MessageUnsent,
    NormalizedItem,
    ReactionChanged,
)
from wazify.realtime import events

_encode_item = msgspec.json.Encoder()
_decode_item = msgspec.json.Decoder(NormalizedItem)

EFFECTS = (MessageEdited, MessageUnsent, ReactionChanged, MessagesRead)
Effect = MessageEdited | MessageUnsent | ReactionChanged | MessagesRead


async def _targets(
    uow: UnitOfWork, keys: set[tuple[int, str]]
) -> dict[tuple[int, str], asyncpg.Record]:
    ordered = sorted(keys)
    rows = await uow.conn.fetch(
        "SELECT m.id, m.conversation_id, m.workspace_id, m.direction, m.sent_at, m.account_id,"
        " m.mid FROM unnest($1::bigint[], $2::text[]) AS k(account_id, mid)"
        " JOIN messages m ON m.account_id = k.account_id AND m.mid = k.mid",
        [account_id for account_id, _ in ordered],
        [mid for _, mid in ordered],
    )
    return {(row["account_id"], row["mid"]): row for row in rows}


async def _defer(uow: UnitOfWork, waiting: Sequence[tuple[Effect, int]]) -> None:
    """Keep effects whose message has not arrived (apply_deferred applies them then)."""
    await uow.conn.execute(
        "INSERT INTO deferred_effects (account_id, mid, effect, occurred_at)"
        " SELECT account_id, mid, effect::jsonb, occurred_at"
        " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[])"
        "   AS d(account_id, mid, effect, occurred_at)",
        [account_id for _, account_id in waiting],
        [item.mid for item, _ in waiting],
        [_encode_item.encode(item).decode() for item, _ in waiting],
        [item.timestamp for item, _ in waiting],
    )


async def apply_effects(uow: UnitOfWork, effects: Sequence[tuple[Effect, int]]) -> None:
    """Apply effects (with their account ids) to their messages, or keep those whose
    message has not arrived. Reactions first, in one statement (they touch nothing the
    others do); then the others one by one, in the given order."""
    if not effects:
        return
    targets = await _targets(uow, {(account_id, item.mid) for item, account_id in effects})
    waiting = [(item, account) for item, account in effects if (account, item.mid) not in targets]
    if waiting:
        await _defer(uow, waiting)
    found = [(item, targets[(a, item.mid)]) for item, a in effects if (a, item.mid) in targets]
    reactions = [(item, target) for item, target in found if type(item) is ReactionChanged]
    if reactions:
        await apply_reactions(uow, reactions)
    for item, target in found:
        if type(item) is MessageEdited:
            await _apply_edit(uow, item, target)
        elif type(item) is MessageUnsent:
            await _apply_unsend(uow, item, target)
        elif type(item) is MessagesRead:
            await _apply_read(uow, item, target)


async def apply_deferred(uow: UnitOfWork, arrived: Sequence[tuple[int, str]]) -> None:
    """Apply the effects that were waiting for these (account id, mid) messages."""
    if not arrived:
        return
    rows = await uow.conn.fetch(
        "DELETE FROM deferred_effects d"
        " USING unnest($1::bigint[], $2::text[]) AS a(account_id, mid)"
        " WHERE d.account_id = a.account_id AND d.mid = a.mid"
        " RETURNING d.id, d.account_id, d.effect::text AS effect, d.occurred_at",
        [account_id for account_id, _ in arrived],
        [mid for _, mid in arrived],
    )
    ordered = sorted(rows, key=lambda r: (r["occurred_at"], r["id"]))
    await apply_effects(
        uow, [(_decode_item.decode(row["effect"]), row["account_id"]) for row in ordered]
    )


async def _emit_message(uow: UnitOfWork, workspace_id: int, message_id: int) -> None:
    view = (await message_views(uow.conn, [message_id]))[message_id]
    uow.emit(events.MessageUpdated(workspace_id=workspace_id, at=uow.now, message=view))


async def _apply_edit(uow: UnitOfWork, item: MessageEdited, target: asyncpg.Record) -> None:
    # num_edit orders edits; when Meta sends no usable count, a different text is an edit.
    edited = await uow.conn.fetchval(
        "UPDATE messages SET text = $2, edit_count = greatest(edit_count + 1, $3),"
        " edits = edits || jsonb_build_array("
        "    jsonb_build_object('text', text, 'replaced_at', $4::timestamptz)),"
        " updated_at = now()"
        " WHERE id = $1 AND deleted_at IS NULL"
        " AND (($3 > 0 AND edit_count < $3) OR ($3 = 0 AND text IS DISTINCT FROM $2))"
        " RETURNING id",
        target["id"],
        item.text,
        item.num_edit,
        item.timestamp,
    )
    if edited is not None:
        await _emit_message(uow, target["workspace_id"], target["id"])


async def _apply_unsend(uow: UnitOfWork, item: MessageUnsent, target: asyncpg.Record) -> None:
    # Tombstone: the content goes (text, attachments, earlier versions), the fact stays.
    unsent = await uow.conn.fetchval(
        "UPDATE messages SET deleted_at = $2, text = NULL, attachments = '[]', edits = '[]',"
        " reply_to_story = NULL, updated_at = now() WHERE id = $1 AND deleted_at IS NULL"
        " RETURNING id",
        target["id"],
        item.timestamp,
    )
    if unsent is not None:
        # Copies of the content in the event log and the raw receipts go within seconds
        # (workers.privacy), off this hot path: finding them means scanning both.
        await uow.conn.execute(
            "INSERT INTO content_scrubs (workspace_id, message_id) VALUES ($1, $2)",
            target["workspace_id"],
            target["id"],
        )
        await _emit_message(uow, target["workspace_id"], target["id"])


async def _apply_read(uow: UnitOfWork, item: MessagesRead, target: asyncpg.Record) -> None:
    """The customer saw this message of ours: it and every earlier one of ours are read."""
    if target["direction"] != "out":
        return
    rows = await uow.conn.fetch(
        "UPDATE messages SET status = 'read', updated_at = now()"
        " WHERE conversation_id = $1 AND direction = 'out' AND status IN ('sent', 'delivered')"
        " AND (sent_at, id) <= ($2, $3) RETURNING id",
        target["conversation_id"],
        target["sent_at"],
        target["id"],
    )
    if rows:
        uow.emit(
            events.MessagesSeen(
                workspace_id=target["workspace_id"],
                at=uow.now,
                conversation_id=target["conversation_id"],
                message_ids=sorted(row["id"] for row in rows),
            )
        )
