"""Conversation aggregates kept by incoming messages: unread count, reply windows, last
message, reopening, attribution."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.webhooks.conftest import at_ms, deliver, event_log, last_seq
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ALL_CASES,
    CONTACT,
    TS_MS,
    body,
    echo_message,
    entry,
    make_mid,
    optin,
    referral,
    text_message,
)

T0 = at_ms(TS_MS)
MINUTE = 60_000


def mid(seq: int) -> str:
    return make_mid(ACCOUNT, seq)


def one(*items: dict) -> dict:
    return body([entry(ACCOUNT, list(items))])


def customer(seq: int, ts_ms: int) -> dict:
    return text_message(ACCOUNT, CONTACT, f"message {seq}", mid(seq), ts_ms)


async def conversation(db) -> dict:
    row = await db.fetchrow(
        "SELECT c.id, c.status, c.snoozed_until, c.unread_count, c.last_customer_message_at,"
        " c.window_ends_at, c.human_agent_ends_at, c.last_activity_at,"
        " c.referral::text AS referral,"
        " m.mid AS last_mid FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id"
    )
    result = dict(row)
    result["referral"] = json.loads(row["referral"]) if row["referral"] else None
    return result


async def test_unread_and_windows_follow_the_customers_last_message(
    client, db, runtime, inbox
) -> None:
    await deliver(client, runtime, one(customer(1, TS_MS), customer(2, TS_MS + MINUTE)))
    state = await conversation(db)
    last = T0 + timedelta(minutes=1)
    assert (state["unread_count"], state["last_customer_message_at"]) == (2, last)
    assert state["window_ends_at"] == last + timedelta(hours=24)
    assert state["human_agent_ends_at"] == last + timedelta(days=7)
    assert (state["last_mid"], state["last_activity_at"]) == (mid(2), last)

    # Our replies, opt-ins and handovers are not the customer writing: no unread, no window.
    reply = echo_message(ACCOUNT, CONTACT, "hello", mid(100), TS_MS + 5 * MINUTE)
    subscribed = optin(ACCOUNT, CONTACT, "RESTOCK", "Restock", ts_ms=TS_MS + 6 * MINUTE)
    await deliver(client, runtime, one(reply, subscribed))
    state = await conversation(db)
    assert (state["unread_count"], state["window_ends_at"]) == (2, last + timedelta(hours=24))
    assert state["last_activity_at"] == T0 + timedelta(minutes=6)

    # A late, older customer message counts as unread but moves no window back.
    await deliver(client, runtime, one(customer(3, TS_MS - 10 * MINUTE)))
    state = await conversation(db)
    assert (state["unread_count"], state["last_customer_message_at"]) == (3, last)
    assert state["human_agent_ends_at"] == last + timedelta(days=7)
    assert state["last_mid"] != mid(3)

    # A postback opens the window like a message does.
    postback = ALL_CASES["postback"](ts_ms=TS_MS + 60 * MINUTE)
    await deliver(client, runtime, postback)
    state = await conversation(db)
    assert state["unread_count"] == 4
    assert state["window_ends_at"] == T0 + timedelta(hours=25)
    assert state["human_agent_ends_at"] == T0 + timedelta(hours=1, days=7)


async def test_the_events_carry_the_conversation_as_it_stands(client, db, runtime, inbox) -> None:
    seq = await last_seq(db, inbox.workspace_id)
    await deliver(client, runtime, one(customer(1, TS_MS), customer(2, TS_MS + MINUTE)))
    events = await event_log(db, inbox.workspace_id, after=seq)
    assert [kind for kind, _ in events] == [
        "conversation.created",
        "message.created",
        "message.created",
    ]
    created = events[0][1]["conversation"]
    assert created["contact"]["igsid"] == CONTACT
    assert created["account_id"] == inbox.account_id
    assert (created["unread_count"], created["last_message"]["mid"]) == (2, mid(2))
    assert created["window_ends_at"] == "2026-12-01T09:16:00Z"
    assert [payload["message"]["mid"] for _, payload in events[1:]] == [mid(1), mid(2)]


async def test_a_resolved_conversation_reopens_on_a_new_customer_message(
    client, db, runtime, inbox
) -> None:
    first = customer(1, TS_MS)
    await deliver(client, runtime, one(first))
    await db.execute("UPDATE conversations SET status = 'resolved', unread_count = 0")

    # Neither our own reply nor a redelivery of an old message reopens it.
    await deliver(client, runtime, one(echo_message(ACCOUNT, CONTACT, "bye", mid(100), TS_MS + 1)))
    await deliver(client, runtime, body([entry(ACCOUNT, [first], time_ms=TS_MS + 99)]))
    state = await conversation(db)
    assert (state["status"], state["unread_count"]) == ("resolved", 0)

    seq = await last_seq(db, inbox.workspace_id)
    await deliver(client, runtime, one(customer(2, TS_MS + MINUTE)))
    state = await conversation(db)
    assert (state["status"], state["unread_count"]) == ("open", 1)
    [(kind, payload), (reopened, change)] = await event_log(db, inbox.workspace_id, after=seq)
    assert kind == "message.created"
    assert (payload["conversation"]["status"], payload["conversation"]["unread_count"]) == (
        "open",
        1,
    )
    # It says so (tests/conversations/test_reopened.py): the change names the message.
    assert reopened == "conversation.reopened"
    assert change["change"]["message_id"] == payload["message"]["id"]


async def test_a_snoozed_conversation_reopens_on_a_new_customer_message(
    client, db, runtime, inbox
) -> None:
    await deliver(client, runtime, one(customer(1, TS_MS)))
    await db.execute(
        "UPDATE conversations SET status = 'pending', snoozed_until = now() + interval '2 days'"
    )
    await deliver(client, runtime, one(customer(2, TS_MS + MINUTE)))
    state = await conversation(db)
    assert (state["status"], state["snoozed_until"]) == ("open", None)


async def test_the_first_referral_is_kept_for_attribution(client, db, runtime, inbox) -> None:
    await deliver(client, runtime, ALL_CASES["message_ad_referral"]())
    ad = (await conversation(db))["referral"]
    assert (ad["ref"], ad["source"], ad["ad_id"]) == (
        "summer_linen_ad",
        "ADS",
        "120210987654321098",
    )
    # A later ig.me link into the same thread is stored, but the attribution stays the ad's.
    await deliver(
        client, runtime, one(referral(ACCOUNT, CONTACT, "bio_link_support", ts_ms=TS_MS + MINUTE))
    )
    assert (await conversation(db))["referral"] == ad
    kinds = await db.fetch("SELECT kind FROM messages ORDER BY sent_at")
    assert [row["kind"] for row in kinds] == ["message", "referral"]
