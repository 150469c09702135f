"""Auto-assignment through the API and signed webhooks: settings (who may change them, bad
input, isolation), the decision rules (least loaded, round robin, capacity, first come),
room appearing (resolve, reassign, capacity raised, coming online, turning it on), and
the write path's traces (conversation.assigned by nobody, with a reason; a system audit)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.conversations.conftest import audits, head, logged
from wazify.actions.assignment_settings import record_presence
from wazify.workers.assignment import AssignmentSweeper

SETTINGS = "/api/v1/assignment/settings"


def capacity_url(user_id: int) -> str:
    return f"/api/v1/assignment/members/{user_id}/capacity"


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def assignee_of(db, conversation_id: int) -> int | None:
    return await db.fetchval("SELECT assignee_id FROM conversations WHERE id = $1", conversation_id)


async def assigned(db, conversation_id: int) -> int:
    await until(lambda: _is_assigned(db, conversation_id))
    return await assignee_of(db, conversation_id)


async def _is_assigned(db, conversation_id: int) -> bool:
    return await assignee_of(db, conversation_id) is not None


async def queued(db, workspace_id: int) -> list[int]:
    rows = await db.fetch(
        "SELECT conversation_id FROM assignment_queue WHERE workspace_id = $1"
        " ORDER BY waiting_since, conversation_id",
        workspace_id,
    )
    return [row["conversation_id"] for row in rows]


async def configure(shop, **settings) -> None:
    """Only the two agents take conversations (the admin's and supervisor's capacity 0)."""
    for member in (shop.admin, shop.supervisor):
        response = await shop.client.put(
            capacity_url(member.user_id), json={"capacity": 0}, headers=shop.admin.headers
        )
        assert response.status_code == 200, response.text
    body = {"enabled": True, "eligibility": "active"} | settings
    response = await shop.client.patch(SETTINGS, json=body, headers=shop.supervisor.headers)
    assert response.status_code == 200, response.text


async def test_agents_cannot_change_settings_or_capacity(shop, client) -> None:
    response = await client.patch(SETTINGS, json={"enabled": True}, headers=shop.agent.headers)
    assert response.status_code == 403
    response = await client.put(
        capacity_url(shop.agent.user_id), json={"capacity": 9}, headers=shop.agent.headers
    )
    assert response.status_code == 403
    overview = await client.get("/api/v1/assignment", headers=shop.agent.headers)
    assert overview.status_code == 200
    assert overview.json()["settings"]["enabled"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"strategy": "random"}, "strategy"),
        ({"eligibility": "everyone"}, "eligibility"),
        ({"default_capacity": -1}, "default_capacity"),
        ({"default_capacity": 100000}, "default_capacity"),
        ({"enabled": "yes"}, "enabled"),
        ({"offline_return_minutes": 5000}, "offline_return_minutes"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_settings_are_400s_naming_the_field(shop, client, body, field) -> None:
    response = await client.patch(SETTINGS, json=body, headers=shop.admin.headers)
    assert response.status_code == 400, response.text
    assert field in response.text


async def test_another_workspaces_member_is_a_404(shop, client) -> None:
    response = await client.put(
        capacity_url(shop.rival.user_id), json={"capacity": 3}, headers=shop.admin.headers
    )
    assert response.status_code == 404
    response = await client.put(
        capacity_url(shop.agent.user_id), json={"capacity": 3}, headers=shop.rival.headers
    )
    assert response.status_code == 404
    response = await client.put(
        capacity_url(shop.agent.user_id), json={"capacity": -2}, headers=shop.admin.headers
    )
    assert response.status_code == 400


async def test_off_by_default_nothing_is_assigned(shop, db) -> None:
    cid = await shop.conversation()
    await asyncio.sleep(0.2)
    assert await assignee_of(db, cid) is None
    assert await queued(db, shop.workspace_id) == []


async def test_least_loaded_with_an_event_and_a_system_audit(shop, client, db) -> None:
    await configure(shop, strategy="least_loaded")
    first = await shop.conversation(ts_ms=1_000_000)
    taken = await assigned(db, first)
    seq = await head(db, shop.workspace_id)
    second = await shop.conversation(ts_ms=1_000_001)
    other = await assigned(db, second)
    assert {taken, other} == {shop.agent.user_id, shop.agent2.user_id}
    event = next(
        e for e in await logged(db, shop.workspace_id, seq) if e["type"] == "conversation.assigned"
    )
    assert event["assigned_by"] is None
    assert event["conversation"]["assignee_id"] == other
    assert "least loaded" in event["reason"]
    entry = (await audits(db, shop.workspace_id, "conversation.assigned"))[-1]
    assert entry["actor_id"] is None and entry["actor_label"] == "auto-assignment"
    assert entry["after"]["assignee_id"] == other
    assert entry["after"]["reason"] == "capacity" and entry["after"]["load"] == 0


async def test_round_robin_takes_turns(shop, db) -> None:
    await configure(shop, strategy="round_robin", default_capacity=10)
    order = [await assigned(db, await shop.conversation()) for _ in range(4)]
    assert order[0] != order[1] and order[0] == order[2] and order[1] == order[3]


async def test_full_members_leave_a_first_come_queue_served_when_room_appears(
    shop, client, db
) -> None:
    await configure(shop, default_capacity=1)
    held = [await shop.conversation(ts_ms=2_000_000 + i) for i in range(2)]
    for cid in held:
        await assigned(db, cid)
    # Later customers' messages, written before them, wait longest: Meta's time is the order.
    late = await shop.conversation(ts_ms=2_000_500)
    early = await shop.conversation(ts_ms=2_000_100)
    await asyncio.sleep(0.2)
    assert await queued(db, shop.workspace_id) == [early, late]
    overview = (await client.get("/api/v1/assignment", headers=shop.agent.headers)).json()
    assert overview["waiting"] == 2 and overview["longest_wait_seconds"] > 0
    loads = {m["user_id"]: (m["load"], m["capacity"]) for m in overview["members"]}
    assert loads[shop.agent.user_id] == (1, 1)

    owner = await assignee_of(db, held[0])
    response = await client.post(
        f"/api/v1/conversations/{held[0]}/status",
        json={"status": "resolved"},
        headers=shop.admin.headers,
    )
    assert response.status_code == 200, response.text
    assert await assigned(db, early) == owner
    assert await queued(db, shop.workspace_id) == [late]

    response = await client.put(
        capacity_url(shop.agent2.user_id), json={"capacity": 2}, headers=shop.supervisor.headers
    )
    assert response.status_code == 200
    assert await assigned(db, late) == shop.agent2.user_id


async def test_manual_claims_count_toward_capacity(shop, client, db) -> None:
    await configure(shop, default_capacity=1)
    response = await client.patch(SETTINGS, json={"enabled": False}, headers=shop.admin.headers)
    claimed = await shop.conversation()
    response = await client.post(
        f"/api/v1/conversations/{claimed}/claim", headers=shop.agent.headers
    )
    assert response.status_code == 200
    response = await client.patch(SETTINGS, json={"enabled": True}, headers=shop.admin.headers)
    cid = await shop.conversation()
    assert await assigned(db, cid) == shop.agent2.user_id
    waiting = await shop.conversation()
    await asyncio.sleep(0.2)
    assert await queued(db, shop.workspace_id) == [waiting]
    # Reassigning frees the agent's room: the waiting conversation goes to them.
    response = await client.post(
        f"/api/v1/conversations/{claimed}/assign",
        json={"user_id": shop.supervisor.user_id},
        headers=shop.admin.headers,
    )
    assert response.status_code == 200
    assert await assigned(db, waiting) == shop.agent.user_id


async def test_turning_it_on_serves_conversations_already_waiting(shop, client, db) -> None:
    cids = [await shop.conversation(ts_ms=3_000_000 + i) for i in range(3)]
    await configure(shop, default_capacity=1)
    for cid in cids[:2]:
        await assigned(db, cid)
    assert await queued(db, shop.workspace_id) == [cids[2]]
    await client.patch(SETTINGS, json={"enabled": False}, headers=shop.admin.headers)
    assert await queued(db, shop.workspace_id) == []


async def test_online_only_waits_for_presence(shop, runtime, db) -> None:
    await configure(shop, eligibility="online")
    cid = await shop.conversation()
    await asyncio.sleep(0.2)
    assert await assignee_of(db, cid) is None
    assert await record_presence(runtime, shop.workspace_id, shop.agent2.user_id, True)
    assert await assigned(db, cid) == shop.agent2.user_id


async def test_deactivation_returns_conversations_to_the_queue(shop, client, db) -> None:
    await configure(shop, default_capacity=1)
    cid = await shop.conversation()
    owner = await assigned(db, cid)
    quitter = shop.agent if owner == shop.agent.user_id else shop.agent2
    response = await client.post(
        f"/api/v1/members/{quitter.user_id}/deactivate", headers=shop.admin.headers
    )
    assert response.status_code == 200, response.text
    stayer = shop.agent2 if quitter is shop.agent else shop.agent
    await until(lambda: _held_by(db, cid, stayer.user_id))


async def _held_by(db, cid: int, user_id: int) -> bool:
    return await assignee_of(db, cid) == user_id


async def test_an_offline_member_returns_unanswered_conversations(shop, runtime, db) -> None:
    await configure(shop, eligibility="online", offline_return_minutes=5)
    agent, agent2 = shop.agent.user_id, shop.agent2.user_id
    await record_presence(runtime, shop.workspace_id, agent, True)
    cid = await shop.conversation()
    assert await assigned(db, cid) == agent
    await record_presence(runtime, shop.workspace_id, agent, False)
    await record_presence(runtime, shop.workspace_id, agent2, True)
    sweeper = AssignmentSweeper(runtime)
    await sweeper.sweep()  # offline for less than 5 minutes: kept
    assert await assignee_of(db, cid) == agent
    await db.execute(
        "UPDATE assignment_members SET online_changed_at = now() - interval '6 minutes'"
        " WHERE user_id = $1",
        agent,
    )
    await sweeper.sweep()
    await until(lambda: _held_by(db, cid, agent2))
    [entry] = await audits(db, shop.workspace_id, "conversation.unassigned")
    assert entry["actor_label"] == "auto-assignment"
    assert entry["after"] == {"assignee_id": None, "reason": "member_offline"}
