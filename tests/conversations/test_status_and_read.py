"""Status and snooze, marking read, contact corrections: rows, audit, events, convergence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conversations.conftest import (
    assert_converges,
    audits,
    head,
    logged,
    new_igsid,
    snapshot,
)

EVERYONE = (None, None)


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def set_status(client, member, cid: int, **body):
    return await client.post(
        f"/api/v1/conversations/{cid}/status", json=body, headers=member.headers
    )


async def row(db, cid: int) -> dict:
    found = await db.fetchrow(
        "SELECT status, snoozed_until, unread_count FROM conversations WHERE id = $1", cid
    )
    return dict(found)


async def test_snooze_resolve_and_reopen(shop, client, db) -> None:
    cid = await shop.conversation()
    until = later(hours=2)
    before, seq = await snapshot(client, shop.agent), await head(db, shop.workspace_id)

    snoozed = await set_status(client, shop.agent, cid, status="pending", snoozed_until=until)

    assert snoozed.status_code == 200, snoozed.text
    assert (await row(db, cid))["status"] == "pending"
    assert (await row(db, cid))["snoozed_until"] == datetime.fromisoformat(until)
    [event] = await logged(db, shop.workspace_id, seq)
    assert (event["type"], event["_audience"]) == ("conversation.updated", EVERYONE)
    assert event["conversation"] == snoozed.json()
    [entry] = await audits(db, shop.workspace_id, "conversation.status_changed")
    assert entry["actor_id"] == shop.agent.user_id
    assert entry["before"] == {"status": "open", "snoozed_until": None}
    assert entry["after"]["status"] == "pending"
    assert datetime.fromisoformat(entry["after"]["snoozed_until"]) == datetime.fromisoformat(until)
    await assert_converges(client, db, shop.agent, before)

    for status in ("resolved", "open"):  # resolved leaves the bootstrap, reopening brings it back
        before = await snapshot(client, shop.supervisor)
        response = await set_status(client, shop.agent, cid, status=status)
        assert response.status_code == 200, response.text
        assert await row(db, cid) == {"status": status, "snoozed_until": None, "unread_count": 1}
        events = await assert_converges(client, db, shop.supervisor, before)
        assert [e["type"] for e in events] == ["conversation.updated"]
    assert len(await audits(db, shop.workspace_id, "conversation.status_changed")) == 3

    seq = await head(db, shop.workspace_id)
    same = await set_status(client, shop.agent, cid, status="open")
    assert same.status_code == 200
    assert await head(db, shop.workspace_id) == seq


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"status": "pending"}, "snoozed_until", "a pending conversation needs snoozed_until"),
        (
            {"status": "pending", "snoozed_until": "2020-01-01T00:00:00Z"},
            "snoozed_until",
            "snoozed_until must be in the future",
        ),
        (
            {"status": "pending", "snoozed_until": "2999-01-01T00:00:00"},
            "snoozed_until",
            "snoozed_until needs a time zone (e.g. Z)",
        ),
        (
            {"status": "resolved", "snoozed_until": "2999-01-01T00:00:00Z"},
            "snoozed_until",
            "snoozed_until is for pending, not resolved",
        ),
        ({"status": "closed"}, "status", None),
        ({"status": "open", "color": "red"}, "color", None),
    ],
)
async def test_bad_status_changes_are_refused(shop, client, db, body, field, message) -> None:
    cid = await shop.conversation()
    seq = await head(db, shop.workspace_id)
    response = await set_status(client, shop.agent, cid, **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error.get("field")) == ("invalid", field)
    if message is not None:
        assert error["message"] == message
    assert await head(db, shop.workspace_id) == seq


async def message_ids(db, cid: int) -> list[int]:
    rows = await db.fetch(
        "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY sent_at, id", cid
    )
    return [r["id"] for r in rows]


async def test_reading_resets_the_team_count_and_moves_the_own_position(shop, client, db) -> None:
    igsid = new_igsid()
    cid = await shop.conversation("one", igsid=igsid)
    await shop.conversation("two", igsid=igsid)
    first, newest = await message_ids(db, cid)
    assert (await row(db, cid))["unread_count"] == 2
    before, seq = await snapshot(client, shop.agent), await head(db, shop.workspace_id)

    response = await client.post(f"/api/v1/conversations/{cid}/read", headers=shop.agent.headers)

    assert response.status_code == 200, response.text
    assert response.json()["read_message_id"] == newest
    assert response.json()["conversation"]["unread_count"] == 0
    assert (await row(db, cid))["unread_count"] == 0
    position = await db.fetchrow(
        "SELECT message_id, workspace_id FROM read_positions WHERE user_id = $1"
        " AND conversation_id = $2",
        shop.agent.user_id,
        cid,
    )
    assert dict(position) == {"message_id": newest, "workspace_id": shop.workspace_id}
    read, moved = await logged(db, shop.workspace_id, seq)
    assert (read["type"], read["_audience"]) == ("conversation.read", EVERYONE)
    assert (read["conversation_id"], read["read_by"]) == (cid, shop.agent.user_id)
    assert (moved["type"], moved["_audience"]) == (
        "read_position.updated",
        (shop.agent.user_id, None),
    )
    assert (moved["conversation_id"], moved["user_id"], moved["message_id"]) == (
        cid,
        shop.agent.user_id,
        newest,
    )
    [entry] = await audits(db, shop.workspace_id, "conversation.read")
    assert (entry["actor_id"], entry["before"], entry["after"]) == (
        shop.agent.user_id,
        {"unread_count": 2, "read_message_id": None},
        {"unread_count": 0, "read_message_id": newest},
    )
    await assert_converges(client, db, shop.agent, before)

    # Reading again, or an older message, changes nothing: positions only move forward.
    seq = await head(db, shop.workspace_id)
    for body in (None, {"message_id": first}):
        again = await client.post(
            f"/api/v1/conversations/{cid}/read", json=body, headers=shop.agent.headers
        )
        assert again.status_code == 200
        assert again.json()["read_message_id"] == newest
    assert await head(db, shop.workspace_id) == seq

    # Another agent's first read: only its own position (the team count is zero already).
    before = await snapshot(client, shop.supervisor)
    other = await client.post(
        f"/api/v1/conversations/{cid}/read", json={"message_id": first}, headers=shop.agent2.headers
    )
    assert other.json()["read_message_id"] == first
    [moved] = await logged(db, shop.workspace_id, seq)
    assert (moved["type"], moved["_audience"]) == (
        "read_position.updated",
        (shop.agent2.user_id, None),
    )
    events = await assert_converges(client, db, shop.supervisor, before)
    assert events == []  # the supervisor sees none of it


async def test_reading_a_message_of_another_conversation_is_refused(shop, client) -> None:
    cid, other = await shop.conversation(), await shop.conversation()
    foreign = await shop.runtime.engine.pool.fetchval(
        "SELECT id FROM messages WHERE conversation_id = $1", other
    )
    response = await client.post(
        f"/api/v1/conversations/{cid}/read",
        json={"message_id": foreign},
        headers=shop.agent.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": f"message {foreign} is not in conversation {cid}",
        "field": "message_id",
    }


async def test_an_agent_corrects_a_contact(shop, client, db) -> None:
    cid = await shop.conversation()
    await shop.name_contact(cid, "Alice Martin", "alice.martin")
    contact_id = await shop.contact_of(cid)
    before, seq = await snapshot(client, shop.agent2), await head(db, shop.workspace_id)

    response = await client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"display_name": "  Alice   (wholesale) ", "notes": "prefers mornings"},
        headers=shop.agent.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Alice (wholesale)"
    stored = await db.fetchrow(
        "SELECT name, username, display_name, notes FROM contacts WHERE id = $1", contact_id
    )
    assert dict(stored) == {
        "name": "Alice Martin",
        "username": "alice.martin",
        "display_name": "Alice (wholesale)",
        "notes": "prefers mornings",
    }
    [event] = await logged(db, shop.workspace_id, seq)
    assert (event["type"], event["_audience"]) == ("contact.updated", EVERYONE)
    assert event["contact"] == response.json()
    [entry] = await audits(db, shop.workspace_id, "contact.corrected")
    assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
        shop.agent.user_id,
        "contact",
        str(contact_id),
    )
    assert (entry["before"], entry["after"]) == (
        {"display_name": "", "notes": ""},
        {"display_name": "Alice (wholesale)", "notes": "prefers mornings"},
    )
    await assert_converges(client, db, shop.agent2, before)

    seq = await head(db, shop.workspace_id)
    same = await client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"notes": "prefers mornings"},
        headers=shop.agent.headers,
    )
    assert same.status_code == 200
    assert await head(db, shop.workspace_id) == seq
    odd = await client.patch(
        f"/api/v1/contacts/{contact_id}", json={"name": "Bob"}, headers=shop.agent.headers
    )
    assert odd.status_code == 400
    assert odd.json()["error"]["field"] == "name"
