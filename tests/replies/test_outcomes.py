"""Every outcome of a send, through the fake Graph API: the state machine of ARCHITECTURE.md
("Replies out") as the rows and the logged events show it, and what the fake received."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.replies.conftest import MESSAGES_PATH, fail_next, sent_texts, statuses_of, wait_for
from wazify.fakemeta.state import Messaging


async def test_a_reply_is_pending_and_shown_before_meta_is_called(shop, fake) -> None:
    fail_next(fake, delay=0.6)  # Meta holds its answer
    response = await shop.reply("Your order ships today.")
    assert response.status_code == 201, response.text
    reply = response.json()
    assert (reply["status"], reply["direction"], reply["source"]) == ("pending", "out", "agent")
    await wait_for(lambda: asyncio.sleep(0, result=len(fake.requests(MESSAGES_PATH)) == 1))
    # While Meta is still deciding, the reply is already in the log, announced as pending.
    created = await shop.runtime.engine.pool.fetchrow(
        "SELECT payload::text AS payload FROM events WHERE type = 'message.created'"
        " AND (payload::jsonb -> 'message' ->> 'id')::bigint = $1",
        reply["id"],
    )
    assert json.loads(created["payload"])["message"]["status"] == "pending"
    row = await shop.settled(reply["id"], "delivered")
    [sent] = fake.sent_messages()
    assert row["mid"] == sent.mid and row["status_reason"] == ""
    assert sent.message == {"text": "Your order ships today."} and sent.recipient_id
    request = json.loads(fake.requests(MESSAGES_PATH)[0].body)
    assert request["messaging_type"] == "RESPONSE" and "tag" not in request
    statuses = await statuses_of(shop.runtime, shop.workspace_id, reply["id"])
    assert statuses[:2] == ["pending", "sending"] and statuses[-1] == "delivered"
    assert set(statuses) <= {"pending", "sending", "sent", "delivered"}
    assert (
        await shop.runtime.engine.pool.fetchval(
            "SELECT count(*) FROM messages WHERE direction = 'out'"
        )
        == 1
    )


async def test_accepted_without_echo_yet_is_sent_with_metas_mid(shop, fake) -> None:
    fake.configure_messaging(Messaging())  # no webhooks back: only the Send API's answer
    reply = (await shop.reply("accepted")).json()
    row = await shop.settled(reply["id"], "sent")
    assert row["mid"] == fake.sent_messages()[0].mid and row["lease_until"] is None
    statuses = await statuses_of(shop.runtime, shop.workspace_id, reply["id"])
    assert statuses == ["pending", "sending", "sent"]


async def test_a_read_receipt_moves_the_reply_to_read(shop, fake) -> None:
    fake.configure_messaging(Messaging(**{**_messaging(fake), "read_receipts": True}))
    reply = (await shop.reply("Seen?")).json()
    await shop.settled(reply["id"], "read")
    seen = await shop.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM events WHERE type = 'messages.seen'"
    )
    assert seen == 1


def _messaging(fake) -> dict:
    config = fake.messaging
    return {"webhook_url": config.webhook_url, "app_secret": config.app_secret}


@pytest.mark.parametrize(
    ("preset", "reason"),
    [
        ("window_closed", "outside the messaging window (Meta error 10/2534022)"),
        ("window_closed_legacy", "outside the messaging window (Meta error 10/2018278)"),
        ("user_unavailable", "this person isn't available right now (Meta error 551/1545041)"),
        ("permission", "permission missing (Meta error 200/2534041)"),
        ("restricted", "Meta refused the message (error 10/1893063)"),
    ],
)
async def test_definite_refusals_fail_at_once_and_are_never_resent(
    shop, fake, preset, reason
) -> None:
    fail_next(fake, preset=preset)
    reply = (await shop.reply(f"about {preset}")).json()
    row = await shop.settled(reply["id"], "failed")
    assert row["status_reason"].startswith(reason), row["status_reason"]
    await asyncio.sleep(0.3)
    assert sent_texts(fake) == [f"about {preset}"]
    assert fake.sent_messages() == []


@pytest.mark.parametrize(
    "preset",
    ["throttled", "user_throttled", "page_throttled", "custom_throttled", "business_throttled"],
)
async def test_throttling_backs_off_and_retries(shop, fake, preset) -> None:
    fail_next(fake, count=2, preset=preset)
    reply = (await shop.reply(f"throttled by {preset}")).json()
    row = await shop.settled(reply["id"], "delivered")
    # Refused twice (provably not sent), then sent once.
    assert sent_texts(fake) == [f"throttled by {preset}"] * 3
    assert len(fake.sent_messages()) == 1 and row["attempts"] == 3
    statuses = await statuses_of(shop.runtime, shop.workspace_id, reply["id"])
    assert statuses[:5] == ["pending", "sending", "pending", "sending", "pending"]


async def test_backoff_grows_with_jitter(live) -> None:
    worker = live.worker
    worker.backoff_base, worker.backoff_cap = 1.0, 60.0
    first = {worker.backoff(1).total_seconds() for _ in range(50)}
    assert all(0.5 <= value <= 1.0 for value in first) and len(first) > 10
    assert all(8.0 <= worker.backoff(5).total_seconds() <= 16.0 for _ in range(20))
    assert all(30.0 <= worker.backoff(30).total_seconds() <= 60.0 for _ in range(20))


async def test_a_timeout_is_unknown_and_its_echo_delivers_it(shop, fake) -> None:
    fail_next(fake, delay=1.6)  # longer than the 1 s send timeout; Meta sends it anyway
    reply = (await shop.reply("slow but sent")).json()
    await shop.settled(reply["id"], "unknown")
    row = await shop.settled(reply["id"], "delivered")
    [sent] = fake.sent_messages()
    assert row["mid"] == sent.mid
    assert sent_texts(fake) == ["slow but sent"]  # never resent
    statuses = await statuses_of(shop.runtime, shop.workspace_id, reply["id"])
    assert statuses == ["pending", "sending", "unknown", "delivered"]
    assert await _outgoing(shop) == 1


async def test_a_timeout_without_echo_fails_as_outcome_unknown(shop, fake) -> None:
    fail_next(fake, delay=1.6, status=500)  # times out, and Meta never sent it
    reply = (await shop.reply("lost in transit")).json()
    row = await shop.settled(reply["id"], "unknown")
    assert "may have been sent" in row["status_reason"]
    row = await shop.settled(reply["id"], "failed", timeout=10)
    assert row["status_reason"].startswith("outcome unknown: no echo from Meta within 2 seconds")
    assert sent_texts(fake) == ["lost in transit"]


@pytest.mark.parametrize("status", [500, 503])
async def test_a_5xx_is_unknown_and_resolved_by_its_echo(shop, fake, status) -> None:
    fail_next(fake, status=status, deliver=True)  # an error answer, but the message went out
    reply = (await shop.reply(f"went out despite {status}")).json()
    row = await shop.settled(reply["id"], "delivered")
    assert row["mid"] == fake.sent_messages()[0].mid
    assert sent_texts(fake) == [f"went out despite {status}"]
    assert "unknown" in await statuses_of(shop.runtime, shop.workspace_id, reply["id"])


async def test_a_5xx_without_echo_fails_as_outcome_unknown(shop, fake) -> None:
    fail_next(fake, preset="server_error")
    reply = (await shop.reply("maybe")).json()
    row = await shop.settled(reply["id"], "failed", timeout=10)
    assert row["status_reason"].startswith("outcome unknown")
    assert sent_texts(fake) == ["maybe"]


async def test_an_echo_before_the_answer_is_matched_not_stored_twice(shop, fake) -> None:
    fake.configure_messaging(Messaging(**_messaging(fake), echo_before=1.0, echo_lead=0.4))
    texts = ["first", "second", "first"]  # the same text twice: each echo finds its own
    replies = [(await shop.reply(text)).json() for text in texts]
    rows = [await shop.settled(reply["id"], "delivered") for reply in replies]
    mids = {sent.mid for sent in fake.sent_messages()}
    assert {row["mid"] for row in rows} == mids and len(mids) == 3
    assert await _outgoing(shop) == 3
    assert not await shop.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM messages WHERE source = 'instagram_app'"
    )
    for reply in replies:
        statuses = await statuses_of(shop.runtime, shop.workspace_id, reply["id"])
        assert statuses == ["pending", "sending", "delivered"]


async def _outgoing(shop) -> int:
    return await shop.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM messages WHERE direction = 'out'"
    )
