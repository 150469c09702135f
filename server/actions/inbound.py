"""Apply a batch of Meta's DM events: set-based SQL, one transaction, one event per change.

Rows are written a batch at a time (contacts, conversations, messages, conversation
aggregates: one statement each), because the per-workspace counter serialises writers
and fsync-bound commits cap single-row writes near 1,500/s. Every `mid` is stored once
(ON CONFLICT DO NOTHING), so a redelivery changes nothing and emits nothing.

SQL in the unit's transaction: one set-based statement per table and batch, where Piccolo's
bulk insert takes 3x as long for 100 rows and cannot upsert from unnest (docs/migrations.md).
Auto-assignment: the batch first holds its workspaces' assignment locks FOR SHARE (one
indexed read, the only cost when auto-assignment is off); a customer's new message in an
open, unassigned conversation queues it (actions/assignment.py), and the decision runs
after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
import msgspec

from wazify.actions.assignment import enqueue, hold
from wazify.actions.echo_match import match_overtaking_echoes
from wazify.actions.inbound_effects import EFFECTS, apply_deferred, apply_effects
from wazify.actions.inbound_parties import upsert_contacts, upsert_conversations
from wazify.actions.inbound_rows import RowDraft, draft_row
from wazify.actions.message_locks import lock_message_keys
from wazify.actions.status_changes import emit_reopenings
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views, message_views
from wazify.meta.events import NormalizedItem
from wazify.realtime.events import ConversationCreated, MessageCreated, MessageUpdated
from wazify.views import MessageView

EFFECT_TYPES = frozenset(EFFECTS)


@dataclass(frozen=True)
class AccountRef:
    id: int
    workspace_id: int
    ig_id: str


@dataclass
class InboundResult:
    new_message_ids: list[int] = field(default_factory=list)
    new_contact_ids: list[int] = field(default_factory=list)
    new_conversation_ids: list[int] = field(default_factory=list)


# The drafts travel as one JSON document, unpacked by json_to_recordset (which ignores
# the keys it is not asked for): asyncpg encoding 18 arrays element by element (with an
# ABC isinstance check per element) was the batch path's largest CPU cost in the server.
INSERT_MESSAGES = """
INSERT INTO messages (workspace_id, conversation_id, account_id, direction, kind, source, mid,
                      text, attachments, reply_to_mid, reply_to_story, quick_reply_payload,
                      referral, payload, unsupported, standby, status, sent_at)
SELECT workspace_id, conversation_id, account_id, direction, kind, source, mid, text,
       attachments, reply_to_mid, reply_to_story, quick_reply_payload, referral, payload,
       unsupported, standby, status, sent_at
FROM json_to_recordset($1::json) AS r(
    workspace_id bigint, conversation_id bigint, account_id bigint, direction text, kind text,
    source text, mid text, text text, attachments jsonb, reply_to_mid text,
    reply_to_story jsonb, quick_reply_payload text, referral jsonb, payload jsonb,
    unsupported boolean, standby boolean, status text, sent_at timestamptz)
ON CONFLICT (account_id, mid) WHERE mid IS NOT NULL DO NOTHING
RETURNING id, account_id, mid
"""


def _json(value: object) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


async def _insert_rows(
    uow: UnitOfWork, drafts: list[tuple[RowDraft, AccountRef, int]]
) -> dict[tuple[int, str], MessageView]:
    """Insert in Meta's time order; returns the views of the rows that were new, built
    from the drafts (reading them back cost Postgres a third as much as inserting)."""
    # Meta's time order; ties broken by (account, mid) so that concurrent batches sharing
    # mids take their index locks in the same order (no deadlock between processors).
    drafts = sorted(drafts, key=lambda entry: (entry[0].sent_at, entry[1].id, entry[0].mid))
    for draft, account, conversation_id in drafts:
        draft.workspace_id, draft.account_id = account.workspace_id, account.id
        draft.conversation_id = conversation_id
    rows = [draft for draft, _, _ in drafts]
    inserted = await uow.conn.fetch(INSERT_MESSAGES, msgspec.json.encode(rows).decode())
    by_key = {(draft.account_id, draft.mid): draft for draft in rows}
    return {
        (row["account_id"], row["mid"]): by_key[(row["account_id"], row["mid"])].view(row["id"])
        for row in inserted
    }


# The rows are locked first (in id order) so that the status they had, which a customer's
# message reopening them records in their history, is the one this update replaces.
UPDATE_CONVERSATIONS = """
WITH was AS (SELECT id, status FROM conversations WHERE id = ANY($1::bigint[])
             ORDER BY id FOR UPDATE),
updated AS (
UPDATE conversations c SET
    unread_count = c.unread_count + u.unread,
    last_customer_message_at = greatest(c.last_customer_message_at, u.customer_at),
    window_ends_at = greatest(c.last_customer_message_at, u.customer_at) + interval '24 hours',
    human_agent_ends_at = greatest(c.last_customer_message_at, u.customer_at) + interval '7 days',
    last_message_id = CASE
        WHEN (coalesce(c.last_message_at, '-infinity'), coalesce(c.last_message_id, 0))
             < (u.newest_at, u.newest_id)
        THEN u.newest_id ELSE c.last_message_id END,
    last_message_at = CASE
        WHEN (coalesce(c.last_message_at, '-infinity'), coalesce(c.last_message_id, 0))
             < (u.newest_at, u.newest_id)
        THEN u.newest_at ELSE c.last_message_at END,
    last_activity_at = CASE WHEN c.last_message_id IS NULL THEN u.newest_at
        ELSE greatest(c.last_activity_at, u.newest_at) END,
    status = CASE WHEN u.reopen THEN 'open' ELSE c.status END,
    snoozed_until = CASE WHEN u.reopen THEN NULL ELSE c.snoozed_until END,
    reopened_at = CASE WHEN u.reopen AND was.status = 'resolved' THEN now()
        ELSE c.reopened_at END,
    referral = coalesce(c.referral, u.referral),
    facts_stale = true,
    updated_at = now()
FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::bigint[], $5::timestamptz[],
            $6::bool[], $7::jsonb[], $8::bigint[])
     AS u(id, unread, customer_at, newest_id, newest_at, reopen, referral, first_unread_id), was
WHERE c.id = u.id AND was.id = c.id
RETURNING c.id, c.workspace_id, c.assignee_id, was.status AS was_status, u.reopen,
          u.customer_at, u.first_unread_id),
changes AS (
INSERT INTO conversation_status_changes (workspace_id, conversation_id, from_status, to_status,
                                         assignee_id, cause, message_id, changed_at)
SELECT workspace_id, id, was_status, 'open', assignee_id, 'customer', first_unread_id, customer_at
FROM updated WHERE reopen AND was_status <> 'open'
RETURNING id, workspace_id, conversation_id, from_status, to_status, cause, by_user_id,
          message_id, changed_at)
SELECT * FROM changes WHERE from_status = 'resolved'
"""


@dataclass
class _Aggregate:
    unread: int = 0
    customer_at: datetime | None = None
    newest: tuple[datetime, int] | None = None
    referral: dict | None = None
    first_unread_id: int | None = None  # the customer's message that reopens it, if any


async def _update_conversations(
    uow: UnitOfWork, inserted: list[tuple[RowDraft, int, int]]
) -> list[tuple[int, asyncpg.Record]]:
    """Fold the new rows into their conversations: unread, windows, last message, reopen
    (recorded in the status history, naming the first unread message). Returns the
    reopenings from resolved: (workspace id, the history's row)."""
    aggregates: dict[int, _Aggregate] = {}
    for draft, conversation_id, message_id in inserted:
        aggregate = aggregates.setdefault(conversation_id, _Aggregate())
        if draft.from_customer:
            aggregate.unread += 1 if draft.counts_as_unread else 0
            if draft.counts_as_unread and aggregate.first_unread_id is None:
                aggregate.first_unread_id = message_id
            aggregate.customer_at = max(filter(None, [aggregate.customer_at, draft.sent_at]))
        aggregate.newest = max(filter(None, [aggregate.newest, (draft.sent_at, message_id)]))
        if aggregate.referral is None and draft.from_customer:
            aggregate.referral = draft.attribution
    ordered = sorted(aggregates.items())
    rows = await uow.conn.fetch(
        UPDATE_CONVERSATIONS,
        [cid for cid, _ in ordered],
        [a.unread for _, a in ordered],
        [a.customer_at for _, a in ordered],
        [a.newest[1] if a.newest else None for _, a in ordered],
        [a.newest[0] if a.newest else None for _, a in ordered],
        [a.unread > 0 for _, a in ordered],
        [_json(a.referral) for _, a in ordered],
        [a.first_unread_id for _, a in ordered],
    )
    # The reopenings from resolved, with their change in the history (naming the message).
    return [(row["workspace_id"], row) for row in sorted(rows, key=lambda row: row["id"])]


async def _confirm_echoes(uow: UnitOfWork, echoes: list[tuple[RowDraft, AccountRef]]) -> None:
    """An echo of a reply we stored already (same mid): the reply is delivered."""
    rows = await uow.conn.fetch(
        "UPDATE messages m SET status = 'delivered', updated_at = now()"
        " FROM unnest($1::bigint[], $2::text[]) AS e(account_id, mid)"
        " WHERE m.account_id = e.account_id AND m.mid = e.mid AND m.direction = 'out'"
        " AND m.status IN ('pending', 'sending', 'sent', 'unknown') RETURNING m.id, m.workspace_id",
        [account.id for _, account in echoes],
        [draft.mid for draft, _ in echoes],
    )
    views = await message_views(uow.conn, [row["id"] for row in rows])
    for row in rows:
        uow.emit(
            MessageUpdated(workspace_id=row["workspace_id"], at=uow.now, message=views[row["id"]])
        )


async def do_apply_inbound(
    uow: UnitOfWork,
    items: Sequence[tuple[NormalizedItem, AccountRef]],
    *,
    answered: frozenset[str] = frozenset(),
) -> InboundResult:
    """Store every item of a batch (items of unknown accounts are filtered out before).
    `answered`: mids of imported customer messages the business had already answered,
    which do not count as unread (a history import, actions/imports.py)."""
    result = InboundResult()
    drafts: list[tuple[RowDraft, AccountRef]] = []
    # type() rather than isinstance(): msgspec structs check isinstance through ABCMeta,
    # measurably slow on batches of thousands.
    effects = [(item, account) for item, account in items if type(item) in EFFECT_TYPES]
    seen: set[tuple[int, str]] = set()
    for item, account in items:
        draft = draft_row(item)
        if draft is not None and (account.id, draft.mid) not in seen:
            seen.add((account.id, draft.mid))
            draft.counts_as_unread = draft.mid not in answered
            drafts.append((draft, account))
    await lock_message_keys(uow, seen, {(account.id, item.mid) for item, account in effects})
    if drafts:
        await _store_rows(uow, drafts, result)
    await apply_effects(uow, [(item, account.id) for item, account in effects])
    return result


async def _store_rows(
    uow: UnitOfWork, drafts: list[tuple[RowDraft, AccountRef]], result: InboundResult
) -> None:
    # Before any conversation row is locked: the lock order of actions/assignment.py.
    automatic = await hold(uow, [account.workspace_id for _, account in drafts])
    contacts = await upsert_contacts(
        uow, [(account, draft.contact_igsid) for draft, account in drafts], result
    )
    contact_of = [contacts[(account.id, draft.contact_igsid)] for draft, account in drafts]
    conversations = await upsert_conversations(
        uow,
        [(account, contact) for (_, account), contact in zip(drafts, contact_of, strict=True)],
        result,
    )
    placed = [
        (draft, account, conversations[contact])
        for (draft, account), contact in zip(drafts, contact_of, strict=True)
    ]
    # An echo that overtook the Send API's answer confirms its reply instead of a new row.
    await match_overtaking_echoes(
        uow, [(d, a) for d, a, _ in placed if d.direction == "out" and d.source == "instagram_app"]
    )
    new_views = await _insert_rows(uow, placed)
    echoes = [
        (d, a) for d, a, _ in placed if d.direction == "out" and (a.id, d.mid) not in new_views
    ]
    if echoes:
        await _confirm_echoes(uow, echoes)
    inserted = [
        (d, a, cid, new_views[(a.id, d.mid)]) for d, a, cid in placed if (a.id, d.mid) in new_views
    ]
    if inserted:
        inserted.sort(key=lambda entry: (entry[0].sent_at, entry[3].id))
        reopened = await _update_conversations(
            uow, [(d, cid, view.id) for d, _, cid, view in inserted]
        )
        result.new_message_ids.extend(view.id for _, _, _, view in inserted)
        await _emit_created(
            uow, [(a.workspace_id, cid, view) for _, a, cid, view in inserted], result
        )
        if automatic:
            await _queue_waiting(uow, automatic, [(d, a, cid) for d, a, cid, _ in inserted])
        await emit_reopenings(uow, reopened)
    # Effects that came before their message apply after its message.created. Rows that
    # existed already count too: a reply learns its mid from the Send API, not from here.
    await apply_deferred(uow, sorted({(account.id, draft.mid) for draft, account, _ in placed}))


async def _queue_waiting(
    uow: UnitOfWork, automatic: set[int], inserted: list[tuple[RowDraft, AccountRef, int]]
) -> None:
    """Queue the conversations a customer now waits in, since their first new message
    (`inserted` is in Meta's time order); enqueue keeps only the open, unassigned ones."""
    waiting: dict[int, dict[int, datetime]] = {}
    for draft, account, conversation_id in inserted:
        if draft.from_customer and draft.counts_as_unread and account.workspace_id in automatic:
            waiting.setdefault(account.workspace_id, {}).setdefault(conversation_id, draft.sent_at)
    for workspace_id, conversations in sorted(waiting.items()):
        await enqueue(uow, workspace_id, sorted(conversations.items()), "customer_waiting")


async def _emit_created(
    uow: UnitOfWork, inserted: list[tuple[int, int, MessageView]], result: InboundResult
) -> None:
    """conversation.created for new conversations, then message.created in Meta's order;
    each carries the rows as they stand at commit."""
    workspace_of = {cid: workspace_id for workspace_id, cid, _ in inserted}
    conversations = await conversation_views(uow.conn, sorted(workspace_of))
    for conversation_id in result.new_conversation_ids:
        if conversation_id in workspace_of:
            uow.emit(
                ConversationCreated(
                    workspace_id=workspace_of[conversation_id],
                    at=uow.now,
                    conversation=conversations[conversation_id],
                )
            )
    for workspace_id, conversation_id, message in inserted:
        uow.emit(
            MessageCreated(
                workspace_id=workspace_id,
                at=uow.now,
                conversation=conversations[conversation_id],
                message=message,
            )
        )
