"""Fixtures for the live stream: real servers on ports, members with sessions, sockets.

`server` is the app on the session's runtime (in-process broker). `serve(...)` starts more
servers, with settings changed (`realtime_heartbeat_seconds=0.5`) or on another runtime
(`redis_runtime(url)`: a RedisBroker on a private Redis). Agents are websocket clients that
collect every frame; `emit` commits test events through the write path.

Redis tests use a private redis-server each (never the shared one): the events channel has
one name, so another test run publishing to a shared Redis would reach these hubs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import msgspec
import pytest
import websockets

from tests.support.live import live_server
from tests.support.services import RedisServer, start_private_redis
from tests.support.world import Member, World
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT
from wazify.lib.passwords import hash_password
from wazify.realtime.broker import Broker, RedisBroker
from wazify.realtime.events import EVERYONE, AccountUpdated, Audience
from wazify.realtime.service import Realtime
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings
from wazify.views import AccountView

ORIGIN = "http://localhost:8000"  # the test settings' WAZIFY_PUBLIC_URL
SYSTEM = Actor.system("test")


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


@dataclass
class Served:
    address: str
    app: object

    @property
    def realtime(self) -> Realtime:
        return self.app.state.realtime  # type: ignore[attr-defined]


@pytest.fixture
async def serve(settings: Settings, runtime: Runtime) -> AsyncIterator[Callable]:
    """`await serve(runtime=None, **settings_changes)` -> Served; all stopped at teardown."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(on: Runtime | None = None, **changes) -> Served:
            app = create_app(msgspec.structs.replace(settings, **changes), runtime=on or runtime)
            address = await stack.enter_async_context(live_server(app))
            return Served(address, app)

        yield start


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = start_private_redis()
    if server is None:
        pytest.skip("!!! Redis tests SKIPPED: no redis-server binary on PATH")
    yield server
    server.stop()


@pytest.fixture
async def runtimes(settings: Settings, database_url: str) -> AsyncIterator[Callable]:
    """`await runtimes(broker)` -> a Runtime of its own on the test database; closed at
    teardown. `await runtimes.redis(url)` gives one on a RedisBroker."""
    opened: list[Runtime] = []

    async def open_with(broker: Broker, redis_url: str | None = None) -> Runtime:
        changed = msgspec.structs.replace(settings, redis_url=redis_url)
        runtime = await open_runtime(
            changed, database_url, settings.token_keys, broker=broker, pool_max=10
        )
        opened.append(runtime)
        return runtime

    async def redis(url: str) -> Runtime:
        return await open_with(RedisBroker(url), url)

    open_with.redis = redis  # type: ignore[attr-defined]
    yield open_with
    for runtime in opened:
        await runtime.close()


async def register_account(runtime: Runtime, workspace_id: int, ig_id: str = ACCOUNT) -> int:
    async with unit_of_work(runtime, SYSTEM) as uow:
        account = await do_register_account(uow, workspace_id, ig_id=ig_id, username="shop")
    return account.id


async def emit(
    runtime: Runtime,
    workspace_id: int,
    count: int = 1,
    audience: Audience = EVERYONE,
    size: int = 0,
) -> list[int]:
    """Commit `count` account.updated events in one unit of work; returns their seqs.
    `size` pads each payload (random hex: compression cannot shrink it)."""
    async with unit_of_work(runtime, SYSTEM) as uow:
        for number in range(count):
            padding = os.urandom(size // 2 + 1).hex()[:size] if size else ""
            view = AccountView(id=number + 1, ig_id=str(number), username="u", name=padding)
            uow.emit(AccountUpdated(workspace_id=workspace_id, at=uow.now, account=view), audience)
    return [event.seq for event in uow.committed]


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@dataclass
class Agent:
    """A websocket client that collects every frame it receives; `pause()` stops reading
    (the socket's buffers then fill up, as with a client that hangs)."""

    socket: websockets.ClientConnection
    frames: list[dict] = field(default_factory=list)
    closed: tuple[int | None, str | None] | None = None
    _reader: asyncio.Task | None = None
    _reading: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._reading.set()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                await self._reading.wait()
                data = await self.socket.recv()
                self.frames.append(json.loads(data))
        except websockets.ConnectionClosed:
            pass
        self.closed = (self.socket.close_code, self.socket.close_reason)

    def pause(self) -> None:
        self._reading.clear()

    def resume(self) -> None:
        self._reading.set()

    def events(self) -> list[dict]:
        return [frame for frame in self.frames if "seq" in frame and "workspace_id" in frame]

    def seqs(self) -> list[int]:
        return [event["seq"] for event in self.events()]

    def of_type(self, kind: str) -> list[dict]:
        return [frame for frame in self.frames if frame.get("type") == kind]

    @property
    def ready(self) -> bool:
        return bool(self.of_type("ready"))

    def cursor(self) -> int:
        """What a client resumes from: the highest of applied seqs, `ready.seq` and
        heartbeat watermarks (each vouches for every earlier event on this socket)."""
        marks = [0]
        for frame in self.frames:
            kind = frame.get("type")
            if kind == "ready":
                marks.append(frame["seq"])
            elif kind == "heartbeat":
                marks.append(frame["watermark"])
            elif "seq" in frame and "workspace_id" in frame:
                marks.append(frame["seq"])
        return max(marks)

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self):
                if self.closed is not None and not predicate(self):
                    raise AssertionError(f"closed {self.closed} while waiting; {self.frames[-3:]}")
                await asyncio.sleep(0.01)

    async def wait_ready(self, timeout: float = 5.0) -> Agent:
        await self.wait_for(lambda a: a.ready, timeout)
        return self

    async def wait_closed(self, timeout: float = 5.0) -> tuple[int | None, str | None]:
        async with asyncio.timeout(timeout):
            while self.closed is None:
                await asyncio.sleep(0.01)
        return self.closed

    async def send(self, frame: dict | str | bytes) -> None:
        await self.socket.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def close(self) -> None:
        self.resume()
        await self.socket.close()
        if self._reader is not None:
            await self._reader


async def connect(
    address: str,
    member: Member | None = None,
    since: int | None = 0,
    origin: str | None = ORIGIN,
    *,
    token: str | None = None,
    max_queue: int | None = 16,
    rcvbuf: int | None = None,
) -> Agent:
    """A socket as the web app opens it (session cookie and Origin), or as a script does
    (`token`: Bearer, no Origin). `rcvbuf` shrinks the client's receive buffer."""
    headers: dict[str, str] = {}
    if member is not None and token is None:
        headers.update(member.cookie_only)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if origin is not None:
        headers["Origin"] = origin
    query = "" if since is None else f"?since={since}"
    sock = None
    if rcvbuf is not None:
        host, port = address.rsplit(":", 1)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.connect((host, int(port)))
    client = await websockets.connect(
        f"ws://{address}/api/v1/ws{query}",
        additional_headers=headers,
        max_queue=max_queue,
        compression=None if rcvbuf is not None else "deflate",
        sock=sock,
    )
    agent = Agent(client)
    agent.start()
    return agent
