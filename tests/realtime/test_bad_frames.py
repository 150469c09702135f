"""A bad frame gets an error frame and harms nobody: an id beyond bigint in `viewing` used
to break the presence flush (the whole workspace then looked offline) and one in `typing`
closed the sender's socket with 4500. Two real agents: the sender keeps a usable socket,
the other still sees presence, viewing and typing correctly."""

from __future__ import annotations

from tests.realtime.conftest import connect

HUGE = 2**70


def presence_of(agent, user_id: int) -> str | None:
    states = [f["state"] for f in agent.of_type("presence") if f["user_id"] == user_id]
    return states[-1] if states else None


async def test_out_of_range_ids_get_error_frames_and_affect_nobody(server, world) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    bob = await world.member(workspace_id, "bob@example.com")
    bobs = await (await connect(server, bob, since=0)).wait_ready()
    alices = await (await connect(server, alice, since=0)).wait_ready()
    await bobs.wait_for(lambda a: presence_of(a, alice.user_id) == "online")

    bad = [
        {"type": "viewing", "conversation_id": HUGE},
        {"type": "viewing", "conversation_id": 2**63},
        {"type": "typing", "conversation_id": HUGE},
        {"type": "typing", "conversation_id": 0},
        {"type": "viewing", "conversation_id": -1},
        # Nesting ahead of the tag, which the decoder must skip before it knows the type.
        '{"conversation_id": ' + "[" * 5000 + "]" * 5000 + ', "type": "typing"}',
    ]
    for frame in bad:
        await alices.send(frame)
    await alices.wait_for(lambda a: len(a.of_type("error")) == len(bad))
    assert {error["code"] for error in alices.of_type("error")} == {"bad_frame"}

    # The sender's socket is open and usable...
    await alices.send({"type": "ping"})
    await alices.wait_for(lambda a: a.of_type("pong"))
    assert alices.closed is None
    # ... and the others see its presence, viewing and typing as before.
    await alices.send({"type": "presence", "state": "away"})
    await bobs.wait_for(lambda a: presence_of(a, alice.user_id) == "away")
    await alices.send({"type": "viewing", "conversation_id": 7})
    viewing = {"type": "viewing", "conversation_id": 7, "user_ids": [alice.user_id]}
    await bobs.wait_for(lambda a: viewing in a.of_type("viewing"))
    await alices.send({"type": "typing", "conversation_id": 7})
    await bobs.wait_for(lambda a: a.of_type("typing"))
    assert bobs.of_type("typing") == [
        {"type": "typing", "conversation_id": 7, "user_id": alice.user_id, "name": "alice"}
    ]
    assert not bobs.of_type("error") and bobs.closed is None
    # A newcomer's snapshot of presence is right too.
    carol = await world.member(workspace_id, "carol@example.com")
    carols = await (await connect(server, carol, since=0)).wait_ready()
    await carols.send({"type": "ping"})
    await carols.wait_for(lambda a: a.of_type("pong"))
    for agent in (alices, bobs, carols):
        await agent.close()


async def test_a_cursor_beyond_bigint_is_since_required(server, world) -> None:
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    for since in (str(2**63), str(HUGE), "\u00b2", "1" * 5000):
        agent = await connect(server, alice, since=since)  # type: ignore[arg-type]
        assert await agent.wait_closed() == (1008, "since required"), since
        assert agent.frames[0]["code"] == "since_required"
