"""Fixtures for connections: the fake Graph API (OAuth hosts included) on a real port, the
app over ASGI with its settings pointing there, and helpers to walk Instagram Login."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest

from tests.support.http import make_client, running
from tests.support.world import Member, World
from wazify.app import create_app
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.oauth import FakeIgAccount, FakeOAuth, oauth_state
from wazify.fakemeta.state import FakeGraphState
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

IG_ID = "17841400000000001"
OTHER_IG_ID = "17841400000000002"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[tuple[str, FakeGraphState]]:
    url, state, stop = run_fake_graph_in_thread()
    yield url, state
    stop()


@pytest.fixture
def account_settings(settings: Settings, fake_graph: tuple[str, FakeGraphState]) -> Settings:
    url = fake_graph[0]
    return msgspec.structs.replace(
        settings,
        meta_graph_url=url,
        meta_oauth_authorize_url=f"{url}/oauth/authorize",
        meta_oauth_token_url=f"{url}/oauth/access_token",
        # A connect queues a history import (tests/history): no importer here to call the
        # fake Graph API behind these tests' backs.
        history_worker=False,
    )


@pytest.fixture
def fake(fake_graph: tuple[str, FakeGraphState], account_settings: Settings) -> FakeGraphState:
    state = fake_graph[1]
    state.reset()
    oauth = oauth_state(state)
    oauth.reset()
    oauth.app_id = account_settings.meta_app_id
    oauth.app_secret = account_settings.meta_app_secrets[0]
    oauth.add_account(
        FakeIgAccount(
            IG_ID, "acme.shop", "Acme Shop", "https://cdn.example/acme.jpg", user_id="991"
        )
    )
    oauth.add_account(FakeIgAccount(OTHER_IG_ID, "other.shop", "Other Shop", user_id="992"))
    return state


@pytest.fixture
def oauth(fake: FakeGraphState) -> FakeOAuth:
    return oauth_state(fake)


@pytest.fixture
def rt(runtime: Runtime, account_settings: Settings) -> Runtime:
    return dataclasses.replace(runtime, settings=account_settings)


@dataclass
class Shop:
    world: World
    admin: Member
    agent: Member
    workspace_id: int


@pytest.fixture
async def shop(rt: Runtime, password_hash: str) -> Shop:
    world = World(rt, password_hash)
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@acme.test", "admin")
    agent = await world.member(workspace_id, "agent@acme.test", "agent")
    return Shop(world, admin, agent, workspace_id)


@pytest.fixture
async def client(rt: Runtime, fake: FakeGraphState) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(rt.settings, runtime=rt)
    async with running(app), make_client(app) as http:
        yield http


async def start_connect(client: httpx.AsyncClient, admin: Member) -> str:
    response = await client.post("/api/v1/accounts/connect", headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["authorize_url"]


async def consent(authorize_url: str) -> str:
    """The browser at Instagram's consent page: returns the callback path and query."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(authorize_url, follow_redirects=False)
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["location"])
    assert parts.path == "/api/v1/accounts/oauth/callback"
    return f"{parts.path}?{parts.query}"


async def callback(client: httpx.AsyncClient, member: Member, path: str) -> dict[str, str]:
    """Follow the redirect back to the app; returns the admin page's query."""
    response = await client.get(path, headers=member.cookie_only)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/#/admin/accounts?"), location
    return {key: values[0] for key, values in parse_qs(location.split("?", 1)[1]).items()}


async def connect(
    client: httpx.AsyncClient, oauth: FakeOAuth, admin: Member, ig_id: str = IG_ID
) -> dict[str, str]:
    oauth.login_as(ig_id)
    return await callback(client, admin, await consent(await start_connect(client, admin)))


async def audit_actions(db: Any, workspace_id: int) -> list[str]:
    rows = await db.fetch(
        "SELECT action FROM audit_entries WHERE workspace_id = $1 AND action LIKE 'account.%'"
        " ORDER BY id",
        workspace_id,
    )
    return [row["action"] for row in rows]


async def age_account(db: Any, account_id: int, *, age: timedelta, expires_in: timedelta) -> None:
    now = datetime.now(UTC)
    await db.execute(
        "UPDATE ig_accounts SET token_refreshed_at = $2, token_expires_at = $3 WHERE id = $1",
        account_id,
        now - age,
        now + expires_in,
    )
