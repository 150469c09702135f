"""Reconciliation: a gap in the webhooks healed through the Conversations API, webhooks
arriving while an import runs, and what notices a gap (start-up, silence, reconnect)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.history.conftest import CONVERSATIONS_PATH, HOUR_MS, Shop, events_of, wait_for
from wazify.fakemeta.oauth import oauth_state
from wazify.fakemeta.state import FailureRule
from wazify.fakemeta.webhooks import ACCOUNT
from wazify.meta.oauth import WEBHOOK_FIELDS

CUSTOMERS = [f"92000000000000{n:02d}" for n in range(12)]


async def test_a_gap_in_the_webhooks_is_healed_by_a_resync(shop: Shop) -> None:
    await shop.register()
    delivered = [
        shop.writes(c, f"before the outage {c}", ago_ms=2 * HOUR_MS) for c in CUSTOMERS[:3]
    ]
    for item in delivered:
        await shop.deliver(item)
    await wait_for(shop.receipts_processed)
    # Webhooks stop reaching us: these exist only on Meta's side.
    missed = [shop.writes(c, f"during the outage {c}", ago_ms=HOUR_MS) for c in CUSTOMERS[1:5]]
    missed.append(
        shop.writes(CUSTOMERS[0], "answered from the phone", ago_ms=HOUR_MS - 1000, business=True)
    )
    seq = (await events_of(shop.runtime, shop.workspace_id))[-1]["seq"]
    job = await shop.finished((await shop.resync(days=1))["id"])
    assert job["state"] == "done" and job["messages_imported"] == len(missed)
    mids = await shop.mids()
    assert sorted(mids) == sorted(m.mid for m in delivered + missed)  # each once
    events = await events_of(shop.runtime, shop.workspace_id, seq)
    created = [e["message"]["mid"] for e in events if e["type"] == "message.created"]
    assert sorted(created) == sorted(m.mid for m in missed)
    new_conversations = [e for e in events if e["type"] == "conversation.created"]
    assert len(new_conversations) == 2  # CUSTOMERS[3] and [4] wrote only during the gap
    # Customer 0's missed message was the business's own answer: no unread for it.
    unread = await shop.runtime.engine.pool.fetch(
        "SELECT ct.igsid, c.unread_count FROM conversations c"
        " JOIN contacts ct ON ct.id = c.contact_id"
    )
    assert {row["igsid"]: row["unread_count"] for row in unread} == {
        CUSTOMERS[0]: 1,
        CUSTOMERS[1]: 2,
        CUSTOMERS[2]: 2,
        CUSTOMERS[3]: 1,
        CUSTOMERS[4]: 1,
    }


async def test_webhooks_during_an_import_lose_nothing_and_store_nothing_twice(shop: Shop) -> None:
    await shop.register()
    items = [shop.writes(c, f"first {c}", ago_ms=3 * HOUR_MS - n) for n, c in enumerate(CUSTOMERS)]
    shop.live.importer.page_size = 3
    # Every Graph call of the walk is slow: webhooks overtake it.
    shop.fake.inject_failure(
        FailureRule(path_prefix="/v25.0/", method="GET", count=1000, delay=0.25)
    )
    job = await shop.resync(days=1)
    late = []
    for n, customer in enumerate(CUSTOMERS):
        # Half of the old messages also come by webhook (both ways), and every customer
        # writes again: their threads jump to the top of the list, behind the walk's cursor.
        if n % 2 == 0:
            await shop.deliver(items[n])
        fresh = shop.writes(customer, f"again {customer}")
        late.append(fresh)
        if n % 3 == 0:
            await shop.deliver(fresh)  # the others' webhooks are lost
        await asyncio.sleep(0.1)
    job = await shop.finished(job["id"], timeout=40)
    await wait_for(shop.receipts_processed)
    shop.fake.failures.clear()
    assert job["state"] == "done", job
    mids = await shop.mids()
    assert len(mids) == len(set(mids))  # stored once
    assert set(mids) == {m.mid for m in items + late}  # and none lost


async def test_the_walk_pages_through_every_thread(shop: Shop) -> None:
    await shop.register()
    for n, customer in enumerate(CUSTOMERS):
        shop.writes(customer, f"hello {n}", ago_ms=HOUR_MS + n * 1000)
    shop.live.importer.page_size = 5
    job = await shop.finished((await shop.resync(days=1))["id"])
    assert job["conversations_done"] == len(CUSTOMERS)
    lists = shop.fake.requests(CONVERSATIONS_PATH)
    # Three pages of the window, then one catch-up page (nothing moved meanwhile).
    assert [("after" in r.query) for r in lists] == [False, True, True, False]
    assert all(r.query["limit"] == "5" and r.query["platform"] == "instagram" for r in lists)
    for request in shop.fake.requests("/v25.0/"):
        assert "access_token" not in request.query  # the token travels in a header
        assert request.headers["authorization"].startswith("Bearer ")


async def test_the_start_up_check_resyncs_accounts_whose_last_webhook_is_old(shop: Shop) -> None:
    await shop.register()
    pool = shop.runtime.engine.pool
    await pool.execute(
        "UPDATE ig_accounts SET last_webhook_at = now() - interval '3 hours' WHERE id = $1",
        shop.account_id,
    )
    missed = shop.writes(CUSTOMERS[0], "while the server was down", ago_ms=HOUR_MS)
    assert await shop.live.reconciler.after_restart() == [shop.account_id]
    job = await shop.finished()
    assert (job["trigger"], job["state"], job["messages_imported"]) == ("server_restart", "done", 1)
    assert await shop.mids() == [missed.mid]
    # The gap starts a little before the last webhook, not at the window's start.
    since = await pool.fetchval("SELECT since FROM import_jobs")
    last = await pool.fetchval("SELECT last_webhook_at FROM ig_accounts")
    assert timedelta(0) < last - since <= timedelta(minutes=10)
    assert await shop.live.reconciler.after_restart() == []  # one resync per outage


async def test_silence_while_replies_go_out_triggers_a_resync(shop: Shop) -> None:
    await shop.register()
    first = shop.writes(CUSTOMERS[0], "hello", ago_ms=HOUR_MS)
    await shop.deliver(first)
    await wait_for(shop.receipts_processed)
    pool = shop.runtime.engine.pool
    conversation_id = await pool.fetchval("SELECT id FROM conversations")
    assert await shop.live.reconciler.detect_silence() == []
    # A reply Meta accepted 20 minutes ago whose echo never came, and no webhook since.
    await pool.execute(
        "INSERT INTO messages (workspace_id, conversation_id, account_id, direction, source,"
        " text, status, sending_at, sent_at, mid) VALUES ($1, $2, $3, 'out', 'agent', 'ok',"
        " 'sent', now() - interval '20 minutes', now() - interval '20 minutes', 'sent-mid')",
        shop.workspace_id,
        conversation_id,
        shop.account_id,
    )
    await pool.execute("UPDATE ig_accounts SET last_webhook_at = now() - interval '30 minutes'")
    missed = shop.writes(CUSTOMERS[1], "nobody told you", ago_ms=60_000)
    oauth_state(shop.fake).drop_subscription(ACCOUNT)  # Meta gave up on us
    assert await shop.live.reconciler.detect_silence() == [shop.account_id]
    assert oauth_state(shop.fake).subscriptions[ACCOUNT] == list(WEBHOOK_FIELDS)
    job = await shop.finished()
    assert (job["trigger"], job["state"]) == ("webhook_silence", "done")
    assert missed.mid in await shop.mids()
    assert await shop.live.reconciler.detect_silence() == []  # that send led to one resync
