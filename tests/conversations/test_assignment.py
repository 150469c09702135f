"""Assign, claim, unassign: rows, audit entries, events with their audience, convergence."""

from __future__ import annotations

from tests.conversations.conftest import assert_converges, audits, head, logged, snapshot
from tests.support.http import CLIENT_ADDR

EVERYONE = (None, None)


def url(conversation_id: int, action: str) -> str:
    return f"/api/v1/conversations/{conversation_id}/{action}"


async def mine(client, member) -> list[int]:
    response = await client.get("/api/v1/conversations?assignee=mine", headers=member.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def assignee_of(db, conversation_id: int) -> int | None:
    return await db.fetchval("SELECT assignee_id FROM conversations WHERE id = $1", conversation_id)


async def test_a_supervisor_assigns_and_everyone_sees_it(shop, client, db) -> None:
    cid = await shop.conversation()
    before, seq = await snapshot(client, shop.agent), await head(db, shop.workspace_id)

    response = await client.post(
        url(cid, "assign"), json={"user_id": shop.agent.user_id}, headers=shop.supervisor.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["assignee_id"] == shop.agent.user_id
    assert await assignee_of(db, cid) == shop.agent.user_id
    [entry] = await audits(db, shop.workspace_id, "conversation.assigned")
    assert entry == {
        "actor_id": shop.supervisor.user_id,
        "actor_label": shop.supervisor.email,
        "action": "conversation.assigned",
        "target_type": "conversation",
        "target_id": str(cid),
        "before": {"assignee_id": None},
        "after": {"assignee_id": shop.agent.user_id},
        "client_addr": CLIENT_ADDR,
    }
    [event] = await logged(db, shop.workspace_id, seq)
    assert event["type"] == "conversation.assigned"
    assert event["_audience"] == EVERYONE
    assert event["previous_assignee_id"] is None
    assert event["assigned_by"] == shop.supervisor.user_id
    assert event["conversation"] == response.json()
    await assert_converges(client, db, shop.agent, before)
    assert await mine(client, shop.agent) == [cid]


async def test_reassigning_moves_it_between_mine_lists(shop, client, db) -> None:
    cid = await shop.conversation()
    await client.post(
        url(cid, "assign"), json={"user_id": shop.agent.user_id}, headers=shop.admin.headers
    )
    before, seq = await snapshot(client, shop.agent2), await head(db, shop.workspace_id)

    response = await client.post(
        url(cid, "assign"), json={"user_id": shop.agent2.user_id}, headers=shop.admin.headers
    )

    assert response.status_code == 200, response.text
    [event] = await logged(db, shop.workspace_id, seq)
    assert (event["type"], event["previous_assignee_id"]) == (
        "conversation.assigned",
        shop.agent.user_id,
    )
    assert event["conversation"]["assignee_id"] == shop.agent2.user_id
    assert await mine(client, shop.agent) == []
    assert await mine(client, shop.agent2) == [cid]
    await assert_converges(client, db, shop.agent2, before)


async def test_assigning_the_current_assignee_changes_nothing(shop, client, db) -> None:
    cid = await shop.conversation()
    body = {"user_id": shop.agent.user_id}
    await client.post(url(cid, "assign"), json=body, headers=shop.admin.headers)
    seq = await head(db, shop.workspace_id)

    response = await client.post(url(cid, "assign"), json=body, headers=shop.admin.headers)

    assert response.status_code == 200
    assert response.json()["assignee_id"] == shop.agent.user_id
    assert await head(db, shop.workspace_id) == seq
    assert len(await audits(db, shop.workspace_id, "conversation.assigned")) == 1


async def test_only_active_members_of_the_workspace_can_be_assigned(shop, client, db) -> None:
    cid = await shop.conversation()
    seq = await head(db, shop.workspace_id)
    cases = [
        (
            shop.inactive.user_id,
            "inactive_member",
            f"member {shop.inactive.user_id} is deactivated",
        ),
        (shop.rival.user_id, "unknown_member", f"user {shop.rival.user_id} is not a member"),
        (999_999, "unknown_member", "user 999999 is not a member"),
    ]
    for user_id, code, message in cases:
        response = await client.post(
            url(cid, "assign"), json={"user_id": user_id}, headers=shop.supervisor.headers
        )
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == (code, "user_id")
        assert error["message"].startswith(message)
    assert await assignee_of(db, cid) is None
    assert await head(db, shop.workspace_id) == seq
    assert await audits(db, shop.workspace_id, "conversation.assigned") == []


async def test_an_agent_claims_an_unassigned_conversation(shop, client, db) -> None:
    cid = await shop.conversation()
    before, seq = await snapshot(client, shop.supervisor), await head(db, shop.workspace_id)

    response = await client.post(url(cid, "claim"), headers=shop.agent.headers)

    assert response.status_code == 200, response.text
    assert await assignee_of(db, cid) == shop.agent.user_id
    [event] = await logged(db, shop.workspace_id, seq)
    assert event["type"] == "conversation.assigned"
    assert event["_audience"] == EVERYONE
    assert (event["previous_assignee_id"], event["assigned_by"]) == (None, shop.agent.user_id)
    [entry] = await audits(db, shop.workspace_id, "conversation.assigned")
    assert (entry["actor_id"], entry["after"]) == (
        shop.agent.user_id,
        {"assignee_id": shop.agent.user_id},
    )
    await assert_converges(client, db, shop.supervisor, before)

    again = await client.post(url(cid, "claim"), headers=shop.agent.headers)
    assert again.status_code == 200
    assert await logged(db, shop.workspace_id, seq + 1) == []

    taken = await client.post(url(cid, "claim"), headers=shop.agent2.headers)
    assert taken.status_code == 409
    assert taken.json()["error"] == {
        "code": "already_assigned",
        "message": f"conversation {cid} is already assigned to member {shop.agent.user_id};"
        " an admin or supervisor can reassign it",
    }
    assert await assignee_of(db, cid) == shop.agent.user_id


async def test_an_agent_unassigns_itself_but_not_someone_else(shop, client, db) -> None:
    mine_id, theirs = await shop.conversation(), await shop.conversation()
    await client.post(url(mine_id, "claim"), headers=shop.agent.headers)
    await client.post(url(theirs, "claim"), headers=shop.agent2.headers)
    before, seq = await snapshot(client, shop.agent), await head(db, shop.workspace_id)

    response = await client.post(url(mine_id, "unassign"), headers=shop.agent.headers)

    assert response.status_code == 200, response.text
    assert response.json()["assignee_id"] is None
    [event] = await logged(db, shop.workspace_id, seq)
    assert event["type"] == "conversation.assigned"
    assert event["previous_assignee_id"] == shop.agent.user_id
    assert event["conversation"]["assignee_id"] is None
    [entry] = await audits(db, shop.workspace_id, "conversation.unassigned")
    assert (entry["before"], entry["after"]) == (
        {"assignee_id": shop.agent.user_id},
        {"assignee_id": None},
    )
    await assert_converges(client, db, shop.agent, before)

    refused = await client.post(url(theirs, "unassign"), headers=shop.agent.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        f"conversation {theirs} is assigned to member {shop.agent2.user_id}, not to you;"
        " unassigning someone else needs the admin or supervisor role"
    )
    assert await assignee_of(db, theirs) == shop.agent2.user_id

    by_staff = await client.post(url(theirs, "unassign"), headers=shop.supervisor.headers)
    assert by_staff.status_code == 200
    assert await assignee_of(db, theirs) is None
    assert await mine(client, shop.agent2) == []


async def test_unassigning_an_unassigned_conversation_changes_nothing(shop, client, db) -> None:
    cid = await shop.conversation()
    seq = await head(db, shop.workspace_id)
    response = await client.post(url(cid, "unassign"), headers=shop.agent.headers)
    assert response.status_code == 200
    assert await head(db, shop.workspace_id) == seq
