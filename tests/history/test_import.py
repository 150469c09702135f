"""Import on connect: an account connected with months of conversations arrives with its
recent ones (the window), newest first, through the ingest's write path and events."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.history.conftest import DAY_MS, HOUR_MS, Shop, events_of, wait_for

A, B, C, D = "9100000000000001", "9100000000000002", "9100000000000003", "9100000000000004"


def seed_threads(shop: Shop) -> dict[str, list]:
    """Four customers: A answered then wrote again, B wrote an hour ago, C only 40 days ago
    (outside the window), D wrote 25 times (Meta shows the 20 most recent)."""
    a = [
        shop.writes(A, "Do you ship to Lyon?", ago_ms=3 * DAY_MS),
        shop.writes(A, "We do, 3 to 5 days.", ago_ms=3 * DAY_MS - 60_000, business=True),
        shop.writes(A, "Great, ordering now", ago_ms=2 * DAY_MS),
    ]
    shop.fake.history.react(a[1].mid, A, "❤️")
    b = [shop.writes(B, "Is the sand shirt back?", ago_ms=HOUR_MS)]
    c = [shop.writes(C, "Old question", ago_ms=40 * DAY_MS)]
    d = [shop.writes(D, f"message {n}", ago_ms=5 * DAY_MS - n * 1000) for n in range(25)]
    return {A: a, B: b, C: c, D: d}


async def conversation_rows(shop: Shop) -> dict[str, dict]:
    rows = await shop.runtime.engine.pool.fetch(
        "SELECT ct.igsid, c.id, c.unread_count, c.status, c.window_ends_at,"
        " c.last_activity_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)"
        " AS messages FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
    )
    return {row["igsid"]: dict(row) for row in rows}


async def test_connecting_imports_the_window_newest_first(shop: Shop) -> None:
    threads = seed_threads(shop)
    await shop.connect()
    job = await shop.finished()
    assert job["state"] == "done", job
    assert job["trigger"] == "connect"
    assert (job["conversations_done"], job["messages_imported"]) == (3, 24)

    conversations = await conversation_rows(shop)
    assert set(conversations) == {A, B, D}  # C is older than the 30-day window
    assert conversations[D]["messages"] == 20  # only the 20 most recent are readable
    # Unread: A's answered question is not; its later message is. D: 20 unanswered.
    assert [conversations[x]["unread_count"] for x in (A, B, D)] == [1, 1, 20]
    assert conversations[B]["window_ends_at"] > datetime.now(UTC)  # B wrote an hour ago
    assert conversations[A]["window_ends_at"] < datetime.now(UTC)

    rows = await shop.runtime.engine.pool.fetch(
        "SELECT mid, direction, source, status, text, sent_at FROM messages"
        " WHERE conversation_id = $1 ORDER BY sent_at",
        conversations[A]["id"],
    )
    assert [row["mid"] for row in rows] == [m.mid for m in threads[A]]
    assert [(r["direction"], r["source"], r["status"]) for r in rows] == [
        ("in", "customer", "received"),
        ("out", "instagram_app", "delivered"),
        ("in", "customer", "received"),
    ]
    # Meta's times, to the second (the Conversations API's precision).
    assert int(rows[0]["sent_at"].timestamp()) == threads[A][0].created_ms // 1000
    reaction = await shop.runtime.engine.pool.fetchrow(
        "SELECT r.reactor_kind, r.reactor_id, r.reaction, r.emoji FROM reactions r"
        " JOIN messages m ON m.id = r.message_id WHERE m.mid = $1",
        threads[A][1].mid,
    )
    assert dict(reaction) == {
        "reactor_kind": "contact",
        "reactor_id": A,
        "reaction": "love",
        "emoji": "❤️",
    }


async def test_the_import_emits_what_webhooks_emit_newest_conversation_first(shop: Shop) -> None:
    seed_threads(shop)
    await shop.connect()
    await shop.finished()
    events = await events_of(shop.runtime, shop.workspace_id)
    created = [
        e["conversation"]["contact"]["igsid"] for e in events if e["type"] == "conversation.created"
    ]
    assert created == [B, A, D]  # the most recently active conversation appears first
    messages = [e for e in events if e["type"] == "message.created"]
    assert len(messages) == 24
    # Within a conversation, in Meta's time order; each carries its conversation.
    of_d = [e["message"]["text"] for e in messages if e["conversation"]["contact"]["igsid"] == D]
    assert of_d == [f"message {n}" for n in range(5, 25)]
    assert all(e["audience_roles"] is None for e in messages)  # everyone sees them
    jobs = [e for e in events if e["type"] == "import_job.updated"]
    assert jobs[0]["job"]["state"] == "queued" and jobs[-1]["job"]["state"] == "done"
    assert {e["job"]["state"] for e in jobs} == {"queued", "running", "done"}
    # Progress moves on per conversation, to staff only.
    assert [e["job"]["conversations_done"] for e in jobs if e["job"]["state"] == "running"][
        -3:
    ] == [
        1,
        2,
        3,
    ]
    assert all(sorted(e["audience_roles"]) == ["admin", "supervisor"] for e in jobs)


async def test_a_message_that_came_by_webhook_first_is_stored_once(shop: Shop) -> None:
    await shop.register()
    first = shop.writes(A, "hello from before the import", ago_ms=HOUR_MS)
    await shop.deliver(first)
    await wait_for(shop.receipts_processed)
    before = await events_of(shop.runtime, shop.workspace_id)
    second = shop.writes(A, "and this one was missed", ago_ms=HOUR_MS - 60_000)
    job = await shop.resync(days=1)
    job = await shop.finished(job["id"])
    assert (job["state"], job["conversations_done"], job["messages_imported"]) == ("done", 1, 1)
    assert sorted(await shop.mids()) == sorted([first.mid, second.mid])
    after = await events_of(shop.runtime, shop.workspace_id, before[-1]["seq"])
    created = [e["message"]["mid"] for e in after if e["type"] == "message.created"]
    assert created == [second.mid]  # nothing is announced twice
    unread = await shop.runtime.engine.pool.fetchval("SELECT unread_count FROM conversations")
    assert unread == 2


async def test_an_import_queued_twice_is_one_job(shop: Shop) -> None:
    await shop.register()
    shop.writes(A, "hi", ago_ms=HOUR_MS)
    shop.live.app.state.history.importer.concurrency = 0  # nothing runs yet
    first = await shop.resync(days=1)
    second = await shop.resync(days=3)  # joins the queued job, widening its window
    assert second["id"] == first["id"]
    assert second["since"] < first["since"]
    count = await shop.runtime.engine.pool.fetchval("SELECT count(*) FROM import_jobs")
    assert count == 1
