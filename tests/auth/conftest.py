"""Fixtures for identity and access: the real app over the real database, through HTTP.

The client is httpx's ASGI transport on the test's own event loop, with the app's lifespan
run around it. (Litestar's AsyncTestClient runs the app in a blocking portal on another
thread and loop, where the shared runtime's asyncpg pool, bound to this loop, cannot go.)

Members are made through the actions (the write path), with one password hash computed
once per run: Argon2 costs a tenth of a second, and the tests make hundreds of members.
Sessions for the role matrix are opened through the same action the sign-in route uses;
sign-in itself is tested through HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from tests.support.http import CLIENT_ADDR, make_client, running
from tests.support.world import PASSWORD, SYSTEM, Member, World
from wazify.app import create_app
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

__all__ = ["CLIENT_ADDR", "PASSWORD", "SYSTEM", "Member", "World", "make_client", "running"]


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
async def app(settings: Settings, runtime: Runtime) -> Litestar:
    return create_app(settings, runtime=runtime)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app), make_client(app) as test_client:
        yield test_client


@pytest.fixture
def world(runtime: Runtime, password_hash: str) -> World:
    return World(runtime, password_hash)


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, workspace: str | None = None
):
    body: dict[str, str] = {"email": email, "password": password}
    if workspace is not None:
        body["workspace"] = workspace
    return await client.post("/api/v1/auth/login", json=body)


def invite_secret(response: httpx.Response) -> str:
    """The secret of the invitation link a POST /api/v1/members answered with."""
    url = response.json()["invite_url"]
    assert "/#/invite/" in url, url
    return url.rsplit("/", 1)[1]


async def audit_rows(db, action: str | None = None) -> list[dict]:
    rows = await db.fetch(
        "SELECT workspace_id, actor_id, actor_label, action, target_type, target_id,"
        " before::text, after::text, client_addr FROM audit_entries"
        " WHERE $1::text IS NULL OR action = $1 ORDER BY id",
        action,
    )
    return [dict(row) for row in rows]
