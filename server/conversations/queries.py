"""Read-only queries returning public views, shared by the API, the events and the bootstrap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from wazify.conversations.views_sql import (
    ACCOUNT_JSON,
    CONVERSATION_FROM,
    contact_json,
    conversation_json,
    message_json,
)
from wazify.views import AccountView, ContactView, ConversationView, MessageView

# asyncpg connections and pools both offer fetch(); either may be passed.
Queryable = Any

_messages = msgspec.json.Decoder(list[MessageView])
_conversations = msgspec.json.Decoder(list[ConversationView])
_contacts = msgspec.json.Decoder(list[ContactView])
_accounts = msgspec.json.Decoder(list[AccountView])


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
