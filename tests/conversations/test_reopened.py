"""A resolved conversation reopened by a customer's message says so: a status change
recorded with the message, conversation.reopened after its message.created, the list's
marker (reopened_at) until a member changes the status; every change of status by hand is
recorded too. Reads are for members of the workspace only."""

from __future__ import annotations

from tests.conversations.conftest import Shop, assert_converges, head, logged, new_igsid, snapshot


async def set_status(shop: Shop, cid: int, status: str, member=None) -> dict:
    response = await shop.client.post(
        f"/api/v1/conversations/{cid}/status", json={"status": status},
        headers=(member or shop.agent).headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_customer_message_reopens_a_resolved_conversation(shop: Shop, client, db):
    igsid = new_igsid()
    cid = await shop.conversation("my order?", igsid=igsid)
    resolved = await set_status(shop, cid, "resolved")
    assert resolved["reopened_at"] is None
    before, seq = await snapshot(client, shop.agent), await head(db, shop.workspace_id)

    await shop.conversation("one more thing", igsid=igsid)

    events = await logged(db, shop.workspace_id, seq)
    assert [e["type"] for e in events] == ["message.created", "conversation.reopened"]
    created, reopened = events
    change = reopened["change"]
    assert change["message_id"] == created["message"]["id"]
    assert (change["status_from"], change["status_to"], change["reason"]) == (
        "resolved", "open", "customer_message",
    )  # fmt: skip
    assert change["user_id"] is None
    assert reopened["conversation"]["status"] == "open"
    assert reopened["conversation"]["reopened_at"] is not None
    await assert_converges(client, db, shop.agent, before)

    listed = await client.get(
        f"/api/v1/conversations/{cid}/status-changes", headers=shop.agent2.headers
    )
    assert listed.status_code == 200, listed.text
    assert [(c["status_to"], c["reason"], c["user_id"]) for c in listed.json()] == [
        ("resolved", "member", shop.agent.user_id),
        ("open", "customer_message", None),
    ]
    # Another message while it is open reopens nothing.
    seq = await head(db, shop.workspace_id)
    await shop.conversation("are you there?", igsid=igsid)
    assert [e["type"] for e in await logged(db, shop.workspace_id, seq)] == ["message.created"]
    # A member's change of status ends the marker.
    again = await set_status(shop, cid, "resolved")
    assert again["reopened_at"] is None


async def test_status_changes_are_for_the_workspace_only(shop: Shop, client) -> None:
    cid = await shop.conversation("hello")
    for member in (shop.admin, shop.supervisor, shop.agent):
        response = await client.get(
            f"/api/v1/conversations/{cid}/status-changes", headers=member.headers
        )
        assert response.status_code == 200 and response.json() == []
    foreign = await client.get(
        f"/api/v1/conversations/{cid}/status-changes", headers=shop.rival.headers
    )
    assert foreign.status_code == 404
    assert (await client.get(f"/api/v1/conversations/{cid}/status-changes")).status_code == 401
    bad = await client.get("/api/v1/conversations/0/status-changes", headers=shop.agent.headers)
    assert bad.status_code == 400


async def test_a_pending_conversation_woken_by_a_message_is_no_reopening(shop: Shop, client, db):
    igsid = new_igsid()
    cid = await shop.conversation("hi", igsid=igsid)
    response = await client.post(
        f"/api/v1/conversations/{cid}/status",
        json={"status": "pending", "snoozed_until": "2099-01-01T00:00:00Z"},
        headers=shop.agent.headers,
    )
    assert response.status_code == 200, response.text
    seq = await head(db, shop.workspace_id)
    await shop.conversation("hello again", igsid=igsid)
    events = await logged(db, shop.workspace_id, seq)
    assert [e["type"] for e in events] == ["message.created"]
    assert events[0]["conversation"]["status"] == "open"
    assert events[0]["conversation"]["reopened_at"] is None
