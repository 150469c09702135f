"""Failures around the endpoint: Postgres down (503, so Meta retries), Redis down (200 and
stored: the log is the truth), bodies that cannot be used (200, quarantined or ignored), and
a database that ends the processor's connection (the receipt waits, never quarantined)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator

import msgspec
import pytest

from tests.support.http import make_client, running
from tests.support.services import create_database, embedded_admin_url, free_port
from tests.webhooks.conftest import deliver, event_log, post_webhook, settle, stored_messages
from wazify.actions.message_locks import MESSAGE_LOCK_BASE, MESSAGE_LOCK_BUCKETS
from wazify.app import create_app
from wazify.db.migrate import apply_migrations
from wazify.db.tables import ALL_TABLES
from wazify.fakemeta.webhooks import ALL_CASES, encode_body
from wazify.realtime.broker import InProcessBroker, RedisBroker
from wazify.runtime import Runtime, open_runtime
from wazify.webhooks.processor import WebhookProcessor
from wazify.webhooks.receipts import ReceiptWriter


@pytest.fixture
async def private_postgres(settings, runtime) -> AsyncIterator[tuple[Runtime, object]]:
    """A Postgres of this test's own, a migrated database on it and a runtime over it.
    Yields (runtime, stop); stop() shuts that server down. Never the shared server."""
    folder = tempfile.mkdtemp(prefix="wazify-pg-down-")
    server = embedded_admin_url(folder)
    admin_url = await asyncio.to_thread(next, server)
    url = await create_database(admin_url, "wazify_down")
    await apply_migrations(url)
    private = await open_runtime(
        msgspec.structs.replace(settings, database_url=url),
        url,
        settings.token_keys,
        broker=InProcessBroker(),
        pool_max=4,
    )

    async def stop() -> None:
        await asyncio.to_thread(server.close)

    try:
        yield private, stop
    finally:
        await private.close()
        await stop()
        # open_runtime pointed Piccolo's tables at the private engine: point them back.
        for table in ALL_TABLES:
            table._meta.db = runtime.engine
        shutil.rmtree(folder, ignore_errors=True)


async def test_postgres_down_answers_503_so_meta_retries(private_postgres) -> None:
    private, stop = private_postgres
    app = create_app(private.settings, runtime=private)
    async with running(app), make_client(app) as client:
        before = await post_webhook(client, ALL_CASES["message_text"]())
        assert before.status_code == 200
        await stop()
        response = await post_webhook(client, ALL_CASES["message_image"]())
        assert response.status_code == 503
        assert response.json() == {
            "error": {
                "code": "unavailable",
                "message": "the database is unavailable, try again shortly",
            }
        }
        assert response.headers["retry-after"] == "5"


async def test_redis_down_still_answers_200_and_the_events_land_in_the_log(
    settings, runtime, db, inbox
) -> None:
    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    await broker.start()
    cut_off = Runtime(
        settings=settings,
        dsn=runtime.dsn,
        engine=runtime.engine,
        broker=broker,
        cipher=runtime.cipher,
    )
    try:
        app = create_app(settings, runtime=cut_off)
        async with running(app), make_client(app) as client:
            response = await post_webhook(client, ALL_CASES["message_text"]())
            assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")
            await settle(cut_off)
    finally:
        await broker.stop()
    assert [row["mid"] for row in await stored_messages(db, ("mid",))] == [
        ALL_CASES["message_text"]()["entry"][0]["messaging"][0]["message"]["mid"]
    ]
    kinds = [kind for kind, _ in await event_log(db, inbox.workspace_id)]
    assert kinds == [
        "account.updated",
        "account.updated",
        "conversation.created",
        "message.created",
    ]


MALFORMED = {
    b"{this is not json": "malformed: body is not valid JSON",
    b"": "malformed: body is not valid JSON",
    b'["object", "instagram"]': "malformed: body must be a JSON object, got list",
    b'{"object": "instagram", "entry": {"id": "1"}}': "malformed: unexpected webhook shape",
    (
        b'{"object":"instagram","entry":[{"id":"17841401234567890","time":1,"messaging":'
        b'[{"sender":{"id":"1"},"recipient":{"id":"17841401234567890"},"timestamp":"soon",'
        b'"message":{"mid":"m1","text":"x"}}]}]}'
    ): "malformed:",
    # Thousands deep: a clean refusal, not a RecursionError that fails the whole batch.
    b'{"object": "instagram", "entry": ' + b"[" * 5000 + b"]" * 5000 + b"}": (
        "malformed: body is nested too deeply"
    ),
}


async def test_bodies_that_cannot_be_used_are_acknowledged_and_quarantined(
    client, db, runtime, inbox
) -> None:
    for raw in MALFORMED:
        assert (await post_webhook(client, raw)).status_code == 200
    await settle(runtime)
    rows = await db.fetch("SELECT body, state, reason FROM webhook_receipts ORDER BY id")
    assert [bytes(row["body"]) for row in rows] == list(MALFORMED)  # kept for a replay
    for row, reason in zip(rows, MALFORMED.values(), strict=True):
        assert row["state"] == "quarantined"
        assert row["reason"].startswith(reason), row["reason"]
    assert await db.fetchval("SELECT count(*) FROM messages") == 0


async def test_a_bad_body_does_not_hold_up_the_good_ones_beside_it(
    client, db, runtime, inbox
) -> None:
    bodies = [
        b"{this is not json",
        encode_body(ALL_CASES["unknown_object"]()),
        encode_body(ALL_CASES["message_text"]()),
        encode_body(ALL_CASES["message_text"](account="17849999999999999")),
    ]
    await asyncio.gather(*(post_webhook(client, raw) for raw in bodies))
    await settle(runtime)
    states = await db.fetch("SELECT body, state FROM webhook_receipts")
    by_body = {bytes(row["body"]): row["state"] for row in states}
    assert [by_body[raw] for raw in bodies] == [
        "quarantined",
        "ignored",
        "processed",
        "quarantined",
    ]
    assert len(await stored_messages(db, ("mid",))) == 1


async def test_an_unknown_object_beside_an_instagram_account_changes_nothing(
    client, db, runtime, inbox
) -> None:
    await deliver(client, runtime, ALL_CASES["unknown_object"](), ALL_CASES["comments_changes"]())
    assert await db.fetchval("SELECT count(*) FROM contacts") == 0
    assert [kind for kind, _ in await event_log(db, inbox.workspace_id)] == [
        "account.updated",
        "account.updated",
    ]


WAITING_FOR_ADVISORY_LOCK = """
SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def test_a_receipt_interrupted_by_the_database_waits_and_is_not_quarantined(
    db, runtime, inbox
) -> None:
    """A receipt processed on its own (its batch failed) meets a database fault, here its
    statement cancelled by the server (57014, operator intervention: a restart, an
    administrator, a timeout): it stays pending for the next round and is processed then.
    Only its content may quarantine a receipt."""
    await ReceiptWriter(runtime.engine.pool, on_stored=lambda: None).store(
        encode_body(ALL_CASES["message_text"]())
    )
    receipt_id = await db.fetchval("SELECT id FROM webhook_receipts")
    processor = WebhookProcessor(runtime)
    buckets = [MESSAGE_LOCK_BASE + n for n in range(MESSAGE_LOCK_BUCKETS)]
    # Hold every message lock, so that the processor waits inside its transaction.
    await db.execute("SELECT pg_advisory_lock(k) FROM unnest($1::bigint[]) AS k", buckets)
    try:
        processing = asyncio.create_task(processor.process_batch([receipt_id]))
        async with asyncio.timeout(5):
            while (pid := await db.fetchval(WAITING_FOR_ADVISORY_LOCK)) is None:
                await asyncio.sleep(0.01)
        assert await db.fetchval("SELECT pg_cancel_backend($1)", pid)
        assert await processing == 0
    finally:
        await db.execute("SELECT pg_advisory_unlock_all()")
    row = await db.fetchrow("SELECT state, reason FROM webhook_receipts WHERE id = $1", receipt_id)
    assert (row["state"], row["reason"]) == ("pending", "")
    assert await processor.drain() == 1
    assert await db.fetchval("SELECT state FROM webhook_receipts") == "processed"


async def test_a_nul_from_meta_is_stored_as_the_replacement_character(
    client, db, runtime, inbox
) -> None:
    """Postgres text and jsonb cannot hold U+0000: it becomes U+FFFD (so the agent sees
    that something was there) wherever it is, and the message is stored, not quarantined."""
    data = ALL_CASES["message_text"]()
    message = data["entry"][0]["messaging"][0]["message"]
    message["text"] = "size M\u0000 please, and a literal \\u0000"
    message["attachments"] = [{"type": "fancy\u0000", "payload": {"url": "https://x/\u0000"}}]
    message["future_field\u0000"] = "\u0000"
    await deliver(client, runtime, data)
    assert await db.fetchval("SELECT state FROM webhook_receipts") == "processed"
    [row] = await stored_messages(db, ("text", "attachments"))
    assert row["text"] == "size M\ufffd please, and a literal \\u0000"
    assert row["attachments"][0]["type"] == "fancy\ufffd"
    assert row["attachments"][0]["url"] == "https://x/\ufffd"
