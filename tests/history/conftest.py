"""Fixtures for history imports and resyncs: the fake Graph API (Conversations API, Send
API, Instagram Login) on a real port, the app live on another (the fake posts webhooks to
it), and a shop whose customers write through the fake: each message lands in the fake's
threads, and reaches the app as a webhook only when the test lets it."""

from __future__ import annotations

import asyncio
import dataclasses
import time
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
from wazify.fakemeta.oauth import FakeIgAccount, oauth_state
from wazify.fakemeta.state import FakeGraphState, Messaging
from wazify.fakemeta.threads import FakeMessage, webhook_of
from wazify.fakemeta.webhooks import ACCOUNT, encode_body, signed
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

SYSTEM = Actor.system("test")
USERNAME = "linen.shop"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
CONVERSATIONS_PATH = "/v25.0/me/conversations"
THREAD_READS = "/v25.0/aWdfY29udmVyc2F0aW9u"  # conversation ids: base64 of "ig_conversation"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[tuple[str, FakeGraphState]]:
    url, state, stop = run_fake_graph_in_thread()
    yield url, state
    stop()


@pytest.fixture
def fake(fake_graph: tuple[str, FakeGraphState], history_settings: Settings) -> FakeGraphState:
    state = fake_graph[1]
    state.reset()
    oauth = oauth_state(state)
    oauth.reset()
    oauth.app_id = history_settings.meta_app_id
    oauth.app_secret = history_settings.meta_app_secrets[0]
    oauth.add_account(FakeIgAccount(ACCOUNT, USERNAME, "Linen Shop", user_id="991"))
    return state


@pytest.fixture
def history_settings(settings: Settings, fake_graph: tuple[str, FakeGraphState]) -> Settings:
    url = fake_graph[0]
    return msgspec.structs.replace(
        settings,
        meta_graph_url=url,
        meta_oauth_authorize_url=f"{url}/oauth/authorize",
        meta_oauth_token_url=f"{url}/oauth/access_token",
        send_timeout_seconds=2.0,
        send_unknown_deadline_seconds=5,
        # Tests keep Meta's rate only where they measure it (test_limits.py).
        history_rate_per_second=100,
    )


@pytest.fixture
def rt(runtime: Runtime, history_settings: Settings) -> Runtime:
    return dataclasses.replace(runtime, settings=history_settings)


@dataclass
class Live:
    app: Any
    address: str
    http: httpx.AsyncClient

    @property
    def importer(self) -> Any:
        return self.app.state.history.importer

    @property
    def reconciler(self) -> Any:
        return self.app.state.history.reconciler


def quicken(app: Any) -> None:
    """Short backoffs and polls: tests wait for outcomes, not for production's pauses."""
    importer = app.state.history.importer
    importer.backoff_base, importer.poll_seconds = 0.05, 0.1
    app.state.outbound.worker.backoff_base = 0.05


@pytest.fixture
async def live(rt: Runtime, fake: FakeGraphState) -> AsyncIterator[Live]:
    app = create_app(rt.settings, runtime=rt)
    async with live_server(app) as address:
        secret = rt.settings.meta_app_secrets[0]
        url = f"http://{address}/webhooks/instagram"
        fake.configure_messaging(Messaging(webhook_url=url, app_secret=secret))
        quicken(app)
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as http:
            yield Live(app, address, http)


@dataclass
class Shop:
    workspace_id: int
    admin: Member
    agent: Member
    live: Live
    runtime: Runtime
    fake: FakeGraphState
    account_id: int = 0

    async def connect(self) -> int:
        """Connect with a pasted token, as an admin does (the import on connect follows)."""
        token = oauth_state(self.fake).issue(self.fake, ACCOUNT)
        response = await self.live.http.post(
            "/api/v1/accounts/token", json={"token": token}, headers=self.admin.headers
        )
        assert response.status_code == 201, response.text
        self.account_id = response.json()["id"]
        return self.account_id

    async def register(self) -> int:
        """Register the account without an import (as the demo or `instagram add` do)."""
        token = oauth_state(self.fake).issue(self.fake, ACCOUNT)
        async with unit_of_work(self.runtime, SYSTEM) as uow:
            view = await do_register_account(
                uow, self.workspace_id, ig_id=ACCOUNT, username=USERNAME, token=token
            )
        self.account_id = view.id
        return view.id

    def writes(
        self, contact: str, text: str, *, ago_ms: int = 0, business: bool = False
    ) -> FakeMessage:
        """A message in the fake's thread (a customer's, or the business's from the app)."""
        return self.fake.history.add_message(
            ACCOUNT,
            contact,
            text,
            from_business=business,
            ts_ms=now_ms() - ago_ms,
            contact_username=f"user{contact[-3:]}",
            account_username=USERNAME,
        )

    async def deliver(self, item: FakeMessage) -> None:
        """The message's webhook reaches the app (as Meta would post it)."""
        found = self.fake.history.find(item.mid)
        assert found is not None
        raw = encode_body(webhook_of(found[0], item))
        secret = self.runtime.settings.meta_app_secrets[0]
        response = await self.live.http.post(
            "/webhooks/instagram", content=raw, headers=signed(raw, secret)
        )
        assert response.status_code == 200, response.text

    async def reply(self, conversation_id: int, text: str) -> dict:
        """An agent's reply through the API (queued as pending)."""
        response = await self.live.http.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": text},
            headers=self.agent.headers,
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def resync(self, **body: Any) -> dict:
        response = await self.live.http.post(
            f"/api/v1/accounts/{self.account_id}/resync", json=body, headers=self.admin.headers
        )
        assert response.status_code == 202, response.text
        return response.json()

    async def job(self, job_id: int | None = None) -> dict:
        response = await self.live.http.get(
            f"/api/v1/accounts/{self.account_id}/imports", headers=self.admin.headers
        )
        assert response.status_code == 200, response.text
        jobs = response.json()
        return next(j for j in jobs if job_id is None or j["id"] == job_id)

    async def finished(self, job_id: int | None = None, timeout: float = 20.0) -> dict:
        async def check() -> dict | None:
            job = await self.job(job_id)
            return job if job["state"] in ("done", "failed") else None

        return await wait_for(check, timeout)

    async def mids(self) -> list[str]:
        rows = await self.runtime.engine.pool.fetch(
            "SELECT mid FROM messages WHERE account_id = $1 AND mid IS NOT NULL ORDER BY id",
            self.account_id,
        )
        return [row["mid"] for row in rows]

    async def receipts_processed(self) -> bool:
        return not await self.runtime.engine.pool.fetchval(
            "SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"
        )


@pytest.fixture
async def shop(rt: Runtime, live: Live, fake: FakeGraphState, password_hash: str) -> Shop:
    world = World(rt, password_hash)
    workspace_id = await world.workspace("linen")
    admin = await world.member(workspace_id, "dana@linen.test", "admin")
    agent = await world.member(workspace_id, "alex@linen.test", "agent")
    return Shop(workspace_id, admin, agent, live, rt, fake)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll until `check` returns something truthy; return it."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.02)


async def events_of(runtime: Runtime, workspace_id: int, after_seq: int = 0) -> list[dict]:
    rows = await runtime.engine.pool.fetch(
        "SELECT seq, type, payload::text AS payload, audience_roles FROM events"
        " WHERE workspace_id = $1 AND seq > $2 ORDER BY seq",
        workspace_id,
        after_seq,
    )
    return [
        {**msgspec.json.decode(row["payload"]), "audience_roles": row["audience_roles"]}
        for row in rows
    ]
