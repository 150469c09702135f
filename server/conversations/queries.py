"""Read-only queries returning public views, shared by the API, the events and the bootstrap.

SQL: Postgres encodes the views to JSON (json_agg) in one round trip, which the API and the
events pass through undecoded; Piccolo rows would cost a decode and an encode (docs/migrations.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from wazify.conversations.views_sql import (
    ACCOUNT_JSON,
    CONVERSATION_FROM,
    REACTIONS_OF_MESSAGE,
    contact_json,
    conversation_json,
    message_json,
)
from wazify.views import AccountView, ContactView, ConversationView, MessageView, ReactionView

# asyncpg connections and pools both offer fetch(); either may be passed.
Queryable = Any

_messages = msgspec.json.Decoder(list[MessageView])
_conversations = msgspec.json.Decoder(list[ConversationView])
_contacts = msgspec.json.Decoder(list[ContactView])
_accounts = msgspec.json.Decoder(list[AccountView])


class _MessageReactions(msgspec.Struct):
    id: int
    reactions: list[ReactionView]


_reactions = msgspec.json.Decoder(list[_MessageReactions])


async def _json_list(db: Queryable, sql: str, *args: object) -> bytes:
    value = await db.fetchval(
        f"SELECT coalesce(json_agg(v), '[]'::json)::text FROM ({sql}) AS q(v)", *args
    )
    return value.encode()


async def message_views(db: Queryable, ids: Sequence[int]) -> dict[int, MessageView]:
    data = await _json_list(
        db, f"SELECT {message_json('m')} FROM messages m WHERE m.id = ANY($1::bigint[])", list(ids)
    )
    return {view.id: view for view in _messages.decode(data)}


async def reactions_of(db: Queryable, ids: Sequence[int]) -> dict[int, list[ReactionView]]:
    """The reactions shown on each of these messages (what reaction.changed carries)."""
    data = await _json_list(
        db,
        f"SELECT json_build_object('id', m.id, 'reactions', {REACTIONS_OF_MESSAGE.format(m='m')})"
        " FROM messages m WHERE m.id = ANY($1::bigint[])",
        list(ids),
    )
    return {row.id: row.reactions for row in _reactions.decode(data)}


async def conversation_views(db: Queryable, ids: Sequence[int]) -> dict[int, ConversationView]:
    data = await _json_list(
        db,
        f"SELECT {conversation_json()} FROM {CONVERSATION_FROM} WHERE c.id = ANY($1::bigint[])",
        list(ids),
    )
    return {view.id: view for view in _conversations.decode(data)}


async def contact_views(db: Queryable, ids: Sequence[int]) -> dict[int, ContactView]:
    data = await _json_list(
        db,
        f"SELECT {contact_json('ct')} FROM contacts ct WHERE ct.id = ANY($1::bigint[])",
        list(ids),
    )
    return {view.id: view for view in _contacts.decode(data)}


async def account_views(db: Queryable, ids: Sequence[int]) -> dict[int, AccountView]:
    data = await _json_list(
        db, f"SELECT {ACCOUNT_JSON} FROM ig_accounts a WHERE a.id = ANY($1::bigint[])", list(ids)
    )
    return {view.id: view for view in _accounts.decode(data)}


# --- The conversations API (lists are keyset-paginated: see wazify.audit.pagination) ---

Cursor = tuple[datetime, int]
_SEARCH_WORD = re.compile(r"\w")

# A contact matches by its name, its username (also split at dots and underscores, so
# "martin" finds @alice.martin) and the display name the team gave it.
CONTACT_SEARCH = """to_tsvector('simple', ct.name || ' ' || ct.username || ' '
    || regexp_replace(ct.username, '[._]+', ' ', 'g') || ' ' || ct.display_name)"""
# A note's words, mention tokens (<@id>) left out: exactly the expression of the
# notes_search index (db/migrations), or PostgreSQL would not use it.
NOTE_SEARCH = "to_tsvector('simple', regexp_replace(n.text, '<@[0-9]+>', ' ', 'g'))"


def search_query(text: str) -> str | None:
    """A prefix tsquery (every word, each as a prefix: "ali mar" finds "Alice Martin") for
    to_tsquery('simple', ...), or None when the text has no word to look for. Each word is
    quoted, so no character of the text can change the query's syntax."""
    words = [word for word in text.split() if _SEARCH_WORD.search(word)]
    if not words:
        return None
    quoted = ("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
    return " & ".join(quoted)


@dataclass(frozen=True)
class ConversationFilter:
    assignee_id: int | None = None
    unassigned: bool = False
    statuses: tuple[str, ...] = ()
    account_id: int | None = None
    search: str | None = None  # a tsquery from search_query()
    label_ids: tuple[int, ...] = ()  # conversations with every one of these labels


async def list_conversations(
    db: Queryable, workspace_id: int, where: ConversationFilter, before: Cursor | None, limit: int
) -> list[ConversationView]:
    """Most recent activity first; `before` is the (last_activity_at, id) of the last item
    of the previous page."""
    args: list[object] = [workspace_id]

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    conditions = ["c.workspace_id = $1"]
    if where.unassigned:
        conditions.append("c.assignee_id IS NULL")
    elif where.assignee_id is not None:
        conditions.append(f"c.assignee_id = {arg(where.assignee_id)}")
    if where.statuses:
        conditions.append(f"c.status = ANY({arg(list(where.statuses))}::text[])")
    if where.account_id is not None:
        conditions.append(f"c.account_id = {arg(where.account_id)}")
    if where.search is not None:
        query = f"to_tsquery('simple', {arg(where.search)})"
        conditions.append(
            f"({CONTACT_SEARCH} @@ {query} OR c.id IN (SELECT sm.conversation_id FROM messages"
            f" sm WHERE sm.workspace_id = $1 AND sm.search @@ {query})"
            f" OR c.id IN (SELECT n.conversation_id FROM notes n"
            f" WHERE n.workspace_id = $1 AND {NOTE_SEARCH} @@ {query}))"
        )
    for label_id in where.label_ids:
        conditions.append(
            "EXISTS (SELECT FROM conversation_labels cl"
            f" WHERE cl.conversation_id = c.id AND cl.label_id = {arg(label_id)})"
        )
    if before is not None:
        conditions.append(f"(c.last_activity_at, c.id) < ({arg(before[0])}, {arg(before[1])})")
    sql = f"""
    SELECT coalesce(json_agg(v ORDER BY at DESC, id DESC), '[]')::text FROM (
        SELECT {conversation_json()} AS v, c.last_activity_at AS at, c.id FROM {CONVERSATION_FROM}
        WHERE {" AND ".join(conditions)}
        ORDER BY c.last_activity_at DESC, c.id DESC LIMIT {arg(limit)}) q"""
    return _conversations.decode((await db.fetchval(sql, *args)).encode())


async def get_conversation(
    db: Queryable, workspace_id: int, conversation_id: int
) -> ConversationView | None:
    data = await _json_list(
        db,
        f"SELECT {conversation_json()} FROM {CONVERSATION_FROM}"
        " WHERE c.id = $1 AND c.workspace_id = $2",
        conversation_id,
        workspace_id,
    )
    found = _conversations.decode(data)
    return found[0] if found else None


MESSAGES_PAGE = f"""
SELECT coalesce(json_agg(v ORDER BY at DESC, id DESC), '[]')::text FROM (
    SELECT {message_json("m")} AS v, m.sent_at AS at, m.id FROM messages m
    WHERE m.conversation_id = $1 AND ($2::timestamptz IS NULL OR (m.sent_at, m.id) < ($2, $3))
    ORDER BY m.sent_at DESC, m.id DESC LIMIT $4) q
"""


async def list_messages(
    db: Queryable, conversation_id: int, before: Cursor | None, limit: int
) -> list[MessageView]:
    """Newest first; `before` is the (sent_at, id) of the oldest message already loaded."""
    data = await db.fetchval(
        MESSAGES_PAGE,
        conversation_id,
        before[0] if before else None,
        before[1] if before else 0,
        limit,
    )
    return _messages.decode(data.encode())
