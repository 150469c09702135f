"""The team's tools beside real sending (the fake Graph API records every call): a note,
even one written while a reply goes out, never reaches Meta; a canned response is counted
once per reply that used it."""

from __future__ import annotations

import json

from tests.replies.conftest import sent_texts

NOTE = "internal: this customer asked for a refund twice"


async def test_a_note_never_reaches_meta_while_a_reply_does(shop, fake) -> None:
    http, headers = shop.live.http, shop.agent.headers
    note = await http.post(
        f"/api/v1/conversations/{shop.conversation_id}/notes", json={"text": NOTE}, headers=headers
    )
    assert note.status_code == 201, note.text
    reply = await shop.reply("Your refund is on its way")
    await shop.settled(reply.json()["id"], "delivered")  # the sender ran and its echo came back

    assert sent_texts(fake) == ["Your refund is on its way"]
    for request in fake.requests():
        assert "refund twice" not in (request.body or "") + request.path
    pool = shop.runtime.engine.pool
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE text = $1", NOTE) == 0
    assert await pool.fetchval("SELECT text FROM notes") == NOTE


async def test_a_reply_counts_the_canned_response_it_used_once(shop, fake) -> None:
    http, headers = shop.live.http, shop.agent.headers
    made = await http.post(
        "/api/v1/canned-responses",
        json={"shortcut": "thanks", "text": "Thanks {{contact.first_name}}!"},
        headers=headers,
    )
    canned = made.json()
    body = {"text": "Thanks Alice!", "client_id": "c-1", "canned_response_id": canned["id"]}
    first = await shop.reply(**body)
    again = await shop.reply(**body)  # a retried request: the same message, counted once
    assert (first.status_code, again.status_code) == (201, 200)
    await shop.reply("Thanks again!", canned_response_id=canned["id"])
    listed = (await http.get("/api/v1/canned-responses", headers=headers)).json()
    assert listed[0]["usage_count"] == 2
    events = await shop.runtime.engine.pool.fetch(
        "SELECT payload::text, audience_user_id FROM events"
        " WHERE type = 'canned_response.updated' ORDER BY seq"
    )
    counts = [json.loads(row["payload"])["canned_response"]["usage_count"] for row in events]
    assert counts == [1, 2]
    assert {row["audience_user_id"] for row in events} == {shop.agent.user_id}  # personal


async def test_an_unknown_or_anothers_canned_response_refuses_the_reply(shop, fake) -> None:
    other = await shop.world.member(shop.workspace_id, "bo@shop.test")
    theirs = await shop.live.http.post(
        "/api/v1/canned-responses",
        json={"shortcut": "mine", "text": "Bo's own"},
        headers=other.headers,
    )
    pool = shop.runtime.engine.pool
    messages = await pool.fetchval("SELECT count(*) FROM messages")
    for canned_id in (theirs.json()["id"], 999, 2**63):
        response = await shop.reply("hello", canned_response_id=canned_id)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["field"] == "canned_response_id"
    assert await pool.fetchval("SELECT count(*) FROM messages") == messages  # nothing queued
    assert sent_texts(fake) == []
