"""Replies held by a dead token say so: from the moment the account is marked (an event per
pending reply), for replies queued meanwhile, for answers recorded after the mark (a
throttled retry does not show an outdated "rate limited"); after a reconnect they drain,
once each."""

from __future__ import annotations

import asyncio

from tests.history.conftest import Shop, events_of, wait_for
from wazify.actions.replies import HELD_REASON
from wazify.fakemeta.state import FailureRule
from wazify.fakemeta.webhooks import ACCOUNT

MESSAGES_PATH = f"/v25.0/{ACCOUNT}/messages"
CUSTOMERS = ["9400000000000001", "9400000000000002", "9400000000000003"]


async def conversations(shop: Shop) -> list[int]:
    ids = []
    for customer in CUSTOMERS:
        await shop.deliver(shop.writes(customer, "hi", ago_ms=1000))
    await wait_for(shop.receipts_processed)
    for customer in CUSTOMERS:
        ids.append(
            await shop.runtime.engine.pool.fetchval(
                "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
                " WHERE ct.igsid = $1",
                customer,
            )
        )
    return ids


async def row(shop: Shop, message_id: int) -> dict:
    found = await shop.runtime.engine.pool.fetchrow(
        "SELECT status, status_reason FROM messages WHERE id = $1", message_id
    )
    return dict(found)


async def test_a_dead_token_holds_every_pending_reply_and_says_so(shop: Shop) -> None:
    await shop.register()
    first, second, third = await conversations(shop)
    sender = shop.live.app.state.outbound.worker
    sender.backoff_base = 5.0  # the throttled reply waits while the token dies
    # The second conversation's reply is throttled first: "rate limited ..., retrying".
    shop.fake.inject_failure(FailureRule(path_prefix=MESSAGES_PATH, preset="throttled"))
    throttled = await shop.reply(second, "throttled first")
    await wait_for(lambda: _reason_has(shop, throttled["id"], "rate limited"))
    seq = (await events_of(shop.runtime, shop.workspace_id))[-1]["seq"]
    shop.fake.inject_failure(FailureRule(path_prefix=MESSAGES_PATH, preset="token_expired"))
    dead = await shop.reply(first, "meets the dead token")
    await wait_for(lambda: _status_is(shop, dead["id"], "failed"))
    assert (await row(shop, dead["id"]))["status_reason"].startswith("reconnect required")
    assert await row(shop, throttled["id"]) == {"status": "pending", "status_reason": HELD_REASON}
    events = await events_of(shop.runtime, shop.workspace_id, seq)
    held_events = [
        e["message"]["id"]
        for e in events
        if e["type"] == "message.updated" and e["message"]["status_reason"] == HELD_REASON
    ]
    assert held_events == [throttled["id"]]  # live, not only on a reload
    later = await shop.reply(third, "queued afterwards")
    assert later["status_reason"] == HELD_REASON
    await asyncio.sleep(0.5)
    assert [m.message["text"] for m in shop.fake.sent_messages()] == []

    # Reconnected: the held replies lose their reason and go, once each.
    await shop.connect()
    for message_id in (throttled["id"], later["id"]):
        await wait_for(lambda m=message_id: _status_is(shop, m, "delivered"))
        assert (await row(shop, message_id))["status_reason"] == ""
    texts = sorted(m.message["text"] for m in shop.fake.sent_messages())
    assert texts == ["queued afterwards", "throttled first"]


async def test_an_answer_recorded_after_the_mark_says_held(shop: Shop) -> None:
    await shop.register()
    first, second, _ = await conversations(shop)
    # Two sends in flight: one meets the dead token, the other's throttled answer comes
    # back after the account was marked.
    shop.fake.inject_failure(
        FailureRule(path_prefix=MESSAGES_PATH, preset="token_invalid", count=1, delay=0.1)
    )
    shop.fake.inject_failure(
        FailureRule(path_prefix=MESSAGES_PATH, preset="throttled", count=1, delay=0.6)
    )
    sender = shop.live.app.state.outbound.worker
    await sender.stop()  # both are queued before either is claimed
    replies = [await shop.reply(first, "one"), await shop.reply(second, "two")]
    sender.start()
    await wait_for(lambda: _count_requests(shop, 2))

    async def both_answered() -> bool:  # the throttled answer comes back 0.6 s late
        states = {(await row(shop, r["id"]))["status"] for r in replies}
        return "sending" not in states

    await wait_for(both_answered)
    rows = sorted([await row(shop, r["id"]) for r in replies], key=lambda r: r["status"])
    assert rows[0]["status"] == "failed" and rows[0]["status_reason"].startswith("reconnect")
    assert rows[1] == {"status": "pending", "status_reason": HELD_REASON}


async def _count_requests(shop: Shop, count: int) -> bool:
    return len(shop.fake.requests(MESSAGES_PATH)) >= count


async def _status_is(shop: Shop, message_id: int, status: str) -> bool:
    return (await row(shop, message_id))["status"] == status


async def _reason_has(shop: Shop, message_id: int, text: str) -> bool:
    return text in (await row(shop, message_id))["status_reason"]
