"""Fixtures for the webhook capability: the real app, a registered account, signed posts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from tests.support.http import make_client, running
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT, ACCOUNT_B, encode_body, signed
from wazify.runtime import Runtime
from wazify.settings import Settings

SYSTEM = Actor.system("test")


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
    headers = signed(raw, secret or "3f1b2c4d5e6f708192a3b4c5d6e7f809")
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
