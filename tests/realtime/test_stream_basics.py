"""The live stream: replay then live, ready frame, origin check, audiences."""

from __future__ import annotations

import pytest
import websockets

from tests.realtime.conftest import connect, register_account


async def test_replay_then_live_in_order(server, world, runtime) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com", "agent")
    await register_account(runtime, workspace_id)  # seq 2 (member.updated was 1)
    agent = await connect(server, alice, since=0)
    await agent.wait_for(lambda a: a.of_type("ready"))
    replayed = [event["seq"] for event in agent.events()]
    assert replayed == [1, 2]
    assert agent.of_type("ready")[0]["seq"] == 2
    await world.member(workspace_id, "bob@example.com", "agent")  # seq 3, live
    await agent.wait_for(lambda a: len(a.events()) == 3)
    assert [event["seq"] for event in agent.events()] == [1, 2, 3]
    assert agent.events()[2]["member"]["email"] == "bob@example.com"
    await agent.close()


async def test_foreign_origin_is_refused_before_the_handshake(server, world) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await connect(server, alice, origin="https://evil.example")
    assert refused.value.response.status_code == 403


async def test_no_session_is_refused(server, world) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"ws://{server}/api/v1/ws?since=0")
    assert refused.value.response.status_code == 403
