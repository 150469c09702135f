"""Exactly once under concurrency: concurrent deliveries, several processors at once, and an
effect racing its own message."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from tests.webhooks.conftest import (
    SYSTEM,
    at_ms,
    event_log,
    insert_reply,
    make_conversation,
    post_webhook,
    settle,
)
from wazify.actions.inbound import AccountRef, InboundResult, do_apply_inbound
from wazify.actions.inbound_parties import upsert_contacts, upsert_conversations
from wazify.actions.message_locks import lock_message_keys
from wazify.actions.uow import unit_of_work
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ALL_CASES,
    BUSINESS_SEQ,
    CONTACT,
    TS_MS,
    body,
    encode_body,
    entry,
    make_mid,
    reaction,
    text_message,
)
from wazify.meta.normalize import normalize
from wazify.meta.payloads import decode_webhook
from wazify.webhooks.processor import WebhookProcessor
from wazify.webhooks.receipts import ReceiptWriter

CONTACTS = [str(7523146982351500 + n) for n in range(3)]


async def seqs(db, workspace_id: int) -> list[int]:
    rows = await db.fetch(
        "SELECT seq FROM events WHERE workspace_id = $1 ORDER BY seq", workspace_id
    )
    return [row["seq"] for row in rows]


async def mids_stored(db) -> Counter:
    return Counter(row["mid"] for row in await db.fetch("SELECT mid FROM messages"))


async def test_the_same_batch_from_50_concurrent_requests_is_applied_once(
    client, db, runtime, inbox
) -> None:
    _, conversation = await make_conversation(db, inbox)
    await insert_reply(
        db, inbox, conversation, make_mid(ACCOUNT, BUSINESS_SEQ), "sent", at_ms(TS_MS)
    )
    raw = encode_body(ALL_CASES["batch_multi_entry"]())
    responses = await asyncio.gather(*(post_webhook(client, raw) for _ in range(50)))
    assert {response.status_code for response in responses} == {200}
    await settle(runtime)
    assert await db.fetchval("SELECT count(*) FROM webhook_receipts") == 1
    stored = await mids_stored(db)
    assert len(stored) == 3 and set(stored.values()) == {1}
    events = await event_log(db, inbox.workspace_id)
    assert [kind for kind, _ in events] == [
        "account.updated",
        "account.updated",
        "conversation.created",
        "message.created",
        "message.created",
        "messages.seen",
    ]
    assert await seqs(db, inbox.workspace_id) == [1, 2, 3, 4, 5, 6]


async def test_50_concurrent_retries_in_different_envelopes_store_each_mid_once(
    client, db, runtime, inbox
) -> None:
    items = [
        text_message(ACCOUNT, contact, f"hello {n}", make_mid(ACCOUNT, 500 + n), TS_MS + n)
        for n, contact in enumerate(CONTACTS * 3)
    ]
    bodies = []
    for attempt in range(50):
        chosen = random.Random(attempt).sample(items, 5)
        bodies.append(body([entry(ACCOUNT, chosen, time_ms=TS_MS + 10_000 + attempt)]))
    responses = await asyncio.gather(*(post_webhook(client, one) for one in bodies))
    assert {response.status_code for response in responses} == {200}
    await settle(runtime)
    assert (
        await db.fetchval("SELECT count(*) FROM webhook_receipts WHERE state = 'processed'") == 50
    )
    stored = await mids_stored(db)
    delivered = {item["message"]["mid"] for one in bodies for item in one["entry"][0]["messaging"]}
    assert set(stored) == delivered and set(stored.values()) == {1}
    kinds = Counter(kind for kind, _ in await event_log(db, inbox.workspace_id))
    assert kinds == {
        "account.updated": 2,
        "conversation.created": 3,
        "message.created": len(delivered),
    }
    assert await seqs(db, inbox.workspace_id) == list(range(1, 6 + len(delivered)))


async def test_two_processors_at_once_store_each_mid_once(db, runtime, inbox) -> None:
    """Different bodies sharing mids, with reactions on them, drained by two processors
    concurrently (one receipt per transaction, so they really interleave)."""
    messages = [
        text_message(ACCOUNT, contact, f"m{n}", make_mid(ACCOUNT, 700 + n), TS_MS + n * 1000)
        for n, contact in enumerate(CONTACTS * 4)
    ]
    reactions = [
        reaction(ACCOUNT, item["sender"]["id"], item["message"]["mid"], ts_ms=TS_MS + 60_000)
        for item in messages[::3]
    ]
    writer = ReceiptWriter(runtime.engine.pool, on_stored=lambda: None)
    delivered: set[str] = set()
    for number in range(40):
        pick = random.Random(number)
        chosen = pick.sample(messages, 4) + pick.sample(reactions, 1)
        pick.shuffle(chosen)
        delivered |= {item["message"]["mid"] for item in chosen if "message" in item}
        await writer.store(encode_body(body([entry(ACCOUNT, chosen, time_ms=TS_MS + number)])))
    first, second = WebhookProcessor(runtime, batch_size=1), WebhookProcessor(runtime, batch_size=1)
    handled = await asyncio.gather(first.drain(), second.drain())
    assert all(count > 0 for count in handled), handled  # both took part
    while await db.fetchval("SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"):
        await first.drain()  # a batch deferred by a deadlock is retried, as the app does
    assert (
        await db.fetchval("SELECT count(*) FROM webhook_receipts WHERE state <> 'processed'") == 0
    )

    stored = await mids_stored(db)
    assert set(stored) == delivered and set(stored.values()) == {1}
    events = await event_log(db, inbox.workspace_id)
    kinds = Counter(kind for kind, _ in events)
    assert kinds["conversation.created"] == 3
    assert kinds["message.created"] == len(stored)
    created = [payload["message"]["mid"] for kind, payload in events if kind == "message.created"]
    assert sorted(created) == sorted(stored)
    assert await seqs(db, inbox.workspace_id) == list(range(1, len(events) + 1))
    assert await db.fetchval("SELECT count(*) FROM contacts") == 3
    reacted = await db.fetchval("SELECT count(DISTINCT message_id) FROM reactions")
    assert reacted == await db.fetchval(
        "SELECT count(*) FROM messages WHERE mid = ANY($1::text[])",
        [item["reaction"]["mid"] for item in reactions],
    )
    assert await db.fetchval("SELECT count(*) FROM deferred_effects") == 0


def items_of(payload: dict, inbox) -> list:
    account = AccountRef(inbox.account_id, inbox.workspace_id, ACCOUNT)
    return [(item, account) for item in normalize(decode_webhook(encode_body(payload)))]


async def _race(runtime, inbox, held: dict, racing: dict) -> bool:
    """Apply `held` in a transaction kept open, then `racing` in another. Returns whether
    `racing` finished while `held` was still uncommitted; both are committed on return."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with unit_of_work(runtime, SYSTEM) as uow:
            await do_apply_inbound(uow, items_of(held, inbox))
            entered.set()
            await release.wait()

    async def apply() -> None:
        async with unit_of_work(runtime, SYSTEM) as uow:
            await do_apply_inbound(uow, items_of(racing, inbox))

    holder = asyncio.create_task(hold())
    await entered.wait()
    racer = asyncio.create_task(apply())
    await asyncio.sleep(0.3)
    finished_early = racer.done()
    release.set()
    await asyncio.gather(holder, racer)
    return finished_early


MESSAGE = body(
    [entry(ACCOUNT, [text_message(ACCOUNT, CONTACT, "hi", make_mid(ACCOUNT, 1), TS_MS)])]
)
REACTION = body(
    [entry(ACCOUNT, [reaction(ACCOUNT, CONTACT, make_mid(ACCOUNT, 1), ts_ms=TS_MS + 1)])]
)


async def test_a_reaction_committing_while_its_message_arrives_is_not_lost(
    db, runtime, inbox
) -> None:
    assert await _race(runtime, inbox, held=REACTION, racing=MESSAGE) is False
    assert await db.fetchval("SELECT count(*) FROM reactions") == 1
    assert await db.fetchval("SELECT count(*) FROM deferred_effects") == 0
    kinds = [kind for kind, _ in await event_log(db, inbox.workspace_id)]
    assert kinds[-3:] == ["conversation.created", "message.created", "reaction.changed"]


async def test_a_reaction_arriving_while_its_message_commits_is_not_lost(
    db, runtime, inbox
) -> None:
    assert await _race(runtime, inbox, held=MESSAGE, racing=REACTION) is False
    assert await db.fetchval("SELECT count(*) FROM reactions") == 1
    assert await db.fetchval("SELECT count(*) FROM deferred_effects") == 0


async def test_message_batches_share_their_locks_and_an_effect_waits_for_them(runtime) -> None:
    """Two batches storing messages run side by side; a batch applying an effect to one of
    those mids waits until the batch holding it has committed (and then sees its row)."""
    keys = {(1, "mid-shared")}
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_message_batch() -> None:
        async with unit_of_work(runtime, SYSTEM) as uow:
            await lock_message_keys(uow, keys, set())
            holding.set()
            await release.wait()

    async def lock_once(message_keys: set, effect_keys: set) -> None:
        async with unit_of_work(runtime, SYSTEM) as uow:
            await lock_message_keys(uow, message_keys, effect_keys)

    holder = asyncio.create_task(hold_message_batch())
    await asyncio.wait_for(holding.wait(), 5)
    await asyncio.wait_for(lock_once(keys, set()), 2)  # not blocked by the other batch
    effect = asyncio.create_task(lock_once(set(), keys))
    await asyncio.sleep(0.3)
    assert not effect.done(), "the effect did not wait for the batch storing its message"
    release.set()
    await asyncio.wait_for(effect, 5)
    await holder


class RecordingProcessor(WebhookProcessor):
    """Notes which loop (task) handled each batch."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.loops_seen: list[str] = []

    async def process_batch(self, receipt_ids=None) -> int:
        handled = await super().process_batch(receipt_ids)
        if handled:
            self.loops_seen.append(asyncio.current_task().get_name())
        return handled


async def test_a_second_loop_helps_only_with_a_backlog(db, runtime, inbox) -> None:
    writer = ReceiptWriter(runtime.engine.pool, on_stored=lambda: None)
    processor = RecordingProcessor(runtime, batch_size=2, loops=2)
    processor.start()
    try:
        # Deliveries one at a time: batches never fill up, the first loop does it all.
        for number in range(4):
            item = text_message(
                ACCOUNT, CONTACTS[0], f"one {number}", make_mid(ACCOUNT, 900 + number)
            )
            await writer.store(encode_body(body([entry(ACCOUNT, [item])])))
            processor.wake()
            await settle(runtime)
        assert set(processor.loops_seen) == {"webhook-processor-0"}
        # A backlog: full batches wake the second loop, which takes batches of its own.
        processor.loops_seen.clear()
        for number in range(40):
            item = text_message(
                ACCOUNT, CONTACTS[number % 3], f"b{number}", make_mid(ACCOUNT, 1000 + number)
            )
            await writer.store(encode_body(body([entry(ACCOUNT, [item])])))
        processor.wake()
        await settle(runtime)
        assert set(processor.loops_seen) == {"webhook-processor-0", "webhook-processor-1"}
    finally:
        await processor.stop()
    assert await db.fetchval("SELECT count(*) FROM messages") == 44


async def test_a_contact_committed_by_a_concurrent_batch_is_found(db, runtime, inbox) -> None:
    """The upsert reads existing rows in its own snapshot: a contact and conversation
    another batch commits while this one waits on them are read again, not lost."""
    account = AccountRef(inbox.account_id, inbox.workspace_id, ACCOUNT)
    first_holding, release = asyncio.Event(), asyncio.Event()

    async def first_batch() -> None:
        async with unit_of_work(runtime, SYSTEM) as uow:
            contacts = await upsert_contacts(uow, [(account, CONTACTS[0])], InboundResult())
            contact_id = contacts[(account.id, CONTACTS[0])]
            await upsert_conversations(uow, [(account, contact_id)], InboundResult())
            first_holding.set()
            await release.wait()

    async def second_batch() -> tuple[dict, dict, InboundResult]:
        result = InboundResult()
        async with unit_of_work(runtime, SYSTEM) as uow:
            contacts = await upsert_contacts(uow, [(account, CONTACTS[0])], result)
            contact_id = contacts[(account.id, CONTACTS[0])]
            conversations = await upsert_conversations(uow, [(account, contact_id)], result)
        return contacts, conversations, result

    first = asyncio.create_task(first_batch())
    await asyncio.wait_for(first_holding.wait(), 5)
    second = asyncio.create_task(second_batch())
    await asyncio.sleep(0.3)  # the second waits on the first's uncommitted rows
    assert not second.done()
    release.set()
    await first
    contacts, conversations, result = await asyncio.wait_for(second, 5)
    contact_id = await db.fetchval("SELECT id FROM contacts")
    assert contacts == {(account.id, CONTACTS[0]): contact_id}
    assert conversations == {contact_id: await db.fetchval("SELECT id FROM conversations")}
    assert result.new_contact_ids == [] and result.new_conversation_ids == []
