"""A dead token holds the account's replies; a connection that never reached Meta is
retried; a conversation's replies leave in order."""

from __future__ import annotations

import asyncio
import json

import msgspec

from tests.replies.conftest import MESSAGES_PATH, fail_next, sent_texts, wait_for
from tests.support.live import live_server
from wazify.app import create_app
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.state import FakeGraphState, Messaging


async def test_a_dead_token_fails_one_reply_and_holds_the_others(shop, fake) -> None:
    fail_next(fake, preset="token_expired")
    first = (await shop.reply("before the token died")).json()
    row = await shop.settled(first["id"], "failed")
    assert row["status_reason"].startswith("reconnect required")
    account = await shop.runtime.engine.pool.fetchrow(
        "SELECT status, status_reason FROM ig_accounts WHERE id = $1", shop.account_id
    )
    assert account["status"] == "reconnect_required"
    assert "reconnect required" in account["status_reason"]
    # Everyone sees it: account.updated goes to the whole workspace.
    update = await shop.runtime.engine.pool.fetchrow(
        "SELECT payload::text AS payload, audience_user_id, audience_roles FROM events"
        " WHERE type = 'account.updated' ORDER BY seq DESC LIMIT 1"
    )
    assert json.loads(update["payload"])["account"]["status"] == "reconnect_required"
    assert update["audience_user_id"] is None and update["audience_roles"] is None
    held = [(await shop.reply(f"held {n}")).json() for n in range(3)]
    await asyncio.sleep(1.5)
    assert sent_texts(fake) == ["before the token died"]
    for reply in held:
        assert (await shop.message(reply["id"]))["status"] == "pending"
    # Reconnected (what the OAuth connect flow does to the row): the held replies go.
    await shop.runtime.engine.pool.execute(
        "UPDATE ig_accounts SET status = 'connected', status_reason = '' WHERE id = $1",
        shop.account_id,
    )
    for reply in held:
        await shop.settled(reply["id"], "delivered")
    assert sorted(sent_texts(fake)[1:]) == ["held 0", "held 1", "held 2"]


async def test_other_dead_token_answers_in_flight_are_held_not_failed(shop, fake) -> None:
    # Three conversations sending at once all get 190: one fails, two wait (not sent).
    fail_next(fake, count=3, preset="token_invalid", delay=0.2)
    conversations = [shop.conversation_id]
    for igsid in ("9100000000000001", "9100000000000002"):
        conversations.append(await shop.customer_writes(igsid))
    replies = [(await shop.reply(f"to {cid}", conversation_id=cid)).json() for cid in conversations]
    await wait_for(lambda: _count_requests(fake, 3))
    await asyncio.sleep(0.5)
    statuses = sorted([(await shop.message(r["id"]))["status"] for r in replies])
    assert statuses == ["failed", "pending", "pending"]


async def _count_requests(fake: FakeGraphState, count: int) -> bool:
    return len(fake.requests(MESSAGES_PATH)) >= count


async def test_a_connection_that_never_reached_meta_is_retried(shop, rt, fake) -> None:
    # A Graph API that is down (connection refused), then comes back on the same port.
    url, _, stop = run_fake_graph_in_thread(state=fake)
    port = int(url.rsplit(":", 1)[1])
    stop()
    changed = msgspec.structs.replace(rt.settings, meta_graph_url=url)
    app = create_app(changed, runtime=rt)
    await shop.live.app.state.outbound.stop()  # the shop's own sender stands aside
    async with live_server(app) as address:
        app.state.outbound.worker.backoff_base = 0.2
        webhook = f"http://{address}/webhooks/instagram"
        fake.configure_messaging(
            Messaging(webhook_url=webhook, app_secret=rt.settings.meta_app_secrets[0])
        )
        reply = (await shop.reply("through a flaky network")).json()
        await shop.settled(reply["id"], "pending")
        await wait_for(lambda: _has_reason(shop, reply["id"], "could not reach Meta"))
        assert fake.requests(MESSAGES_PATH) == []
        _, _, stop_again = run_fake_graph_in_thread(port=port, state=fake)
        try:
            row = await shop.settled(reply["id"], "delivered", timeout=15)
        finally:
            stop_again()
    assert row["attempts"] >= 2
    assert sent_texts(fake) == ["through a flaky network"]


async def _has_reason(shop, message_id: int, text: str) -> bool:
    return text in (await shop.message(message_id))["status_reason"]


async def test_a_conversations_replies_leave_in_order(shop, fake) -> None:
    fail_next(fake, count=1, preset="throttled")  # the first is refused and retried
    replies = [(await shop.reply(f"part {n}")).json() for n in range(5)]
    for reply in replies:
        await shop.settled(reply["id"], "delivered")
    assert [sent.message["text"] for sent in fake.sent_messages()] == [
        f"part {n}" for n in range(5)
    ]
