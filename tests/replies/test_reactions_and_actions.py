"""Reactions (react, change, unreact) and the sender actions typing_on and mark_seen."""

from __future__ import annotations

import asyncio
import json

import websockets

from tests.replies.conftest import CUSTOMER, ORIGIN, fail_next, wait_for
from wazify.workers.sender_actions import after_conversation_read


async def _customer_message(shop) -> dict:
    row = await shop.runtime.engine.pool.fetchrow(
        "SELECT id, mid FROM messages WHERE conversation_id = $1 AND direction = 'in'"
        " ORDER BY id DESC LIMIT 1",
        shop.conversation_id,
    )
    return dict(row)


async def _react(shop, message_id: int, emoji):
    url = f"/api/v1/conversations/{shop.conversation_id}/messages/{message_id}/reactions"
    return await shop.live.http.post(url, json={"emoji": emoji}, headers=shop.agent.headers)


async def test_react_change_and_unreact(shop, fake) -> None:
    target = await _customer_message(shop)
    first = await _react(shop, target["id"], "\u2764\ufe0f")
    assert first.status_code == 200, first.text
    assert [(r["reactor_kind"], r["emoji"]) for r in first.json()["reactions"]] == [
        ("user", "\u2764\ufe0f")
    ]
    changed = await _react(shop, target["id"], "\U0001f602")
    assert [r["emoji"] for r in changed.json()["reactions"]] == ["\U0001f602"]
    removed = await _react(shop, target["id"], None)
    assert removed.json()["reactions"] == []
    actions = [(a.action, a.payload, a.recipient_id) for a in fake.sender_actions()]
    assert actions == [
        ("react", {"message_id": target["mid"], "reaction": "\u2764\ufe0f"}, CUSTOMER),
        ("react", {"message_id": target["mid"], "reaction": "\U0001f602"}, CUSTOMER),
        ("unreact", {"message_id": target["mid"]}, CUSTOMER),
    ]
    # Shown live: one reaction.changed per change, for the whole workspace.
    rows = await shop.runtime.engine.pool.fetch(
        "SELECT payload::text AS payload FROM events WHERE type = 'reaction.changed' ORDER BY seq"
    )
    assert [len(json.loads(row["payload"])["reactions"]) for row in rows] == [1, 1, 0]


async def test_only_a_customers_message_gets_a_reaction(shop, fake) -> None:
    reply = (await shop.reply("ours")).json()
    response = await _react(shop, reply["id"], "\u2764\ufe0f")
    assert response.status_code == 400
    assert fake.sender_actions() == []


async def test_a_refused_reaction_is_not_recorded(shop, fake) -> None:
    target = await _customer_message(shop)
    fail_next(fake, preset="user_unavailable")
    refused = await _react(shop, target["id"], "\u2764\ufe0f")
    assert refused.status_code == 502 and "isn't available" in refused.json()["error"]["message"]
    fail_next(fake, preset="token_invalid")
    dead = await _react(shop, target["id"], "\u2764\ufe0f")
    assert dead.status_code == 409 and dead.json()["error"]["code"] == "reconnect_required"
    status = await shop.runtime.engine.pool.fetchval(
        "SELECT status FROM ig_accounts WHERE id = $1", shop.account_id
    )
    assert status == "reconnect_required"
    assert not await shop.runtime.engine.pool.fetchval("SELECT count(*) FROM reactions")


async def _socket(shop):
    return await websockets.connect(
        f"ws://{shop.live.address}/api/v1/ws?since=0",
        additional_headers={**shop.agent.cookie_only, "Origin": ORIGIN},
    )


def _actions(fake, name: str) -> list:
    return [a for a in fake.sender_actions() if a.action == name]


async def test_typing_sends_typing_on_debounced(shop, fake) -> None:
    async with await _socket(shop) as socket:
        for _ in range(4):
            frame = {"type": "typing", "conversation_id": shop.conversation_id}
            await socket.send(json.dumps(frame))
            await asyncio.sleep(0.35)
        await wait_for(lambda: asyncio.sleep(0, result=_actions(fake, "typing_on")))
        await asyncio.sleep(0.3)
    typing = _actions(fake, "typing_on")
    assert len(typing) == 1 and typing[0].recipient_id == CUSTOMER


async def test_opening_a_conversation_with_unread_messages_marks_it_seen(shop, fake) -> None:
    async with await _socket(shop) as socket:
        viewing = {"type": "viewing", "conversation_id": shop.conversation_id}
        await socket.send(json.dumps(viewing))
        await wait_for(lambda: asyncio.sleep(0, result=_actions(fake, "mark_seen")))
        await socket.send(json.dumps({"type": "viewing", "conversation_id": None}))
        await socket.send(json.dumps(viewing))  # nothing new: no second mark_seen
        await asyncio.sleep(0.4)
    assert len(_actions(fake, "mark_seen")) == 1
    # Marked read (the conversations API calls this hook): only new customer messages count.
    await after_conversation_read(shop.runtime, shop.conversation_id)
    await asyncio.sleep(0.3)
    assert len(_actions(fake, "mark_seen")) == 1
    await shop.customer_writes(text="one more thing")
    await after_conversation_read(shop.runtime, shop.conversation_id)
    await wait_for(lambda: asyncio.sleep(0, result=len(_actions(fake, "mark_seen")) == 2))
