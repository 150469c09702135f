"""The live stream: replay then live, ready frame, authentication, client frames, isolation."""

from __future__ import annotations

import pytest
import websockets

from tests.realtime.conftest import connect, emit, register_account
from wazify.actions.auth import do_create_token
from wazify.actions.uow import Actor, unit_of_work
from wazify.realtime.events import only


async def test_replay_then_live_in_order(server, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com", "agent")
    await register_account(runtime, workspace_id)  # seq 2 (member.updated was 1)
    agent = await connect(server, alice, since=0)
    await agent.wait_for(lambda a: a.of_type("ready"))
    replayed = [event["seq"] for event in agent.events()]
    assert replayed == [1, 2]
    assert agent.of_type("ready")[0]["seq"] == 2
    assert agent.frames.index(agent.of_type("ready")[0]) == 2  # after the replayed events
    await world.member(workspace_id, "bob@example.com", "agent")  # seq 3, live
    await agent.wait_for(lambda a: len(a.events()) == 3)
    assert [event["seq"] for event in agent.events()] == [1, 2, 3]
    assert agent.events()[2]["member"]["email"] == "bob@example.com"
    assert set(agent.events()[2]) == {"type", "seq", "workspace_id", "at", "member"}
    await agent.close()


async def test_resume_from_a_cursor_replays_only_what_follows(server, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    await emit(runtime, workspace_id, 5)  # seqs 2..6
    agent = await connect(server, alice, since=4)
    await agent.wait_ready()
    assert agent.seqs() == [5, 6]
    assert agent.of_type("ready") == [{"type": "ready", "seq": 6}]
    await agent.close()
    # Nothing new: ready straight away, nothing replayed.
    agent = await connect(server, alice, since=6)
    await agent.wait_ready()
    assert agent.frames[0] == {"type": "ready", "seq": 6}
    await agent.close()


async def test_foreign_origin_is_refused_before_the_handshake(server, world) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    for origin in ("https://evil.example", None):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await connect(server, alice, origin=origin)
        assert refused.value.response.status_code == 403


async def test_no_session_is_refused(server, world) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"ws://{server}/api/v1/ws?since=0")
    assert refused.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus) as refused:
        await connect(server, None, token="wz_not-a-token")
    assert refused.value.response.status_code == 403


async def test_a_bearer_token_connects_without_origin(server, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com", session=False)
    async with unit_of_work(runtime, Actor.system("test")) as uow:
        _, secret = await do_create_token(uow, workspace_id, alice.user_id, "script")
    agent = await connect(server, None, since=0, origin=None, token=secret)
    await agent.wait_ready()
    assert agent.seqs() == [1]
    await agent.close()


async def test_since_is_required(server, world) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    for since in (None, "abc", "-1"):
        agent = await connect(server, alice, since=since)  # type: ignore[arg-type]
        assert await agent.wait_closed() == (1008, "since required")
        assert agent.frames[0]["type"] == "error"
        assert agent.frames[0]["code"] == "since_required"


async def test_malformed_client_frames_get_errors_and_the_socket_stays_usable(
    server, world, runtime
) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    agent = await connect(server, alice, since=1)
    await agent.wait_ready()
    bad = [
        "not json",
        "[]",
        '{"no": "type"}',
        '{"type": "dance"}',
        '{"type": "typing"}',
        '{"type": "typing", "conversation_id": "seven"}',
        '{"type": "presence", "state": "offline"}',
        '{"type": "ping", "extra": 1}',
        b"\x00\x01binary",
        "",
    ]
    for frame in bad:
        await agent.send(frame)
    await agent.wait_for(lambda a: len(a.of_type("error")) == len(bad))
    errors = agent.of_type("error")
    assert all(error["code"] == "bad_frame" and error["message"] for error in errors)
    await agent.send({"type": "ping"})
    await agent.wait_for(lambda a: a.of_type("pong"))
    (seq,) = await emit(runtime, workspace_id)
    await agent.wait_for(lambda a: a.seqs() == [seq])
    assert agent.closed is None
    await agent.close()


async def test_nothing_from_another_workspace_is_ever_received(server, world, runtime) -> None:
    shop = await world.workspace("shop")
    other = await world.workspace("other")
    alice = await world.member(shop, "alice@example.com", "admin")
    mallory = await world.member(other, "mallory@example.com", "admin")
    await emit(runtime, other, 3)
    watcher = await connect(server, alice, since=0)
    intruder = await connect(server, mallory, since=0)
    await watcher.wait_ready()
    await intruder.wait_ready()
    await emit(runtime, shop, 2)
    await emit(runtime, other, 2)
    await watcher.wait_for(lambda a: len(a.events()) == 3)
    await intruder.wait_for(lambda a: len(a.events()) == 6)
    # Signals stay in their workspace too.
    await intruder.send({"type": "typing", "conversation_id": 1})
    await intruder.send({"type": "viewing", "conversation_id": 1})
    await intruder.send({"type": "ping"})
    await intruder.wait_for(lambda a: a.of_type("pong"))  # handled in order: signals sent
    await watcher.send({"type": "ping"})
    await watcher.wait_for(lambda a: a.of_type("pong"))
    bob = await world.member(shop, "bob@example.com")
    late = await connect(server, bob, since=0)  # replay filters by workspace as well
    await late.wait_ready()
    for agent, workspace_id in ((watcher, shop), (late, shop), (intruder, other)):
        assert {event["workspace_id"] for event in agent.events()} == {workspace_id}
        assert agent.seqs() == sorted(agent.seqs())
    assert not watcher.of_type("typing") and not watcher.of_type("viewing")
    assert mallory.user_id not in {f["user_id"] for f in watcher.of_type("presence")}
    for agent in (watcher, intruder, late):
        await agent.close()


async def test_a_long_replay_crosses_pages_in_order_and_filtered(server, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    bob = await world.member(workspace_id, "bob@example.com")
    visible = []
    for block in range(5):  # 2,500 events, one in three for bob alone
        seqs = await emit(runtime, workspace_id, 333)
        visible += seqs
        hidden = await emit(runtime, workspace_id, 167, audience=only(bob.user_id))
        assert hidden[0] == seqs[-1] + 1, block
    agent = await connect(server, alice, since=2)
    await agent.wait_ready(timeout=20)
    assert agent.seqs() == visible
    assert agent.of_type("ready") == [{"type": "ready", "seq": hidden[-1]}]
    await agent.close()
