"""Loose ends of issue 17 through the API: a deactivated member's open conversations go
back to the unassigned queue (events, audit); admins list and cancel pending invitations
(permissions, another workspace's 404, events to admins only, the link stops working)."""

from __future__ import annotations

from tests.conversations.conftest import Shop, assert_converges, audits, head, logged, snapshot

ADMINS_ONLY = (None, ["admin"])


async def test_deactivating_returns_open_conversations_to_the_queue(shop: Shop, client, db):
    held = [await shop.conversation(f"hi {n}") for n in range(3)]
    for cid in held:
        claimed = await client.post(
            f"/api/v1/conversations/{cid}/claim", headers=shop.agent.headers
        )
        assert claimed.status_code == 200, claimed.text
    resolved = await client.post(
        f"/api/v1/conversations/{held[2]}/status", json={"status": "resolved"},
        headers=shop.agent.headers,
    )  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    before, seq = await snapshot(client, shop.supervisor), await head(db, shop.workspace_id)

    response = await client.post(
        f"/api/v1/members/{shop.agent.user_id}/deactivate", headers=shop.admin.headers
    )

    assert response.status_code == 200, response.text
    events = await logged(db, shop.workspace_id, seq)
    assert [e["type"] for e in events] == ["member.updated"] + ["conversation.assigned"] * 2
    assert {e["conversation"]["id"] for e in events[1:]} == set(held[:2])
    assert all(e["conversation"]["assignee_id"] is None for e in events[1:])
    assert all(e["previous_assignee_id"] == shop.agent.user_id for e in events[1:])
    assert all(e["assigned_by"] == shop.admin.user_id for e in events[1:])
    entries = await audits(db, shop.workspace_id, "conversation.unassigned")
    assert sorted(int(e["target_id"]) for e in entries) == held[:2]
    assert entries[0]["after"] == {"assignee_id": None, "reason": "member_deactivated"}
    rows = await db.fetch(
        "SELECT id, assignee_id FROM conversations WHERE id = ANY($1) ORDER BY id", held
    )
    # A resolved conversation keeps who resolved it; the open ones are in the queue.
    assert [r["assignee_id"] for r in rows] == [None, None, shop.agent.user_id]
    await assert_converges(client, db, shop.supervisor, before)


async def invite(shop: Shop, email: str, member=None) -> dict:
    response = await shop.client.post(
        "/api/v1/members", json={"email": email, "role": "agent"},
        headers=(member or shop.admin).headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


async def test_admins_list_and_cancel_invitations(shop: Shop, client, db) -> None:
    seq = await head(db, shop.workspace_id)
    first = await invite(shop, "one@shop.test")
    second = await invite(shop, "two@shop.test")
    await invite(shop, "elsewhere@rival.test", shop.rival)

    listed = await client.get("/api/v1/invitations", headers=shop.admin.headers)

    assert listed.status_code == 200, listed.text
    assert [i["email"] for i in listed.json()] == ["two@shop.test", "one@shop.test"]
    assert set(listed.json()[0]) == {"id", "email", "role", "expires_at"}
    for member in (shop.supervisor, shop.agent):
        assert (await client.get("/api/v1/invitations", headers=member.headers)).status_code == 403
        refused = await client.delete(
            f"/api/v1/invitations/{first['invitation']['id']}", headers=member.headers
        )
        assert refused.status_code == 403
    cancelled = await client.delete(
        f"/api/v1/invitations/{first['invitation']['id']}", headers=shop.admin.headers
    )
    assert cancelled.status_code == 204, cancelled.text
    again = await client.delete(
        f"/api/v1/invitations/{first['invitation']['id']}", headers=shop.admin.headers
    )
    assert again.status_code == 404
    foreign = await client.delete(
        f"/api/v1/invitations/{second['invitation']['id']}", headers=shop.rival.headers
    )
    assert foreign.status_code == 404, foreign.text
    bad = await client.delete("/api/v1/invitations/0", headers=shop.admin.headers)
    assert bad.status_code == 400 and "invitation_id" in bad.text

    left = await client.get("/api/v1/invitations", headers=shop.admin.headers)
    assert [i["email"] for i in left.json()] == ["two@shop.test"]
    events = await logged(db, shop.workspace_id, seq)
    assert [(e["type"], e["_audience"]) for e in events] == [
        ("invitation.created", ADMINS_ONLY),
        ("invitation.created", ADMINS_ONLY),
        ("invitation.removed", ADMINS_ONLY),
    ]
    assert events[2]["invitation_id"] == first["invitation"]["id"]
    [entry] = await audits(db, shop.workspace_id, "invitation.cancelled")
    assert entry["before"] == {"email": "one@shop.test", "role": "agent"}
    # The cancelled link no longer works.
    token = first["invite_url"].rsplit("/", 1)[1]
    accept = await client.post(
        "/api/v1/invitations/accept", json={"token": token, "password": "a long new password 1"}
    )
    assert accept.status_code == 400 and "invitation_invalid" in accept.text


async def test_an_accepted_invitation_leaves_the_list(shop: Shop, client, db) -> None:
    made = await invite(shop, "joiner@shop.test")
    seq = await head(db, shop.workspace_id)
    token = made["invite_url"].rsplit("/", 1)[1]
    accept = await client.post(
        "/api/v1/invitations/accept", json={"token": token, "password": "a long new password 1"}
    )
    assert accept.status_code == 201, accept.text
    events = await logged(db, shop.workspace_id, seq)
    assert ("invitation.removed", ADMINS_ONLY) in [(e["type"], e["_audience"]) for e in events]
    listed = await client.get("/api/v1/invitations", headers=shop.admin.headers)
    assert listed.json() == []
