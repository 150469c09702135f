"""The snooze sweeper: a pending conversation opens again when its time comes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.conversations.conftest import assert_converges, audits, head, logged, snapshot
from wazify.workers.sweepers import SnoozeSweeper


async def snooze(client, member, cid: int, seconds: float) -> None:
    until = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
    response = await client.post(
        f"/api/v1/conversations/{cid}/status",
        json={"status": "pending", "snoozed_until": until},
        headers=member.headers,
    )
    assert response.status_code == 200, response.text


async def state(db, cid: int) -> tuple[str, datetime | None]:
    row = await db.fetchrow("SELECT status, snoozed_until FROM conversations WHERE id = $1", cid)
    return row["status"], row["snoozed_until"]


async def test_the_sweeper_wakes_a_snoozed_conversation(app, shop, client, db) -> None:
    await app.state.snoozes.stop()  # this test runs the sweeper itself
    cid, later = await shop.conversation(), await shop.conversation()
    await snooze(client, shop.agent, cid, 1)
    await snooze(client, shop.agent, later, 3600)
    sweeper = SnoozeSweeper(shop.runtime)
    assert await sweeper.wake_due() == 0
    assert (await state(db, cid))[0] == "pending"
    before, seq = await snapshot(client, shop.agent2), await head(db, shop.workspace_id)

    await asyncio.sleep(1.05)
    assert await sweeper.wake_due() == 1

    assert await state(db, cid) == ("open", None)
    assert (await state(db, later))[0] == "pending"
    [event] = await logged(db, shop.workspace_id, seq)
    assert (event["type"], event["_audience"]) == ("conversation.updated", (None, None))
    assert (event["conversation"]["id"], event["conversation"]["status"]) == (cid, "open")
    assert event["conversation"]["snoozed_until"] is None
    [entry] = await audits(db, shop.workspace_id, "conversation.woken")
    assert (entry["actor_id"], entry["actor_label"]) == (None, "snooze-sweeper")
    assert (entry["before"]["status"], entry["after"]) == (
        "pending",
        {"status": "open", "snoozed_until": None},
    )
    await assert_converges(client, db, shop.agent2, before)
    assert await sweeper.wake_due() == 0


async def test_the_running_sweeper_wakes_them_on_time(app, shop, client, db) -> None:
    await app.state.snoozes.stop()
    sweeper = SnoozeSweeper(shop.runtime, interval=0.2, batch_size=2)
    sweeper.start()
    try:
        cids = [await shop.conversation() for _ in range(5)]
        for cid in cids:
            await snooze(client, shop.agent, cid, 0.5)
        async with asyncio.timeout(5):
            while await db.fetchval("SELECT count(*) FROM conversations WHERE status = 'pending'"):
                await asyncio.sleep(0.05)
    finally:
        await sweeper.stop()
    woken = [
        e["conversation"]["id"]
        for e in await logged(db, shop.workspace_id, 0)
        if e["type"] == "conversation.updated" and e["conversation"]["status"] == "open"
    ]
    assert sorted(woken) == sorted(cids)


async def test_a_customer_message_wakes_it_first(app, shop, client, db) -> None:
    await app.state.snoozes.stop()
    cid = await shop.conversation("first")
    await snooze(client, shop.agent, cid, 3600)
    igsid = await db.fetchval(
        "SELECT ct.igsid FROM contacts ct JOIN conversations c ON c.contact_id = ct.id"
        " WHERE c.id = $1",
        cid,
    )
    await shop.conversation("are you there?", igsid=igsid)
    assert await state(db, cid) == ("open", None)
    assert await SnoozeSweeper(shop.runtime).wake_due() == 0
