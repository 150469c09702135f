"""Fixtures for the live stream: a real server on a port, members with sessions, sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import websockets

from tests.support.live import live_server
from tests.support.world import Member, World
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

ORIGIN = "http://localhost:8000"  # the test settings' WAZIFY_PUBLIC_URL


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture
def world(runtime: Runtime, password_hash: str) -> World:
    return World(runtime, password_hash)


@pytest.fixture
async def server(settings: Settings, runtime: Runtime) -> AsyncIterator[str]:
    async with live_server(create_app(settings, runtime=runtime)) as address:
        yield address


async def register_account(runtime: Runtime, workspace_id: int, ig_id: str = ACCOUNT) -> int:
    async with unit_of_work(runtime, Actor.system("test")) as uow:
        account = await do_register_account(uow, workspace_id, ig_id=ig_id, username="shop")
    return account.id


@dataclass
class Agent:
    """A websocket client that collects every frame it receives."""

    socket: websockets.ClientConnection
    frames: list[dict] = field(default_factory=list)
    closed: tuple[int, str] | None = None
    _reader: asyncio.Task | None = None

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for data in self.socket:
                self.frames.append(json.loads(data))
        except websockets.ConnectionClosed:
            pass
        self.closed = (self.socket.close_code, self.socket.close_reason)

    def events(self) -> list[dict]:
        return [frame for frame in self.frames if "seq" in frame and "workspace_id" in frame]

    def of_type(self, kind: str) -> list[dict]:
        return [frame for frame in self.frames if frame.get("type") == kind]

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self):
                await asyncio.sleep(0.01)

    async def send(self, frame: dict) -> None:
        await self.socket.send(json.dumps(frame))

    async def close(self) -> None:
        await self.socket.close()
        if self._reader is not None:
            await self._reader


async def connect(address: str, member: Member, since: int = 0, origin: str = ORIGIN) -> Agent:
    socket = await websockets.connect(
        f"ws://{address}/api/v1/ws?since={since}",
        additional_headers={**member.cookie_only, "Origin": origin},
    )
    agent = Agent(socket)
    agent.start()
    return agent
