"""Who gets what, heartbeats and their watermark, healing a lost publish, resync, slow
consumers, and cutting off sockets whose access ended."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
import websockets

from tests.realtime.conftest import connect, emit, eventually
from wazify.actions.auth import do_create_token, do_logout, do_revoke_token
from wazify.actions.members import do_deactivate_member, do_set_role
from wazify.actions.uow import Actor, unit_of_work
from wazify.auth.sessions import hash_secret
from wazify.realtime.broker import InProcessBroker, LoggedEvent
from wazify.realtime.events import STAFF, only

SYSTEM = Actor.system("test")


async def test_audiences_live_and_after_replay(server, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    lead = await world.member(workspace_id, "lead@example.com", "supervisor")
    alice = await world.member(workspace_id, "alice@example.com", "agent")
    bob = await world.member(workspace_id, "bob@example.com", "agent")
    members = (admin, lead, alice, bob)
    live = {m.email: await connect(server, m, since=4) for m in members}
    for agent in live.values():
        await agent.wait_ready()
    (everyone,) = await emit(runtime, workspace_id)
    (alice_only,) = await emit(runtime, workspace_id, audience=only(alice.user_id))
    (staff,) = await emit(runtime, workspace_id, audience=STAFF)
    (bob_only,) = await emit(runtime, workspace_id, audience=only(bob.user_id))
    (last,) = await emit(runtime, workspace_id)
    expected = {
        admin.email: [everyone, staff, last],
        lead.email: [everyone, staff, last],
        alice.email: [everyone, alice_only, last],
        bob.email: [everyone, bob_only, last],
    }
    for email, agent in live.items():
        await agent.wait_for(lambda a, e=email: a.seqs() == expected[e])
    # A replay applies the same audience.
    for member in members:
        replayed = await connect(server, member, since=4)
        await replayed.wait_ready()
        assert replayed.seqs() == expected[member.email]
        await replayed.close()
    # Pongs flush each socket: nothing else arrived meanwhile.
    for email, agent in live.items():
        await agent.send({"type": "ping"})
        await agent.wait_for(lambda a: a.of_type("pong"))
        assert agent.seqs() == expected[email]
        await agent.close()


async def test_a_role_change_changes_what_a_connected_socket_receives(
    serve, world, runtime
) -> None:
    served = await serve(realtime_validate_seconds=0.2)
    workspace_id = await world.workspace("shop")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    alice = await world.member(workspace_id, "alice@example.com", "agent")
    agent = await connect(served.address, alice, since=2)
    await agent.wait_ready()
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_set_role(uow, workspace_id, alice.user_id, "supervisor")
    await agent.wait_for(lambda a: len(a.seqs()) == 1)
    # Validation picks the new role up within its interval.
    await eventually(
        lambda: all(c.principal.role == "supervisor" for c in served.realtime.hub.all_connections())
    )
    (staff,) = await emit(runtime, workspace_id, audience=STAFF)
    await agent.wait_for(lambda a: a.seqs()[-1:] == [staff])
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_set_role(uow, workspace_id, alice.user_id, "agent")
    await eventually(
        lambda: all(c.principal.role == "agent" for c in served.realtime.hub.all_connections())
    )
    await emit(runtime, workspace_id, audience=STAFF)
    (everyone,) = await emit(runtime, workspace_id)
    await agent.wait_for(lambda a: a.seqs()[-2:] == [staff + 1, everyone])  # role event, not STAFF
    assert admin.role == "admin"
    await agent.close()


async def test_heartbeats_carry_the_watermark_invisible_events_included(
    serve, world, runtime
) -> None:
    served = await serve(realtime_heartbeat_seconds=0.2)
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com", "agent")
    bob = await world.member(workspace_id, "bob@example.com", "agent")
    agent = await connect(served.address, alice, since=2)
    await agent.wait_ready()
    seqs = await emit(runtime, workspace_id, 3, audience=only(bob.user_id))
    await agent.wait_for(
        lambda a: any(h["watermark"] == seqs[-1] for h in a.of_type("heartbeat")), timeout=3
    )
    assert agent.events() == []  # none were for alice, yet her cursor moves on
    assert agent.cursor() == seqs[-1]
    # Resuming from that cursor replays nothing and skips nothing.
    (mine,) = await emit(runtime, workspace_id)
    await agent.wait_for(lambda a: a.seqs() == [mine])
    await agent.close()


class DroppingBroker(InProcessBroker):
    """Loses the next `drop` publishes, as Redis does when it restarts or cuts off a
    subscriber: the events are committed, nobody is told."""

    def __init__(self) -> None:
        super().__init__()
        self.drop = 0

    async def publish(self, events: Sequence[LoggedEvent]) -> None:
        if self.drop:
            self.drop -= 1
            return
        await super().publish(events)


async def test_a_lost_publish_is_healed_within_the_heartbeat_interval(
    serve, runtimes, world
) -> None:
    broker = DroppingBroker()
    lossy = await runtimes(broker)
    served = await serve(on=lossy, realtime_heartbeat_seconds=0.5)
    world.runtime = lossy
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    agent = await connect(served.address, alice, since=1)
    await agent.wait_ready()
    # Alone: nothing later reveals the gap; the heartbeat's head check does.
    broker.drop = 1
    (lost,) = await emit(lossy, workspace_id)
    await agent.wait_for(lambda a: a.seqs() == [lost], timeout=2.5)
    await agent.wait_for(
        lambda a: any(h["watermark"] >= lost for h in a.of_type("heartbeat")), timeout=2
    )
    await agent.close()


async def test_a_lost_publish_revealed_by_the_next_event_is_filled_at_once(
    serve, runtimes, world
) -> None:
    broker = DroppingBroker()
    lossy = await runtimes(broker)
    served = await serve(on=lossy)  # a 15 s heartbeat: the next event must reveal the gap
    world.runtime = lossy
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    agent = await connect(served.address, alice, since=1)
    await agent.wait_ready()
    broker.drop = 2
    lost = await emit(lossy, workspace_id, 2)
    lost += await emit(lossy, workspace_id, 1)
    (after,) = await emit(lossy, workspace_id)
    await agent.wait_for(lambda a: a.seqs() == [*lost, after], timeout=5)
    assert not agent.of_type("heartbeat")
    await agent.close()


async def test_an_expired_cursor_gets_a_resync(server, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    await emit(runtime, workspace_id, 9)  # seqs 2..10
    await runtime.engine.pool.execute(
        "DELETE FROM events WHERE workspace_id = $1 AND seq <= 5", workspace_id
    )
    for since in (0, 3, 4):
        agent = await connect(server, alice, since=since)
        assert await agent.wait_closed() == (4000, "resync required")
        assert agent.events() == []
        assert [frame["type"] for frame in agent.frames] == ["resync"]
        assert agent.frames[0]["reason"] == "expired"
    # The oldest kept event follows the cursor directly: an ordinary replay.
    agent = await connect(server, alice, since=5)
    await agent.wait_ready()
    assert agent.seqs() == [6, 7, 8, 9, 10]
    await agent.close()
    # Every event swept: only an up-to-date cursor may stay.
    await runtime.engine.pool.execute("DELETE FROM events WHERE workspace_id = $1", workspace_id)
    agent = await connect(server, alice, since=9)
    assert (await agent.wait_closed())[0] == 4000
    agent = await connect(server, alice, since=10)
    await agent.wait_ready()
    await agent.close()


async def test_an_unknown_cursor_gets_a_resync(server, world) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    agent = await connect(server, alice, since=2)  # the head is 1
    assert await agent.wait_closed() == (4000, "resync required")
    assert [(f["type"], f["reason"]) for f in agent.frames] == [("resync", "unknown")]


async def test_a_slow_consumer_is_closed_and_resumes_without_loss(serve, world, runtime) -> None:
    served = await serve()
    served.realtime.queue_limit = 20
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    agent = await connect(served.address, alice, since=1, max_queue=1, rcvbuf=4096)
    await agent.wait_ready()
    agent.pause()  # stops reading: the socket's buffers fill, then the bounded queue
    (connection,) = served.realtime.hub.all_connections()
    committed: list[int] = []
    async with asyncio.timeout(20):
        while not connection.closing:
            committed += await emit(runtime, workspace_id, 5, size=16_000)
            assert len(connection._queue) <= 20
    committed += await emit(runtime, workspace_id, 30)  # after the overflow: never queued
    agent.resume()
    code, _ = await agent.wait_closed(timeout=10)
    assert code == 4008
    received = agent.seqs()
    # What arrived is a gapless prefix: the client's cursor never skips anything.
    assert received == committed[: len(received)]
    assert len(received) < len(committed)
    resumed = await connect(served.address, alice, since=agent.cursor())
    await resumed.wait_ready(timeout=10)
    assert received + resumed.seqs() == committed
    await resumed.close()


async def test_ended_access_is_cut_off_within_seconds(serve, world, runtime) -> None:
    served = await serve(realtime_validate_seconds=0.2)
    workspace_id = await world.workspace("shop")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    alice = await world.member(workspace_id, "alice@example.com")
    bob = await world.member(workspace_id, "bob@example.com")
    carol = await world.member(workspace_id, "carol@example.com", session=False)
    async with unit_of_work(runtime, SYSTEM) as uow:
        token, secret = await do_create_token(uow, workspace_id, carol.user_id, "script")
    head = 4
    stayer = await connect(served.address, admin, since=head)
    deactivated = await connect(served.address, alice, since=head)
    logged_out = await connect(served.address, bob, since=head)
    revoked = await connect(served.address, None, since=head, origin=None, token=secret)
    for agent in (stayer, deactivated, logged_out, revoked):
        await agent.wait_ready()
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_deactivate_member(uow, workspace_id, alice.user_id)
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_logout(uow, workspace_id, bob.user_id, hash_secret(bob.session_id))
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_revoke_token(uow, workspace_id, token.id)
    for agent in (deactivated, logged_out, revoked):
        code, _ = await agent.wait_closed(timeout=3)
        assert code == 4001
    await stayer.wait_for(lambda a: a.seqs() == [head + 1])  # alice's member.updated
    assert stayer.closed is None
    # And they cannot come back.
    with pytest.raises(websockets.InvalidStatus):
        await connect(served.address, None, since=head, origin=None, token=secret)
    with pytest.raises(websockets.InvalidStatus):
        await connect(served.address, alice, since=head)
    await stayer.close()
