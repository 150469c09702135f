"""The replay-then-live seam: agents connecting and resuming while writers keep committing
receive every event exactly once, in order (no gap, no duplicate)."""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace

import pytest

from tests.realtime.conftest import connect, emit, eventually
from wazify.realtime.broker import InProcessBroker
from wazify.realtime.connection import Connection
from wazify.realtime.hub import Hub
from wazify.realtime.replay import check_cursor, fetch_events

WRITERS = 3
UNITS_PER_WRITER = 60  # of 1 to 4 events each


async def _write(runtimes_, workspace_id: int, counter: list[int], seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(UNITS_PER_WRITER):
        committed = await emit(runtimes_[seed % len(runtimes_)], workspace_id, rng.randint(1, 4))
        counter[0] += len(committed)
        if rng.random() < 0.3:
            await asyncio.sleep(0.001)


@pytest.mark.parametrize("broker", ["in-process", "redis"])
async def test_agents_connecting_and_resuming_under_writes_miss_nothing(
    broker, serve, runtimes, world, runtime, request
) -> None:
    if broker == "redis":
        redis = request.getfixturevalue("private_redis")
        # Writers on two runtimes of their own: two publishers, so publication order and
        # sequence order differ, and the hub must put them back in order.
        writers = [await runtimes.redis(redis.url), await runtimes.redis(redis.url)]
        served = await serve(on=await runtimes.redis(redis.url))
    else:
        writers = [runtime]
        served = await serve()
    workspace_id = await world.workspace("shop")
    members = [await world.member(workspace_id, f"agent{n}@example.com") for n in range(4)]
    start = len(members)  # the member.updated events
    counter = [start]
    writing = asyncio.gather(
        *(_write(writers, workspace_id, counter, seed) for seed in range(WRITERS))
    )
    agents = []  # (agent, first seq it must receive)
    resumed_from = []
    total = start + WRITERS * UNITS_PER_WRITER * 4
    for step in range(1, 7):
        await eventually(lambda s=step: counter[0] >= start + s * 40 or writing.done(), 10)
        member = members[step % len(members)]
        agents.append((await connect(served.address, member, since=0), 1))
        if step % 2 == 0:
            # An agent that drops and resumes from its cursor mid-stream.
            old, first = agents.pop(0)
            await old.close()
            cursor = old.cursor()
            resumed_from.append((old, first, cursor))
            agents.append((await connect(served.address, member, since=cursor), cursor + 1))
    await writing
    total = counter[0]
    for agent, first in agents:
        await agent.wait_for(lambda a: a.seqs()[-1:] == [total], timeout=10)
        assert agent.seqs() == list(range(first, total + 1))
        assert agent.of_type("ready")
    for old, first, cursor in resumed_from:
        assert old.seqs() == list(range(first, cursor + 1))
    for agent, _ in agents:
        await agent.close()


async def test_a_second_socket_waits_for_the_workspace_head_the_first_is_reading(
    runtime, world
) -> None:
    """Two sockets of one workspace register while the hub reads the workspace's head. Had
    the second gone ahead, its replay could stop below a head the hub read later, and the
    events in between would reach it neither by replay nor live."""
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    pool = runtime.engine.pool
    release = asyncio.Event()

    class SlowPool:  # the hub's head query runs only once `release` is set
        async def fetch(self, *args):
            await release.wait()
            return await pool.fetch(*args)

    broker = InProcessBroker()
    hub = Hub(SimpleNamespace(broker=broker, engine=SimpleNamespace(pool=SlowPool())))
    hub.attach()

    def make() -> Connection:
        async def ignore(*_) -> None:
            pass

        principal = SimpleNamespace(workspace_id=workspace_id, user_id=alice.user_id, role="agent")
        return Connection(principal, ignore, ignore)  # type: ignore[arg-type]

    async def catch_up(connection: Connection) -> None:
        """What ws.py does after registering: read the head, replay up to it."""
        _, head = await check_cursor(pool, workspace_id, 0)
        connection.finish_replay(head)

    first, second = make(), make()
    first_registered = asyncio.create_task(hub.register(first))
    await asyncio.sleep(0)
    second_registered = asyncio.create_task(hub.register(second))
    await asyncio.sleep(0.05)
    if second_registered.done():
        await catch_up(second)
    (seq,) = await emit(runtime, workspace_id)  # committed while the head query waits
    (logged,) = await fetch_events(pool, workspace_id, seq - 1, seq)
    await broker.publish([logged])
    release.set()
    await first_registered
    await second_registered
    if second.replaying:
        await catch_up(second)
    await catch_up(first)
    # The second socket learnt of `seq`, by its replay or live: its cursor covers it.
    assert second.considered == first.considered == seq
    assert hub._pending.get(workspace_id, {}) == {}  # nothing left to fill over and over
    hub.detach()
