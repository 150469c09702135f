"""Redis fan-out for real: a Redis restart loses nothing, and agents on two server processes
(`wazify serve`, started as a user would) receive every event, typing, presence and viewing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from tests.realtime.conftest import connect, emit, eventually
from tests.support.services import RedisServer, free_port, start_private_redis
from tests.support.world import World
from wazify.realtime.broker import CHANNEL, RedisBroker
from wazify.settings import Settings


async def test_events_committed_while_redis_is_down_arrive_after_it_returns(
    serve, runtimes, private_redis: RedisServer, password_hash: str
) -> None:
    backed = await runtimes.redis(private_redis.url)
    served = await serve(on=backed)  # the default 15 s heartbeat: the reconnect must heal
    world = World(backed, password_hash)
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    agent = await connect(served.address, alice, since=0)
    await agent.wait_ready()
    (first,) = await emit(backed, workspace_id)
    await agent.wait_for(lambda a: a.seqs() == [1, first])
    for restart in range(2):
        private_redis.stop()
        await eventually(lambda r=restart: backed.broker.disconnects > r, timeout=10)
        started = time.monotonic()
        during = await emit(backed, workspace_id, 3)  # committed; their publish fails
        assert time.monotonic() - started < 1.0  # a write never waits on Redis for long
        await asyncio.to_thread(private_redis.start)
        await agent.wait_for(lambda a, d=during: a.seqs()[-3:] == d, timeout=5)
    after = await emit(backed, workspace_id, 2)  # and live delivery works again
    await agent.wait_for(lambda a: a.seqs()[-2:] == after, timeout=5)
    assert agent.seqs() == list(range(1, after[-1] + 1))
    # Resuming from the cursor (as after a dropped socket) finds nothing missing either.
    resumed = await connect(served.address, alice, since=first)
    await resumed.wait_ready()
    assert resumed.seqs() == list(range(first + 1, after[-1] + 1))
    await resumed.close()
    await agent.close()


async def test_a_lost_subscription_is_always_noticed(runtimes, private_redis: RedisServer) -> None:
    """Redis drops the subscriber (a restart, its output-buffer limit, CLIENT KILL): the
    reconnect handlers must run, so the hub looks for what was published meanwhile."""
    backed = await runtimes.redis(private_redis.url)
    noticed = asyncio.Event()
    backed.broker.add_reconnect_handler(noticed.set)
    client = aioredis.Redis.from_url(private_redis.url)

    async def subscribers() -> int:
        return (await client.pubsub_numsub(CHANNEL))[0][1]

    try:
        async with asyncio.timeout(5):
            while not await subscribers():
                await asyncio.sleep(0.01)
        await client.client_kill_filter(_type="pubsub")
        async with asyncio.timeout(5):
            await noticed.wait()
    finally:
        await client.aclose()


async def test_the_broker_stops_promptly_even_while_it_connects(
    private_redis: RedisServer,
) -> None:
    """A cancellation landing while redis-py connects is swallowed by it; stop() must still
    end the reader (a CLI command, `wazify serve` among them, hung there now and then)."""
    for attempt in range(120):
        broker = RedisBroker(private_redis.url)
        await broker.start()
        await asyncio.sleep((attempt % 6) / 1000)
        async with asyncio.timeout(3):
            await broker.stop()


class Process:
    """`python -m wazify.cli serve` on the test database and a Redis."""

    def __init__(self, settings: Settings, redis_url: str, folder: Path, name: str) -> None:
        self.port = free_port()
        self.log = folder / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url or "",
            "REDIS_URL": redis_url,
            "WAZIFY_TOKEN_KEYS": ",".join(settings.token_keys),
            "WAZIFY_PORT": str(self.port),
            "WAZIFY_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "WAZIFY_DATA_DIR": str(folder / name),
            "WAZIFY_LOG_LEVEL": "WARNING",
        }
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wazify.cli", "serve"],
                env=env,
                cwd=folder,  # no stray .env
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.address}"

    async def wait_ready(self, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout), httpx.AsyncClient() as client:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"server exited:\n{self.log.read_text()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://{self.address}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()

    def wait(self) -> None:
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def module_redis() -> Iterator[RedisServer]:
    server = start_private_redis()
    if server is None:
        pytest.skip("!!! Redis tests SKIPPED: no redis-server binary on PATH")
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def two_processes(
    settings: Settings, module_redis: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[Process]]:
    """Two servers for the module (they hold no state between tests once their sockets
    are closed: the hub forgets a workspace with its last socket)."""
    folder = tmp_path_factory.mktemp("processes")
    started = [Process(settings, module_redis.url, folder, f"p{n}") for n in range(2)]
    try:
        await asyncio.gather(*(p.wait_ready() for p in started))
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait()


@pytest.fixture
async def processes(two_processes: list[Process], world) -> list[Process]:
    """The two servers, after `world` (and its `runtime`) emptied the tables."""
    return two_processes


async def test_agents_on_two_processes_receive_everything(
    processes, runtimes, module_redis: RedisServer, world, password_hash: str
) -> None:
    workspace_id = await world.workspace("shop")  # before the servers: no first-start admin
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    alice = await world.member(workspace_id, "alice@example.com")
    bob = await world.member(workspace_id, "bob@example.com")
    head = 3
    one, two = processes
    agents = {
        "admin@one": await connect(one.address, admin, since=head, origin=one.origin),
        "alice@one": await connect(one.address, alice, since=head, origin=one.origin),
        "bob@two": await connect(two.address, bob, since=head, origin=two.origin),
        "admin@two": await connect(two.address, admin, since=head, origin=two.origin),
    }
    for agent in agents.values():
        await agent.wait_ready()
    # Writers everywhere at once: the test through Redis, and each server's own API
    # (role changes of a member of its own: each emits member.updated).
    writer = World(await runtimes.redis(module_redis.url), password_hash)
    carol = await writer.member(workspace_id, "carol@example.com", session=False)
    dave = await writer.member(workspace_id, "dave@example.com", session=False)

    async def through_api(process, member, times: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://{process.address}") as client:
            for k in range(times):
                response = await client.patch(
                    f"/api/v1/members/{member.user_id}",
                    json={"role": ("supervisor", "agent")[k % 2]},
                    headers=admin.headers,
                )
                assert response.status_code == 200, response.text

    async def through_redis(times: int) -> None:
        for _ in range(times):
            await emit(writer.runtime, workspace_id, 2)

    await asyncio.gather(through_api(one, carol, 6), through_api(two, dave, 6), through_redis(10))
    total = head + 2 + 6 + 6 + 20
    for agent in agents.values():
        await agent.wait_for(lambda a: a.seqs()[-1:] == [total], timeout=10)
        assert agent.seqs() == list(range(head + 1, total + 1))
    for agent in agents.values():
        await agent.close()


async def test_typing_presence_and_viewing_cross_processes(processes, world) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    bob = await world.member(workspace_id, "bob@example.com")
    one, two = processes
    bobs = await connect(two.address, bob, since=2, origin=two.origin)
    await bobs.wait_ready()
    alices = await connect(one.address, alice, since=2, origin=one.origin)
    await alices.wait_ready()

    def presence_of(agent, user_id: int) -> str | None:
        states = [f["state"] for f in agent.of_type("presence") if f["user_id"] == user_id]
        return states[-1] if states else None

    await bobs.wait_for(lambda a: presence_of(a, alice.user_id) == "online")
    await alices.send({"type": "typing", "conversation_id": 7})
    await bobs.wait_for(lambda a: a.of_type("typing"))
    assert bobs.of_type("typing") == [
        {"type": "typing", "conversation_id": 7, "user_id": alice.user_id, "name": "alice"}
    ]
    await alices.send({"type": "viewing", "conversation_id": 7})
    await bobs.wait_for(
        lambda a: (
            {"type": "viewing", "conversation_id": 7, "user_ids": [alice.user_id]}
            in a.of_type("viewing")
        )
    )
    await bobs.send({"type": "viewing", "conversation_id": 7})
    await alices.wait_for(
        lambda a: (
            {
                "type": "viewing",
                "conversation_id": 7,
                "user_ids": sorted([alice.user_id, bob.user_id]),
            }
            in a.of_type("viewing")
        )
    )
    # The bootstrap on either process knows who is online.
    async with httpx.AsyncClient(base_url=f"http://{two.address}") as client:
        team = (await client.get("/api/v1/bootstrap", headers=bob.headers)).json()["team"]
    assert {m["user_id"]: m["presence"] for m in team} == {
        alice.user_id: "online",
        bob.user_id: "online",
    }
    await alices.send({"type": "presence", "state": "away"})
    await bobs.wait_for(lambda a: presence_of(a, alice.user_id) == "away")
    await alices.close()
    await bobs.wait_for(lambda a: presence_of(a, alice.user_id) == "offline")
    await bobs.wait_for(
        lambda a: (
            {"type": "viewing", "conversation_id": 7, "user_ids": [bob.user_id]}
            in a.of_type("viewing")
        )
    )
    assert not alices.of_type("typing")  # nobody is told about their own typing
    await bobs.close()
