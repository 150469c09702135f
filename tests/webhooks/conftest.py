"""Fixtures for the webhook capability: the real app, a registered account, signed posts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from tests.support.http import make_client, running
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT, ACCOUNT_B, CONTACT, encode_body, signed
from wazify.runtime import Runtime
from wazify.settings import Settings
from wazify.webhooks.processor import WebhookProcessor
from wazify.webhooks.receipts import ReceiptWriter

SYSTEM = Actor.system("test")
SECRET = "3f1b2c4d5e6f708192a3b4c5d6e7f809"
# The messages columns a webhook fills, as tests compare them (jsonb decoded).
MESSAGE_COLUMNS = (
    "direction",
    "kind",
    "source",
    "mid",
    "text",
    "attachments",
    "reply_to_mid",
    "reply_to_story",
    "quick_reply_payload",
    "referral",
    "payload",
    "unsupported",
    "standby",
    "status",
    "sent_at",
)
JSON_COLUMNS = ("attachments", "reply_to_story", "referral", "payload", "edits")


@dataclass
class Inbox:
    """A workspace with the fake Meta's two business accounts registered."""

    workspace_id: int
    account_id: int
    account_b_id: int


@pytest.fixture
async def inbox(runtime: Runtime) -> Inbox:
    async with unit_of_work(runtime, SYSTEM) as uow:
        workspace_id = await do_create_workspace(uow, "shop")
        first = await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop")
        second = await do_register_account(uow, workspace_id, ig_id=ACCOUNT_B, username="shop2")
    return Inbox(workspace_id, first.id, second.id)


@pytest.fixture
async def app(settings: Settings, runtime: Runtime) -> AsyncIterator[Litestar]:
    application = create_app(settings, runtime=runtime)
    async with running(application):
        yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as test_client:
        yield test_client


async def post_webhook(
    client: httpx.AsyncClient, body: dict | bytes, secret: str | None = None
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else encode_body(body)
    headers = signed(raw, secret or SECRET)
    return await client.post("/webhooks/instagram", content=raw, headers=headers)


async def settle(runtime: Runtime, timeout: float = 10.0) -> None:
    """Wait until every committed receipt has been processed by the app's processor."""
    async with asyncio.timeout(timeout):
        while await runtime.engine.pool.fetchval(
            "SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"
        ):
            await asyncio.sleep(0.01)


async def events_of(db, workspace_id: int) -> list[tuple[int, str]]:
    rows = await db.fetch(
        "SELECT seq, type FROM events WHERE workspace_id = $1 ORDER BY seq", workspace_id
    )
    return [(row["seq"], row["type"]) for row in rows]


async def deliver(client: httpx.AsyncClient, runtime: Runtime, *bodies: dict | bytes) -> None:
    """Post each body (one request each, in order) and wait until all are processed."""
    for body in bodies:
        response = await post_webhook(client, body)
        assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")
    await settle(runtime)


async def ingest(runtime: Runtime, *bodies: dict | bytes) -> None:
    """Commit receipts and process them here, without the app (and its profile fetcher)."""
    writer = ReceiptWriter(runtime.engine.pool, on_stored=lambda: None)
    for body in bodies:
        await writer.store(body if isinstance(body, bytes) else encode_body(body))
    await WebhookProcessor(runtime).drain()


def at_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _decoded(row: asyncpg.Record) -> dict[str, Any]:
    return {
        name: json.loads(value) if name in JSON_COLUMNS and value is not None else value
        for name, value in dict(row).items()
    }


async def stored_messages(db, columns: tuple[str, ...] = MESSAGE_COLUMNS) -> list[dict]:
    """Every messages row in insertion order, jsonb columns decoded."""
    select = ", ".join(f"{c}::text AS {c}" if c in JSON_COLUMNS else c for c in columns)
    return [_decoded(row) for row in await db.fetch(f"SELECT {select} FROM messages ORDER BY id")]


async def message_by_mid(db, mid: str) -> dict:
    rows = await db.fetch(
        "SELECT id, text, attachments::text AS attachments, status, edit_count,"
        " edits::text AS edits, deleted_at, sent_at FROM messages WHERE mid = $1",
        mid,
    )
    assert len(rows) == 1, f"{len(rows)} rows for {mid}"
    return _decoded(rows[0])


async def event_log(db, workspace_id: int, after: int = 0) -> list[tuple[str, dict]]:
    """(type, payload) of the workspace's logged events after seq `after`, in seq order."""
    rows = await db.fetch(
        "SELECT type, payload::text AS payload FROM events WHERE workspace_id = $1 AND seq > $2"
        " ORDER BY seq",
        workspace_id,
        after,
    )
    return [(row["type"], json.loads(row["payload"])) for row in rows]


async def last_seq(db, workspace_id: int) -> int:
    return await db.fetchval(
        "SELECT coalesce(max(seq), 0) FROM events WHERE workspace_id = $1", workspace_id
    )


async def make_conversation(db, inbox: Inbox, igsid: str = CONTACT) -> tuple[int, int]:
    """A contact and its conversation on the first account, as a first message leaves them."""
    contact_id = await db.fetchval(
        "INSERT INTO contacts (workspace_id, account_id, igsid) VALUES ($1, $2, $3) RETURNING id",
        inbox.workspace_id,
        inbox.account_id,
        igsid,
    )
    conversation_id = await db.fetchval(
        "INSERT INTO conversations (workspace_id, account_id, contact_id) VALUES ($1, $2, $3)"
        " RETURNING id",
        inbox.workspace_id,
        inbox.account_id,
        contact_id,
    )
    return contact_id, conversation_id


async def insert_reply(
    db,
    inbox: Inbox,
    conversation_id: int,
    mid: str | None,
    status: str,
    sent_at: datetime,
    text: str = "a reply",
) -> int:
    """An agent's reply row, as the sender leaves it (mid known once Meta accepted it)."""
    return await db.fetchval(
        "INSERT INTO messages (workspace_id, conversation_id, account_id, direction, source,"
        " mid, text, status, sent_at) VALUES ($1, $2, $3, 'out', 'agent', $4, $5, $6, $7)"
        " RETURNING id",
        inbox.workspace_id,
        conversation_id,
        inbox.account_id,
        mid,
        text,
        status,
        sent_at,
    )
