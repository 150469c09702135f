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

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from litestar import Litestar

from wazify.actions.auth import do_login_succeeded
from wazify.actions.members import do_create_member
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.app import create_app
from wazify.auth.sessions import SESSION_COOKIE
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

PASSWORD = "correct horse battery staple"
SYSTEM = Actor.system("test")


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
async def app(settings: Settings, runtime: Runtime) -> Litestar:
    return create_app(settings, runtime=runtime)


CLIENT_ADDR = "198.51.100.7"


def make_client(
    app: Litestar, addr: str = CLIENT_ADDR, base_url: str = "http://testserver.local"
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(addr, 50000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    """Run the app's lifespan in a task of its own: it holds an anyio task group, which must
    be entered and left by the same task (a fixture's setup and teardown are not)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when="FIRST_COMPLETED")
    if task.done():
        task.result()  # startup failed: raise its error
    try:
        yield app
    finally:
        stop.set()
        await task


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app), make_client(app) as test_client:
        yield test_client


@dataclass
class Member:
    user_id: int
    email: str
    role: str
    workspace_id: int
    session_id: str = field(default="", repr=False)
    csrf: str = field(default="", repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """Cookie and CSRF header of an open session, as the web app sends them."""
        return {"Cookie": f"{SESSION_COOKIE}={self.session_id}", "X-CSRF-Token": self.csrf}

    @property
    def cookie_only(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.session_id}"}


@dataclass
class World:
    """Builds workspaces and members through the actions."""

    runtime: Runtime
    password_hash: str

    async def workspace(self, slug: str) -> int:
        async with unit_of_work(self.runtime, SYSTEM) as uow:
            return await do_create_workspace(uow, slug, slug.title())

    async def member(
        self, workspace_id: int, email: str, role: str = "agent", *, session: bool = True
    ) -> Member:
        async with unit_of_work(self.runtime, SYSTEM) as uow:
            view = await do_create_member(
                uow,
                workspace_id,
                email=email,
                role=role,
                name=email.split("@")[0],
                password_hash=self.password_hash,
            )
        member = Member(view.user_id, view.email, role, workspace_id)
        if session:
            await self.open_session(member)
        return member

    async def open_session(self, member: Member) -> Member:
        actor = Actor(user_id=member.user_id, label=member.email, client_addr=CLIENT_ADDR)
        async with unit_of_work(self.runtime, actor) as uow:
            new = await do_login_succeeded(
                uow,
                user_id=member.user_id,
                workspace_id=member.workspace_id,
                email=member.email,
                user_agent="tests",
            )
        member.session_id, member.csrf = new.session_id, new.csrf_token
        return member


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


async def audit_rows(db, action: str | None = None) -> list[dict]:
    rows = await db.fetch(
        "SELECT workspace_id, actor_id, actor_label, action, target_type, target_id,"
        " before::text, after::text, client_addr FROM audit_entries"
        " WHERE $1::text IS NULL OR action = $1 ORDER BY id",
        action,
    )
    return [dict(row) for row in rows]
