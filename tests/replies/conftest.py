"""Fixtures for replies out: the fake Graph API on a real port, the app live on another.

The app's META_GRAPH_URL points at the fake, and the fake posts signed echoes (and read
receipts, when asked) back to the app's webhook endpoint, as Meta does. `shop` is a
workspace with the fake's business account (its token stored encrypted), a signed-in agent
and a customer who just wrote (the 24-hour window is open).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest

from tests.support.live import live_server
from tests.support.world import Member, World
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.state import FailureRule, FakeGraphState, Messaging
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

SYSTEM = Actor.system("test")
TOKEN = "IGAAT-test-access-token-0123456789-do-not-log"
CUSTOMER = "7523146982351467"
ORIGIN = "http://localhost:8000"
TERMINAL = ("sent", "delivered", "read", "failed")
MESSAGES_PATH = f"/v25.0/{ACCOUNT}/messages"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[tuple[str, FakeGraphState]]:
    url, state, stop = run_fake_graph_in_thread()
    yield url, state
    stop()


@pytest.fixture
def fake(fake_graph: tuple[str, FakeGraphState]) -> FakeGraphState:
    state = fake_graph[1]
    state.reset()
    state.add_token(TOKEN, ACCOUNT)
    return state


@pytest.fixture
def send_settings(settings: Settings, fake_graph: tuple[str, FakeGraphState]) -> Settings:
    return msgspec.structs.replace(
        settings,
        meta_graph_url=fake_graph[0],
        send_timeout_seconds=1.0,
        send_unknown_deadline_seconds=2,
    )


@pytest.fixture
def rt(runtime: Runtime, send_settings: Settings) -> Runtime:
    """The session's runtime (emptied tables) with settings naming the fake Graph API."""
    return dataclasses.replace(runtime, settings=send_settings)


@dataclass
class Live:
    app: Any
    address: str
    http: httpx.AsyncClient

    @property
    def worker(self) -> Any:
        return self.app.state.outbound.worker


@pytest.fixture
async def live(rt: Runtime, send_settings: Settings, fake: FakeGraphState) -> AsyncIterator[Live]:
    app = create_app(send_settings, runtime=rt)
    async with live_server(app) as address:
        secret = send_settings.meta_app_secrets[0]
        url = f"http://{address}/webhooks/instagram"
        fake.configure_messaging(Messaging(webhook_url=url, app_secret=secret))
        app.state.outbound.worker.backoff_base = 0.05
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as http:
            yield Live(app, address, http)


@dataclass
class Shop:
    workspace_id: int
    account_id: int
    conversation_id: int
    agent: Member
    world: World
    live: Live
    runtime: Runtime

    async def reply(
        self, text: str | None = None, conversation_id: int | None = None, **fields: Any
    ) -> httpx.Response:
        payload = {"text": text, **fields} if text is not None else fields
        return await self.live.http.post(
            f"/api/v1/conversations/{conversation_id or self.conversation_id}/messages",
            json=payload,
            headers=self.agent.headers,
        )

    async def customer_writes(self, igsid: str = CUSTOMER, text: str = "hi", ts_ms=None) -> int:
        """A customer's message through the webhook; returns its conversation id."""
        raw = encode_body(body([entry(ACCOUNT, [text_message(ACCOUNT, igsid, text, ts_ms=ts_ms)])]))
        secret = self.runtime.settings.meta_app_secrets[0]
        response = await self.live.http.post(
            "/webhooks/instagram", content=raw, headers=signed(raw, secret)
        )
        assert response.status_code == 200
        await wait_for(self.receipts_processed)
        return await wait_for(lambda: self.conversation_of(igsid))

    async def receipts_processed(self) -> bool:
        return not await self.runtime.engine.pool.fetchval(
            "SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"
        )

    async def conversation_of(self, igsid: str) -> int | None:
        return await self.runtime.engine.pool.fetchval(
            "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
            " JOIN messages m ON m.conversation_id = c.id AND m.direction = 'in'"
            " WHERE ct.igsid = $1 LIMIT 1",
            igsid,
        )

    async def message(self, message_id: int) -> dict[str, Any]:
        row = await self.runtime.engine.pool.fetchrow(
            "SELECT * FROM messages WHERE id = $1", message_id
        )
        return dict(row)

    async def settled(self, message_id: int, status: str | tuple[str, ...], timeout=10.0) -> dict:
        wanted = (status,) if isinstance(status, str) else status

        async def check() -> dict | None:
            row = await self.message(message_id)
            return row if row["status"] in wanted else None

        return await wait_for(check, timeout)


@pytest.fixture
async def shop(rt: Runtime, live: Live, password_hash: str) -> Shop:
    world = World(rt, password_hash)
    workspace_id = await world.workspace("shop")
    async with unit_of_work(rt, SYSTEM) as uow:
        account = await do_register_account(
            uow, workspace_id, ig_id=ACCOUNT, username="shop", token=TOKEN
        )
    agent = await world.member(workspace_id, "ana@shop.test")
    shop = Shop(workspace_id, account.id, 0, agent, world, live, rt)
    shop.conversation_id = await shop.customer_writes()
    return shop


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll until `check` returns something truthy; return it."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.02)


def sent_texts(fake: FakeGraphState) -> list[str | None]:
    """The text of every message request the fake received (refused ones included)."""
    texts = []
    for request in fake.requests(MESSAGES_PATH):
        data = json.loads(request.body)
        if "message" in data:
            texts.append(data["message"].get("text"))
    return texts


def fail_next(fake: FakeGraphState, count: int = 1, **rule: Any) -> None:
    fake.inject_failure(FailureRule(path_prefix=MESSAGES_PATH, method="POST", count=count, **rule))


async def statuses_of(runtime: Runtime, workspace_id: int, message_id: int) -> list[str]:
    """The statuses a message went through, as its logged events show them."""
    rows = await runtime.engine.pool.fetch(
        "SELECT type, payload::text AS payload FROM events WHERE workspace_id = $1 ORDER BY seq",
        workspace_id,
    )
    found = []
    for row in rows:
        message = json.loads(row["payload"]).get("message")
        if message and message["id"] == message_id:
            found.append(message["status"])
    return found
