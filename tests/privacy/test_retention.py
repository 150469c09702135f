"""Retention: an unsent message's text leaves every store (row at once, the log's payloads and
the raw receipts within one sweep); raw receipts, messages past their workspace's retention
and old audit entries are swept; replies and reactions by agents are audited."""

from __future__ import annotations

import json
import time

from tests.privacy.conftest import Shop, find_everywhere
from tests.realtime.conftest import connect
from tests.support.reducer import comparable, reduce
from wazify.actions.replies import do_queue_reply, do_react
from wazify.actions.uow import Actor, unit_of_work
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    CONTACT,
    CONTACT_B,
    message,
    message_edit,
    new_mid,
    text_message,
)
from wazify.workers.privacy import PrivacySweeper
from wazify.workers.retention import EventRetentionSweeper

DAY_MS = 24 * 3600 * 1000


async def test_an_unsent_message_leaves_the_log_and_the_receipts(shop: Shop, db) -> None:
    mid = new_mid(ACCOUNT)
    await shop.deliver(text_message(ACCOUNT, CONTACT, "please forget 31337", mid=mid))
    await shop.deliver(message_edit(ACCOUNT, CONTACT, mid, "really forget 31338"))
    await shop.deliver(text_message(ACCOUNT, CONTACT, "this one stays 4711"))
    watcher = await connect(shop.address, shop.agent, since=0)
    await watcher.wait_ready()
    for needle in ("31337", "31338"):
        places = {place.split(" ")[0] for place in await find_everywhere(db, needle)}
        assert {"events.payload", "webhook_receipts.body"} <= places, places

    await shop.deliver(message(ACCOUNT, CONTACT, mid=mid, is_deleted=True))
    # At once: the row, and so search; live clients get the tombstone.
    row = await db.fetchrow("SELECT text, deleted_at FROM messages WHERE mid = $1", mid)
    assert row["text"] is None and row["deleted_at"] is not None
    await watcher.wait_for(
        lambda a: any(e.get("message", {}).get("deleted") for e in a.of_type("message.updated"))
    )
    await watcher.close()
    # Within one sweep (every 10 s in a server): the log's payloads and the raw receipts.
    assert await PrivacySweeper(shop.runtime).scrub() >= 0
    for needle in ("31337", "31338"):
        assert await find_everywhere(db, needle) == [], needle
    assert await find_everywhere(db, "4711") != []
    created = await db.fetchval(
        "SELECT payload FROM events WHERE type = 'message.created' ORDER BY seq LIMIT 1"
    )
    assert json.loads(created)["message"]["deleted"] is True  # same seq, same type
    assert await db.fetchval("SELECT count(*) FROM content_scrubs") == 0
    replay = await connect(shop.address, shop.agent, since=0)
    await replay.wait_ready()
    assert "31337" not in json.dumps(replay.frames)
    await replay.close()


async def test_receipts_audit_and_messages_are_swept_after_their_retention(shop: Shop, db) -> None:
    old = int(time.time() * 1000) - 40 * DAY_MS
    await shop.deliver(text_message(ACCOUNT, CONTACT, "an old message 1999", ts_ms=old))
    await shop.deliver(text_message(ACCOUNT, CONTACT_B, "a recent message 2024"))
    await db.execute(
        "UPDATE webhook_receipts SET received_at = now() - interval '8 days'"
        " WHERE position('1999' IN convert_from(body, 'UTF8')) > 0"
    )
    # A receipt still pending is kept, however old. The server would process this one
    # (its processor polls every second) and retention would then remove it: stopped here.
    await shop.app.state.webhooks.processor.stop()
    await db.execute(
        "INSERT INTO webhook_receipts (body, body_sha256, received_at)"
        " VALUES ('{}', 'x', now() - interval '30 days')"
    )
    await db.execute(
        "INSERT INTO audit_entries (workspace_id, action, created_at)"
        " VALUES ($1, 'old.thing', now() - interval '400 days'), (NULL, 'old.install',"
        " now() - interval '400 days')",
        shop.workspace_id,
    )
    refused = await shop.http.patch(
        "/api/v1/workspace", json={"message_retention_days": 0}, headers=shop.admin.headers
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "message_retention_days"
    agent = await shop.http.patch(
        "/api/v1/workspace", json={"message_retention_days": 30}, headers=shop.agent.headers
    )
    assert agent.status_code == 403
    before = await shop.bootstrap(shop.agent)
    response = await shop.http.patch(
        "/api/v1/workspace", json={"message_retention_days": 30}, headers=shop.admin.headers
    )
    assert response.status_code == 200 and response.json()["message_retention_days"] == 30

    # (The server's own sweeper may be the one that removes them: its first round runs at
    # start, which a loaded machine can delay until now; hence states, not counts.)
    await PrivacySweeper(shop.runtime).sweep()
    assert await db.fetchval("SELECT count(*) FROM messages WHERE text LIKE '%1999%'") == 0
    places = {place.split(" ")[0] for place in await find_everywhere(db, "1999")}
    assert places == {"events.payload"}  # until the log is cut, below
    assert await find_everywhere(db, "2024") != []
    assert await db.fetchval("SELECT count(*) FROM webhook_receipts WHERE state = 'pending'") == 1
    assert await db.fetchval("SELECT count(*) FROM audit_entries WHERE action LIKE 'old.%'") == 0
    # The emptied conversation shows no last message, live: the events bridge the bootstraps.
    after = await shop.bootstrap(shop.agent)
    rows = await db.fetch(
        "SELECT payload FROM events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq",
        shop.workspace_id,
        before["seq"],
    )
    events = [json.loads(row["payload"]) for row in rows]
    assert [e["type"] for e in events] == ["workspace.updated", "conversation.updated"]
    assert comparable(reduce(before, events)) == comparable(after)

    # The log is cut at the workspace's retention when it is shorter than the log's own.
    await shop.http.patch(
        "/api/v1/workspace", json={"message_retention_days": 5}, headers=shop.admin.headers
    )
    last = await db.fetchval(
        "SELECT max(seq) FROM events WHERE workspace_id = $1 AND payload LIKE '%1999%'",
        shop.workspace_id,
    )
    await db.execute(
        "UPDATE events SET created_at = now() - interval '6 days' WHERE workspace_id = $1"
        " AND seq <= $2",
        shop.workspace_id,
        last,
    )
    assert await EventRetentionSweeper(shop.runtime).sweep() == last
    assert await find_everywhere(db, "1999") == []


async def test_replies_and_reactions_by_agents_are_audited(shop: Shop, db) -> None:
    await shop.deliver(text_message(ACCOUNT, CONTACT, "hello there"))
    conversation_id, message_id = await db.fetchrow(
        "SELECT conversation_id, id FROM messages ORDER BY id LIMIT 1"
    )
    actor = Actor(user_id=shop.agent.user_id, label=shop.agent.email)
    async with unit_of_work(shop.runtime, actor) as uow:
        reply, _ = await do_queue_reply(
            uow,
            shop.workspace_id,
            conversation_id,
            author_id=shop.agent.user_id,
            by_person=True,
            text="a private answer",
        )
        await do_react(uow, shop.workspace_id, message_id, shop.agent.user_id, "❤️")
    rows = await db.fetch(
        "SELECT action, actor_id, target_id, after::text AS after FROM audit_entries"
        " WHERE action LIKE 'message.%' ORDER BY id"
    )
    assert [(r["action"], r["actor_id"]) for r in rows] == [
        ("message.replied", shop.agent.user_id),
        ("message.reacted", shop.agent.user_id),
    ]
    assert rows[0]["target_id"] == str(reply.id)
    assert "a private answer" not in rows[0]["after"]  # who and where, not what
    assert json.loads(rows[1]["after"]) == {"conversation_id": conversation_id, "emoji": "❤️"}
