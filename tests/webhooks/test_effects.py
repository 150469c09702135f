"""Reactions, read receipts, edits and unsends: in any order relative to their message,
idempotent under redelivery, and messages ordered by Meta's timestamp, not arrival."""

from __future__ import annotations

from datetime import timedelta

from tests.webhooks.conftest import (
    at_ms,
    deliver,
    event_log,
    insert_reply,
    last_seq,
    make_conversation,
    message_by_mid,
    stored_messages,
)
from wazify.fakemeta.cases import EDITED_TEXT, TEXT
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ALL_CASES,
    CONTACT,
    CONTACT_B,
    TS_MS,
    attachment,
    attachment_message,
    body,
    cdn_url,
    echo_message,
    entry,
    make_mid,
    message_edit,
    reaction,
    seen,
    text_message,
    unreaction,
)

T0 = at_ms(TS_MS)
LOVE = {
    "reactor_kind": "contact",
    "reactor_id": CONTACT,
    "reaction": "love",
    "emoji": "\u2764\ufe0f",
}


def mid(seq: int) -> str:
    return make_mid(ACCOUNT, seq)


def one(*items: dict, time_ms: int | None = None) -> dict:
    """A body of these items for the first account; `time_ms` varies the envelope only,
    which is how Meta's retries of the same events look (different bytes, same events)."""
    return body([entry(ACCOUNT, list(items), time_ms=time_ms)])


def customer_text(seq: int, ts_ms: int, text: str = TEXT) -> dict:
    return text_message(ACCOUNT, CONTACT, text, mid(seq), ts_ms)


async def test_effects_before_their_message_are_kept_then_applied_with_their_events(
    client, db, runtime, inbox
) -> None:
    early = [
        reaction(ACCOUNT, CONTACT, mid(1), ts_ms=TS_MS + 1000),
        message_edit(ACCOUNT, CONTACT, mid(1), EDITED_TEXT, 1, TS_MS + 2000),
        seen(ACCOUNT, CONTACT, mid(2), TS_MS + 3000),
    ]
    seq = await last_seq(db, inbox.workspace_id)
    await deliver(client, runtime, one(*early))
    kept = await db.fetch("SELECT mid, effect->>'kind' AS kind FROM deferred_effects ORDER BY id")
    assert [(row["mid"], row["kind"]) for row in kept] == [
        (mid(1), "reaction_changed"),
        (mid(1), "message_edited"),
        (mid(2), "messages_read"),
    ]
    assert await stored_messages(db) == []
    assert await event_log(db, inbox.workspace_id, after=seq) == []  # kept, nothing to show

    await deliver(client, runtime, one(customer_text(1, TS_MS)))
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [kind for kind, _ in events] == [
        "conversation.created",
        "message.created",
        "reaction.changed",
        "message.updated",
    ]
    # message.created shows the message as it arrived; the effects follow in their order.
    assert events[1][1]["message"]["text"] == TEXT
    assert events[1][1]["message"]["reactions"] == []
    assert events[2][1]["reactions"] == [LOVE]
    assert events[3][1]["message"]["text"] == EDITED_TEXT
    assert events[3][1]["message"]["edit_count"] == 1
    message = await message_by_mid(db, mid(1))
    assert (message["text"], message["edit_count"]) == (EDITED_TEXT, 1)
    # The read still waits for its own message (ours, mid 2).
    kept = await db.fetch("SELECT mid FROM deferred_effects")
    assert [row["mid"] for row in kept] == [mid(2)]

    seq = await last_seq(db, inbox.workspace_id)
    await deliver(client, runtime, one(echo_message(ACCOUNT, CONTACT, "ours", mid(2), TS_MS + 500)))
    events = await event_log(db, inbox.workspace_id, after=seq)
    reply = await message_by_mid(db, mid(2))
    assert [kind for kind, _ in events] == ["message.created", "messages.seen"]
    assert events[1][1]["message_ids"] == [reply["id"]]
    assert reply["status"] == "read"
    assert await db.fetchval("SELECT count(*) FROM deferred_effects") == 0


async def test_unsend_before_its_message_tombstones_it_on_arrival(
    client, db, runtime, inbox
) -> None:
    unsend = {
        "sender": {"id": CONTACT},
        "recipient": {"id": ACCOUNT},
        "timestamp": TS_MS + 5000,
        "message": {"mid": mid(3), "is_deleted": True},
    }
    await deliver(client, runtime, one(unsend))
    seq = await last_seq(db, inbox.workspace_id)
    photo = attachment_message(
        ACCOUNT, CONTACT, [attachment("image", cdn_url(3))], "oops", mid(3), TS_MS
    )
    await deliver(client, runtime, one(photo))
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [kind for kind, _ in events] == [
        "conversation.created",
        "message.created",
        "message.updated",
    ]
    assert events[2][1]["message"]["deleted"] is True
    message = await message_by_mid(db, mid(3))
    assert (message["text"], message["attachments"], message["deleted_at"]) == (
        None,
        [],
        at_ms(TS_MS + 5000),
    )


async def test_unsend_tombstones_text_and_attachments_once(client, db, runtime, inbox) -> None:
    photo = attachment_message(
        ACCOUNT, CONTACT, [attachment("image", cdn_url(4))], "see this", mid(4), TS_MS
    )
    await deliver(client, runtime, one(photo))
    seq = await last_seq(db, inbox.workspace_id)
    unsend = {
        "sender": {"id": CONTACT},
        "recipient": {"id": ACCOUNT},
        "timestamp": TS_MS + 1000,
        "message": {"mid": mid(4), "is_deleted": True},
    }
    await deliver(client, runtime, one(unsend), one(unsend, time_ms=TS_MS + 9000))
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [kind for kind, _ in events] == ["message.updated"]
    carried = events[0][1]["message"]
    assert (carried["text"], carried["attachments"], carried["deleted"]) == (None, [], True)
    message = await message_by_mid(db, mid(4))
    assert (message["text"], message["attachments"]) == (None, [])
    # An edit of an unsent message is refused: the content stays gone.
    await deliver(
        client, runtime, one(message_edit(ACCOUNT, CONTACT, mid(4), "back", 1, TS_MS + 2000))
    )
    assert (await message_by_mid(db, mid(4)))["text"] is None
    assert len(await event_log(db, inbox.workspace_id, after=seq)) == 1


async def test_edits_keep_the_previous_text_and_count_and_a_redelivery_is_a_no_op(
    client, db, runtime, inbox
) -> None:
    await deliver(client, runtime, one(customer_text(1, TS_MS, "size M?")))
    seq = await last_seq(db, inbox.workspace_id)
    first = message_edit(ACCOUNT, CONTACT, mid(1), "size L?", 1, TS_MS + 1000)
    second = message_edit(ACCOUNT, CONTACT, mid(1), "size XL?", "2", TS_MS + 2000)  # a string
    await deliver(client, runtime, one(first))
    await deliver(client, runtime, one(second))
    await deliver(client, runtime, one(first, time_ms=TS_MS + 9000))  # late retry of edit 1
    await deliver(client, runtime, one(second, time_ms=TS_MS + 9500))  # retry of edit 2
    message = await message_by_mid(db, mid(1))
    assert (message["text"], message["edit_count"]) == ("size XL?", 2)
    assert message["edits"] == [
        {"text": "size M?", "replaced_at": "2026-11-30T09:15:01+00:00"},
        {"text": "size L?", "replaced_at": "2026-11-30T09:15:02+00:00"},
    ]
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [(kind, payload["message"]["text"]) for kind, payload in events] == [
        ("message.updated", "size L?"),
        ("message.updated", "size XL?"),
    ]


async def test_reactions_react_change_and_unreact_per_reactor(client, db, runtime, inbox) -> None:
    await deliver(client, runtime, one(customer_text(1, TS_MS)))
    seq = await last_seq(db, inbox.workspace_id)
    target = (await message_by_mid(db, mid(1)))["id"]
    love = reaction(ACCOUNT, CONTACT, mid(1), ts_ms=TS_MS + 1000)
    laugh = reaction(ACCOUNT, CONTACT, mid(1), "haha", "\U0001f606", TS_MS + 2000)
    other = reaction(ACCOUNT, CONTACT_B, mid(1), "wow", "\U0001f62e", TS_MS + 2500)
    await deliver(client, runtime, one(love))
    await deliver(client, runtime, one(love, time_ms=TS_MS + 7000))  # redelivered: nothing
    await deliver(client, runtime, one(laugh))
    await deliver(client, runtime, body([entry(ACCOUNT, [other])]))
    await deliver(client, runtime, one(unreaction(ACCOUNT, CONTACT, mid(1), TS_MS + 3000)))
    # An unreact older than the reaction it would remove is stale.
    await deliver(
        client,
        runtime,
        body([entry(ACCOUNT, [unreaction(ACCOUNT, CONTACT_B, mid(1), TS_MS + 2400)])]),
    )
    events = await event_log(db, inbox.workspace_id, after=seq)
    haha = {
        "reactor_kind": "contact",
        "reactor_id": CONTACT,
        "reaction": "haha",
        "emoji": "\U0001f606",
    }
    wow = {
        "reactor_kind": "contact",
        "reactor_id": CONTACT_B,
        "reaction": "wow",
        "emoji": "\U0001f62e",
    }
    assert [(kind, payload["message_id"], payload["reactions"]) for kind, payload in events] == [
        ("reaction.changed", target, [LOVE]),
        ("reaction.changed", target, [haha]),
        ("reaction.changed", target, [haha, wow]),
        ("reaction.changed", target, [wow]),
    ]
    rows = await db.fetch(
        "SELECT reactor_id, reaction, emoji, reacted_at, removed FROM reactions ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        (CONTACT, "", "", at_ms(TS_MS + 3000), True),  # the unreact's tombstone
        (CONTACT_B, "wow", "\U0001f62e", at_ms(TS_MS + 2500), False),
    ]


async def test_a_read_marks_that_reply_and_every_earlier_one_read_in_one_event(
    client, db, runtime, inbox
) -> None:
    _, conversation = await make_conversation(db, inbox)
    first = await insert_reply(db, inbox, conversation, mid(101), "delivered", T0)
    second = await insert_reply(
        db, inbox, conversation, mid(102), "sent", T0 + timedelta(seconds=1)
    )
    third = await insert_reply(db, inbox, conversation, mid(103), "sent", T0 + timedelta(seconds=3))
    failed = await insert_reply(db, inbox, conversation, None, "failed", T0 - timedelta(seconds=1))
    seq = await last_seq(db, inbox.workspace_id)
    read = seen(ACCOUNT, CONTACT, mid(102), TS_MS + 2000)
    await deliver(client, runtime, one(customer_text(1, TS_MS + 500), read))
    await deliver(client, runtime, one(read, time_ms=TS_MS + 9000))  # redelivered
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [kind for kind, _ in events] == ["message.created", "messages.seen"]
    assert events[1][1]["conversation_id"] == conversation
    assert events[1][1]["message_ids"] == [first, second]
    statuses = await db.fetch("SELECT id, status FROM messages WHERE direction = 'out' ORDER BY id")
    assert [(row["id"], row["status"]) for row in statuses] == [
        (first, "read"),
        (second, "read"),
        (third, "sent"),
        (failed, "failed"),
    ]


async def test_a_read_of_a_customer_message_changes_nothing(client, db, runtime, inbox) -> None:
    await deliver(client, runtime, one(customer_text(1, TS_MS)))
    seq = await last_seq(db, inbox.workspace_id)
    await deliver(client, runtime, one(seen(ACCOUNT, CONTACT, mid(1), TS_MS + 1000)))
    assert await event_log(db, inbox.workspace_id, after=seq) == []
    assert (await message_by_mid(db, mid(1)))["status"] == "received"


async def test_echo_of_our_reply_moves_it_to_delivered(client, db, runtime, inbox) -> None:
    _, conversation = await make_conversation(db, inbox)
    pending = await insert_reply(db, inbox, conversation, mid(201), "pending", T0)
    sent = await insert_reply(db, inbox, conversation, mid(202), "sent", T0)
    already_read = await insert_reply(db, inbox, conversation, mid(203), "read", T0)
    seq = await last_seq(db, inbox.workspace_id)
    echoes = [echo_message(ACCOUNT, CONTACT, "a reply", mid(n), TS_MS) for n in (201, 202, 203)]
    await deliver(client, runtime, one(*echoes))
    await deliver(client, runtime, one(*echoes, time_ms=TS_MS + 9000))  # redelivered
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [(kind, payload["message"]["id"]) for kind, payload in events] == [
        ("message.updated", pending),
        ("message.updated", sent),
    ]
    assert all(payload["message"]["status"] == "delivered" for _, payload in events)
    rows = await db.fetch("SELECT id, source, status FROM messages ORDER BY id")
    assert [tuple(row) for row in rows] == [
        (pending, "agent", "delivered"),
        (sent, "agent", "delivered"),
        (already_read, "agent", "read"),  # statuses only move forward
    ]


async def test_a_read_that_overtook_our_replys_mid_applies_when_its_echo_arrives(
    client, db, runtime, inbox
) -> None:
    """The read names a mid no row has yet (the Send API's answer is late): it is kept, and
    applied once the echo confirms the reply that has since learnt its mid."""
    _, conversation = await make_conversation(db, inbox)
    reply = await insert_reply(db, inbox, conversation, None, "sending", T0)
    await deliver(client, runtime, one(seen(ACCOUNT, CONTACT, mid(301), TS_MS + 2000)))
    assert await db.fetchval("SELECT count(*) FROM deferred_effects") == 1
    await db.execute("UPDATE messages SET mid = $2, status = 'sent' WHERE id = $1", reply, mid(301))
    seq = await last_seq(db, inbox.workspace_id)
    await deliver(client, runtime, one(echo_message(ACCOUNT, CONTACT, "a reply", mid(301), TS_MS)))
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [kind for kind, _ in events] == ["message.updated", "messages.seen"]
    assert events[1][1]["message_ids"] == [reply]
    assert (await message_by_mid(db, mid(301)))["status"] == "read"
    assert await db.fetchval("SELECT count(*) FROM deferred_effects") == 0


async def test_history_follows_metas_timestamps_not_arrival(client, db, runtime, inbox) -> None:
    later = customer_text(2, TS_MS + 60_000, "second")
    earlier = customer_text(1, TS_MS, "first")
    await deliver(client, runtime, one(later))
    await deliver(client, runtime, one(earlier))
    history = await db.fetch("SELECT mid, text, sent_at FROM messages ORDER BY sent_at, id")
    assert [(row["text"], row["sent_at"]) for row in history] == [
        ("first", T0),
        ("second", T0 + timedelta(minutes=1)),
    ]
    conversation = await db.fetchrow(
        "SELECT m.mid, c.last_activity_at FROM conversations c"
        " JOIN messages m ON m.id = c.last_message_id"
    )
    assert (conversation["mid"], conversation["last_activity_at"]) == (
        mid(2),
        T0 + timedelta(minutes=1),
    )
    # The late arrival's event carries the conversation with the newest message still last.
    events = await event_log(db, inbox.workspace_id, after=0)
    assert events[-1][0] == "message.created"
    assert events[-1][1]["conversation"]["last_message"]["mid"] == mid(2)


async def test_meta_timestamps_in_milliseconds_seconds_and_numeric_strings(
    client, db, runtime, inbox
) -> None:
    seconds = TS_MS // 1000
    items = [
        customer_text(1, TS_MS),
        customer_text(2, seconds + 1),
        customer_text(3, str(TS_MS + 2000)),
        customer_text(4, str(seconds + 3)),
    ]
    await deliver(client, runtime, one(*items, time_ms=TS_MS + 5000))
    rows = await db.fetch("SELECT mid, sent_at FROM messages ORDER BY sent_at")
    assert [(row["mid"], row["sent_at"]) for row in rows] == [
        (mid(n), T0 + timedelta(seconds=n - 1)) for n in (1, 2, 3, 4)
    ]


async def test_a_full_redelivery_changes_nothing_and_emits_nothing(
    client, db, runtime, inbox
) -> None:
    _, conversation = await make_conversation(db, inbox)
    await insert_reply(db, inbox, conversation, make_mid(ACCOUNT, 100), "sent", T0)
    batch = ALL_CASES["batch_multi_entry"]()
    extra = [
        reaction(ACCOUNT, CONTACT, make_mid(ACCOUNT, 20), ts_ms=TS_MS + 3000),
        message_edit(ACCOUNT, CONTACT, make_mid(ACCOUNT, 20), "edited", 1, TS_MS + 4000),
    ]
    batch["entry"].append(entry(ACCOUNT, extra))
    await deliver(client, runtime, batch)

    async def snapshot() -> tuple:
        tables = {}
        for table in ("contacts", "conversations", "messages", "reactions", "deferred_effects"):
            rows = await db.fetch(f"SELECT * FROM {table} ORDER BY id")
            tables[table] = [dict(row) for row in rows]
        return tables, await event_log(db, inbox.workspace_id)

    before = await snapshot()
    # The same bytes (one receipt), then the same events in a new envelope (a new receipt).
    await deliver(client, runtime, batch)
    for time_ms in (TS_MS + 10_000, TS_MS + 20_000):
        for item in batch["entry"]:
            item["time"] = time_ms
        await deliver(client, runtime, batch)
    assert await snapshot() == before
    assert await db.fetchval("SELECT count(*) FROM webhook_receipts") == 3
    kinds = [kind for kind, _ in before[1]]
    assert kinds.count("message.created") == 2 and kinds.count("messages.seen") == 1
