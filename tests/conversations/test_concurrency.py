"""Concurrent reassignments serialise; pagination holds while new rows arrive."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import datetime

from tests.conversations.conftest import audits, head, logged, new_igsid
from tests.webhooks.conftest import post_webhook, settle
from wazify.fakemeta.webhooks import ACCOUNT, TS_MS, body, entry, text_message


async def test_concurrent_reassignments_never_lose_an_update(shop, client, db) -> None:
    cid = await shop.conversation()
    people = [shop.agent, shop.agent2, shop.admin]
    first_by, second_by = shop.supervisor, shop.admin
    current = None
    for _ in range(20):
        targets = [m.user_id for m in people if m.user_id != current][:2]
        random.shuffle(targets)
        seq = await head(db, shop.workspace_id)

        responses = await asyncio.gather(
            client.post(
                f"/api/v1/conversations/{cid}/assign",
                json={"user_id": targets[0]},
                headers=first_by.headers,
            ),
            client.post(
                f"/api/v1/conversations/{cid}/assign",
                json={"user_id": targets[1]},
                headers=second_by.headers,
            ),
        )

        assert [r.status_code for r in responses] == [200, 200]
        events = await logged(db, shop.workspace_id, seq)
        assert [e["type"] for e in events] == ["conversation.assigned"] * 2
        assert [e["seq"] for e in events] == [seq + 1, seq + 2]
        earlier, later = events
        assert earlier["previous_assignee_id"] == current
        assert later["previous_assignee_id"] == earlier["conversation"]["assignee_id"]
        assert {earlier["conversation"]["assignee_id"], later["conversation"]["assignee_id"]} == (
            set(targets)
        )
        final = await db.fetchval("SELECT assignee_id FROM conversations WHERE id = $1", cid)
        assert final == later["conversation"]["assignee_id"]
        # Each answer is the state its own transaction committed.
        answered = {r.json()["assignee_id"]: r.json() for r in responses}
        assert answered[final] == later["conversation"]
        current = final
    trail = await audits(db, shop.workspace_id, "conversation.assigned")
    assert len(trail) == 40
    for earlier, later in itertools.pairwise(trail):
        assert later["before"] == earlier["after"]


def customer_messages(specs: list[tuple[str, str, int]]) -> dict:
    return body(
        [entry(ACCOUNT, [text_message(ACCOUNT, who, text, ts_ms=ts) for who, text, ts in specs])]
    )


async def test_conversation_pages_hold_under_concurrent_inserts(shop, client, db) -> None:
    # 30 conversations; every third pair shares its last-activity time (the id breaks ties).
    stamps = [TS_MS + (i // 2) * 1000 for i in range(30)]
    await post_webhook(client, customer_messages([(new_igsid(), "hi", ts) for ts in stamps]))
    await settle(shop.runtime)
    existing = [r["id"] for r in await db.fetch("SELECT id FROM conversations")]
    assert len(existing) == 30
    low, high = TS_MS - 10_000, TS_MS + 25_000

    seen: list[int] = []
    cursor = None
    while True:
        # New conversations arrive while paging: newer, older and in between.
        news = [(new_igsid(), "new", random.randint(low, high)) for _ in range(3)]
        query = "limit=4" + (f"&cursor={cursor}" if cursor else "")
        page, _ = await asyncio.gather(
            client.get(f"/api/v1/conversations?{query}", headers=shop.agent.headers),
            post_webhook(client, customer_messages(news)),
        )
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    await settle(shop.runtime)

    assert len(seen) == len(set(seen)), "an item was repeated across pages"
    assert set(existing) <= set(seen), "an item that existed at the start was skipped"


async def test_message_pages_hold_under_concurrent_inserts(shop, client, db) -> None:
    igsid = new_igsid()
    stamps = [TS_MS + (i // 3) * 1000 for i in range(40)]
    await post_webhook(
        client, customer_messages([(igsid, f"m{i}", ts) for i, ts in enumerate(stamps)])
    )
    await settle(shop.runtime)
    cid = await db.fetchval("SELECT id FROM conversations")
    existing = [r["id"] for r in await db.fetch("SELECT id FROM messages")]
    assert len(existing) == 40

    seen: list[int] = []
    cursor = None
    while True:
        news = [(igsid, "late", random.randint(TS_MS - 5_000, TS_MS + 20_000)) for _ in range(2)]
        query = "limit=6" + (f"&cursor={cursor}" if cursor else "")
        page, _ = await asyncio.gather(
            client.get(f"/api/v1/conversations/{cid}/messages?{query}", headers=shop.agent.headers),
            post_webhook(client, customer_messages(news)),
        )
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        keys = [(datetime.fromisoformat(m["sent_at"]), m["id"]) for m in items]
        assert keys == sorted(keys, reverse=True)
        seen += [m["id"] for m in items]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    await settle(shop.runtime)

    assert len(seen) == len(set(seen)), "a message was repeated across pages"
    assert set(existing) <= set(seen), "a message that existed at the start was skipped"
