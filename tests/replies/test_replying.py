"""The replies API: content rules, windows, idempotent client ids, retry by a person."""

from __future__ import annotations

import asyncio
import json

from tests.replies.conftest import MESSAGES_PATH, fail_next, sent_texts
from tests.support.world import Member
from wazify.actions.auth import do_create_token
from wazify.actions.uow import Actor, unit_of_work
from wazify.fakemeta.items import now_ms

DAY_MS = 24 * 3600 * 1000


async def test_text_over_1000_bytes_is_refused_with_its_byte_count(shop, fake) -> None:
    emoji = "\U0001f600" * 251  # 251 characters, 1004 bytes
    response = await shop.reply(emoji)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "text_too_long" and error["field"] == "text"
    assert "1004 bytes" in error["message"] and "1000 bytes" in error["message"]
    exactly = "\u00e9" * 500  # 1000 bytes: allowed
    assert (await shop.reply(exactly)).status_code == 201


async def test_bad_content_is_refused(shop) -> None:
    cases = [
        ({}, "a reply needs text or attachments"),
        ({"text": "   "}, "the text is empty"),
        (
            {"text": "hi", "attachments": [{"type": "image", "url": "https://x.test/a.jpg"}]},
            "separate replies",
        ),
        ({"attachments": [{"type": "image", "url": "http://x.test/a.jpg"}]}, "https://"),
        ({"attachments": [{"type": "sticker", "url": "https://x.test/a"}]}, "attachment type"),
        ({"quick_replies": [{"title": "a", "payload": "A"}]}, "text"),
        ({"text": "q", "quick_replies": [{"title": "x" * 21, "payload": "A"}]}, "1 to 20"),
        ({"text": "q", "quick_replies": [{"title": "t", "payload": "p"}] * 14}, "at most 13"),
    ]
    for payload, expected in cases:
        response = await shop.live.http.post(
            f"/api/v1/conversations/{shop.conversation_id}/messages",
            json=payload,
            headers=shop.agent.headers,
        )
        assert response.status_code == 400, payload
        assert expected in response.json()["error"]["message"], (payload, response.json())


async def test_attachments_by_url_and_quick_replies_are_sent_as_meta_expects(shop, fake) -> None:
    image = {"type": "image", "url": "https://cdn.shop.test/shirt.jpg"}
    both = [image, {"type": "image", "url": "https://cdn.shop.test/back.jpg"}]
    one = (await shop.reply(attachments=[image])).json()
    two = (await shop.reply(attachments=both)).json()
    quick = [{"title": "Track order", "payload": "TRACK"}, {"title": "Returns", "payload": "RET"}]
    asked = (await shop.reply("What do you need?", quick_replies=quick)).json()
    assert asked["quick_replies"] == quick
    for reply in (one, two, asked):
        # The echo of an attachment carries Meta's CDN URL: it matches by type, not by URL.
        await shop.settled(reply["id"], "delivered")
    bodies = [json.loads(request.body)["message"] for request in fake.requests(MESSAGES_PATH)]
    assert bodies[0] == {"attachment": {"type": "image", "payload": {"url": image["url"]}}}
    assert [item["payload"]["url"] for item in bodies[1]["attachments"]] == [
        item["url"] for item in both
    ]
    assert bodies[2]["quick_replies"] == [
        {"content_type": "text", "title": "Track order", "payload": "TRACK"},
        {"content_type": "text", "title": "Returns", "payload": "RET"},
    ]


async def test_after_24_hours_only_a_person_replies_with_the_human_agent_tag(shop, fake) -> None:
    late = await shop.customer_writes("9200000000000001", ts_ms=now_ms() - 2 * DAY_MS)
    response = await shop.reply("Following up on your return", conversation_id=late)
    assert response.status_code == 201
    await shop.settled(response.json()["id"], "delivered")
    request = json.loads(fake.requests(MESSAGES_PATH)[-1].body)
    assert (request["messaging_type"], request["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    # A script (API token) is not a person: no HUMAN_AGENT for it.
    async with unit_of_work(shop.runtime, Actor.system("test")) as uow:
        _, secret = await do_create_token(uow, shop.workspace_id, shop.agent.user_id, "integration")
    scripted = await shop.live.http.post(
        f"/api/v1/conversations/{late}/messages",
        json={"text": "automated nudge"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert scripted.status_code == 409
    assert scripted.json()["error"]["code"] == "window_closed"
    assert "typed by a person" in scripted.json()["error"]["message"]
    # Inside the window, a token may reply (without any tag).
    inside = await shop.live.http.post(
        f"/api/v1/conversations/{shop.conversation_id}/messages",
        json={"text": "automated hello"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert inside.status_code == 201


async def test_after_7_days_nobody_may_reply(shop, fake) -> None:
    old = await shop.customer_writes("9200000000000002", ts_ms=now_ms() - 8 * DAY_MS)
    response = await shop.reply("too late", conversation_id=old)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "window_closed" and "more than 7 days old" in error["message"]
    assert sent_texts(fake) == []


async def test_a_conversation_the_customer_never_wrote_in_cannot_be_replied_to(shop) -> None:
    pool = shop.runtime.engine.pool
    contact = await pool.fetchval(
        "INSERT INTO contacts (workspace_id, account_id, igsid) VALUES ($1, $2, 'cold')"
        " RETURNING id",
        shop.workspace_id,
        shop.account_id,
    )
    cold = await pool.fetchval(
        "INSERT INTO conversations (workspace_id, account_id, contact_id) VALUES ($1, $2, $3)"
        " RETURNING id",
        shop.workspace_id,
        shop.account_id,
        contact,
    )
    response = await shop.reply("cold outreach", conversation_id=cold)
    assert response.status_code == 409
    assert "has not written yet" in response.json()["error"]["message"]


async def test_a_window_that_closed_while_the_reply_waited_fails_it_unsent(shop, fake) -> None:
    await shop.live.app.state.outbound.worker.stop()
    reply = (await shop.reply("queued in time")).json()
    await shop.runtime.engine.pool.execute(
        "UPDATE conversations SET window_ends_at = now() - interval '1 minute' WHERE id = $1",
        shop.conversation_id,
    )
    shop.live.app.state.outbound.worker.start()
    row = await shop.settled(reply["id"], "failed")
    assert "messaging window closed before it could be sent" in row["status_reason"]
    assert sent_texts(fake) == []


async def test_a_client_id_makes_a_retried_request_idempotent(shop, fake) -> None:
    first = await shop.reply("only once", client_id="c-123")
    again = await shop.reply("only once", client_id="c-123")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["client_id"] == "c-123"
    racing = await asyncio.gather(*(shop.reply("raced", client_id="c-race") for _ in range(5)))
    assert sorted(r.status_code for r in racing) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in racing}) == 1
    for reply in (first.json(), racing[0].json()):
        await shop.settled(reply["id"], "delivered")
    assert sorted(sent_texts(fake)) == ["only once", "raced"]
    created = await shop.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM events WHERE type = 'message.created'"
        " AND payload::jsonb -> 'message' ->> 'direction' = 'out'"
    )
    assert created == 2
    other = await shop.customer_writes("9200000000000003")
    reused = await shop.reply("elsewhere", conversation_id=other, client_id="c-123")
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "client_id_used"


async def test_a_person_retries_a_failed_reply_as_a_new_message(shop, fake) -> None:
    fail_next(fake, preset="user_unavailable")
    failed = (await shop.reply("please confirm")).json()
    await shop.settled(failed["id"], "failed")
    url = f"/api/v1/conversations/{shop.conversation_id}/messages/{failed['id']}/retry"
    response = await shop.live.http.post(
        url, json={"client_id": "retry-1"}, headers=shop.agent.headers
    )
    assert response.status_code == 201, response.text
    fresh = response.json()
    assert fresh["id"] != failed["id"] and fresh["status"] == "pending"
    assert fresh["text"] == "please confirm" and fresh["author_id"] == shop.agent.user_id
    await shop.settled(fresh["id"], "delivered")
    assert (await shop.message(failed["id"]))["status"] == "failed"
    assert sent_texts(fake) == ["please confirm", "please confirm"]
    again = await shop.live.http.post(
        url, json={"client_id": "retry-1"}, headers=shop.agent.headers
    )
    assert again.status_code == 200 and again.json()["id"] == fresh["id"]
    audit = await shop.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM audit_entries WHERE action = 'message.retried'"
    )
    assert audit == 1
    delivered = f"/api/v1/conversations/{shop.conversation_id}/messages/{fresh['id']}/retry"
    refused = await shop.live.http.post(delivered, headers=shop.agent.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_failed"


async def test_another_workspaces_conversation_is_not_found(shop) -> None:
    other = await shop.world.workspace("other")
    stranger: Member = await shop.world.member(other, "eve@other.test")
    response = await shop.live.http.post(
        f"/api/v1/conversations/{shop.conversation_id}/messages",
        json={"text": "hi"},
        headers=stranger.headers,
    )
    assert response.status_code == 404
    anonymous = await shop.live.http.post(
        f"/api/v1/conversations/{shop.conversation_id}/messages", json={"text": "hi"}
    )
    assert anonymous.status_code == 401
