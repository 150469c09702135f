"""Events that change an existing message: reactions, read receipts, edits and unsends.

Meta does not order deliveries, so an effect may arrive before its message: it is then kept
in deferred_effects and applied when the message arrives. Every effect is idempotent (a
redelivery changes nothing and emits nothing) and only moves state forward.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import msgspec

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
from wazify.views import ReactionView

_encode_item = msgspec.json.Encoder()
_decode_item = msgspec.json.Decoder(NormalizedItem)
_reactions = msgspec.json.Decoder(list[ReactionView])

EFFECTS = (MessageEdited, MessageUnsent, ReactionChanged, MessagesRead)


async def _target(uow: UnitOfWork, account_id: int, mid: str) -> asyncpg.Record | None:
    return await uow.conn.fetchrow(
        "SELECT id, conversation_id, workspace_id, direction, sent_at FROM messages"
        " WHERE account_id = $1 AND mid = $2",
        account_id,
        mid,
    )


async def apply_effect(uow: UnitOfWork, item: NormalizedItem, account_id: int) -> None:
    """Apply one effect to its message, or keep it until the message arrives."""
    if not isinstance(item, EFFECTS):
        return
    target = await _target(uow, account_id, item.mid)
    if target is None:
        await uow.conn.execute(
            "INSERT INTO deferred_effects (account_id, mid, effect, occurred_at)"
            " VALUES ($1, $2, $3::jsonb, $4)",
            account_id,
            item.mid,
            _encode_item.encode(item).decode(),
            item.timestamp,
        )
        return
    if isinstance(item, ReactionChanged):
        await _apply_reaction(uow, item, target)
    elif isinstance(item, MessageEdited):
        await _apply_edit(uow, item, target)
    elif isinstance(item, MessageUnsent):
        await _apply_unsend(uow, item, target)
    else:
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
    for row in sorted(rows, key=lambda r: (r["occurred_at"], r["id"])):
        await apply_effect(uow, _decode_item.decode(row["effect"]), row["account_id"])


async def _emit_message(uow: UnitOfWork, workspace_id: int, message_id: int) -> None:
    view = (await message_views(uow.conn, [message_id]))[message_id]
    uow.emit(events.MessageUpdated(workspace_id=workspace_id, at=uow.now, message=view))


async def _apply_reaction(uow: UnitOfWork, item: ReactionChanged, target: asyncpg.Record) -> None:
    if item.action == "react":
        changed = await uow.conn.fetchval(
            "INSERT INTO reactions (workspace_id, message_id, reactor_kind, reactor_id, reaction,"
            " emoji, reacted_at) VALUES ($1, $2, 'contact', $3, $4, $5, $6)"
            " ON CONFLICT (message_id, reactor_kind, reactor_id) DO UPDATE"
            " SET reaction = EXCLUDED.reaction, emoji = EXCLUDED.emoji,"
            " reacted_at = EXCLUDED.reacted_at"
            " WHERE reactions.reacted_at < EXCLUDED.reacted_at"
            " AND (reactions.reaction, reactions.emoji)"
            " IS DISTINCT FROM (EXCLUDED.reaction, EXCLUDED.emoji)"
            " RETURNING id",
            target["workspace_id"],
            target["id"],
            item.contact_igsid,
            item.reaction or "",
            item.emoji or item.reaction or "",
            item.timestamp,
        )
    else:
        changed = await uow.conn.fetchval(
            "DELETE FROM reactions WHERE message_id = $1 AND reactor_kind = 'contact'"
            " AND reactor_id = $2 AND reacted_at <= $3 RETURNING id",
            target["id"],
            item.contact_igsid,
            item.timestamp,
        )
    if changed is None:
        return
    reactions = await uow.conn.fetchval(
        "SELECT coalesce(json_agg(json_build_object('reactor_kind', reactor_kind, 'reactor_id',"
        " reactor_id, 'reaction', reaction, 'emoji', emoji) ORDER BY id), '[]')::text"
        " FROM reactions WHERE message_id = $1",
        target["id"],
    )
    uow.emit(
        events.ReactionChanged(
            workspace_id=target["workspace_id"],
            at=uow.now,
            conversation_id=target["conversation_id"],
            message_id=target["id"],
            reactions=_reactions.decode(reactions),
        )
    )


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
