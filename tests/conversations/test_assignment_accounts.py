"""Auto-assignment per connected account: an account's own on/off overrides the workspace's
(who may change it, bad input, isolation, the audit), an account switched off keeps its
new conversations unassigned and out of the queue while another account's are assigned,
and switching it on queues and assigns its waiting conversations."""

from __future__ import annotations

import asyncio

import pytest

from tests.conversations.conftest import SYSTEM, audits
from tests.conversations.test_auto_assignment import (
    SETTINGS,
    assigned,
    assignee_of,
    configure,
    queued,
)
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import unit_of_work

SECOND = "17841400000000777"  # a second connected account of the shop


def account_url(account_id: int) -> str:
    return f"/api/v1/assignment/accounts/{account_id}"


async def second_account(shop) -> int:
    async with unit_of_work(shop.runtime, SYSTEM) as uow:
        account = await do_register_account(uow, shop.workspace_id, ig_id=SECOND, username="second")
    return account.id


async def accounts_shown(shop) -> dict[int, bool | None]:
    response = await shop.client.get("/api/v1/assignment", headers=shop.agent.headers)
    assert response.status_code == 200, response.text
    return {a["account_id"]: a["enabled"] for a in response.json()["accounts"]}


async def test_staff_set_an_accounts_own_setting_agents_cannot(shop, client, db) -> None:
    assert await accounts_shown(shop) == {shop.account_id: None}
    url = account_url(shop.account_id)
    response = await client.put(url, json={"enabled": False}, headers=shop.agent.headers)
    assert response.status_code == 403
    response = await client.put(url, json={"enabled": False}, headers=shop.supervisor.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"account_id": shop.account_id, "enabled": False}
    assert await accounts_shown(shop) == {shop.account_id: False}
    response = await client.put(url, json={"enabled": None}, headers=shop.admin.headers)
    assert response.status_code == 200
    assert await accounts_shown(shop) == {shop.account_id: None}
    entries = await audits(db, shop.workspace_id, "assignment.account_changed")
    assert [(e["before"], e["after"]) for e in entries] == [
        ({"enabled": None}, {"enabled": False}),
        ({"enabled": False}, {"enabled": None}),
    ]
    assert entries[0]["actor_id"] == shop.supervisor.user_id


async def test_another_workspaces_account_is_a_404(shop, client) -> None:
    response = await client.put(
        account_url(shop.rival_account_id), json={"enabled": True}, headers=shop.admin.headers
    )
    assert response.status_code == 404
    response = await client.put(
        account_url(shop.account_id), json={"enabled": True}, headers=shop.rival.headers
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("{account}", {"enabled": "yes"}, "enabled"),
        ("{account}", {}, "enabled"),
        ("{account}", {"enabled": True, "surprise": 1}, "surprise"),
        ("0", {"enabled": True}, "account_id"),
        ("99999999999999999999", {"enabled": True}, "account_id"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(shop, client, path, body, field) -> None:
    url = account_url(path.format(account=shop.account_id))
    response = await client.put(url, json=body, headers=shop.admin.headers)
    assert response.status_code == 400, response.text
    assert field in response.text


async def test_an_account_switched_off_keeps_its_conversations_unassigned(shop, client, db) -> None:
    second = await second_account(shop)
    await configure(shop, default_capacity=10)
    response = await client.put(
        account_url(second), json={"enabled": False}, headers=shop.supervisor.headers
    )
    assert response.status_code == 200, response.text
    off = [await shop.conversation(account=SECOND, ts_ms=4_000_000 + i) for i in range(2)]
    on = await shop.conversation(ts_ms=4_000_010)
    assert await assigned(db, on) in {shop.agent.user_id, shop.agent2.user_id}
    await asyncio.sleep(0.2)
    assert [await assignee_of(db, cid) for cid in off] == [None, None]
    assert await queued(db, shop.workspace_id) == []

    # Following the workspace again: its waiting conversations are queued and assigned.
    response = await client.put(
        account_url(second), json={"enabled": None}, headers=shop.admin.headers
    )
    assert response.status_code == 200
    for cid in off:
        assert await assigned(db, cid) in {shop.agent.user_id, shop.agent2.user_id}


async def test_an_account_switched_on_is_served_while_the_workspace_is_off(
    shop, client, db
) -> None:
    second = await second_account(shop)
    await configure(shop, default_capacity=1)
    await client.patch(SETTINGS, json={"enabled": False}, headers=shop.admin.headers)
    waiting = [await shop.conversation(account=SECOND, ts_ms=5_000_000 + i) for i in range(3)]
    following = await shop.conversation(ts_ms=5_000_001)
    assert await queued(db, shop.workspace_id) == []
    response = await client.put(
        account_url(second), json={"enabled": True}, headers=shop.supervisor.headers
    )
    assert response.status_code == 200
    # Two agents with room for one each: the two longest waiting go, the third waits.
    assert {await assigned(db, cid) for cid in waiting[:2]} == {
        shop.agent.user_id,
        shop.agent2.user_id,
    }
    assert await queued(db, shop.workspace_id) == [waiting[2]]
    assert await assignee_of(db, following) is None
    # Off again: its conversation leaves the queue; the workspace on queues only the rest.
    response = await client.put(
        account_url(second), json={"enabled": False}, headers=shop.admin.headers
    )
    assert await queued(db, shop.workspace_id) == []
    await client.patch(SETTINGS, json={"enabled": True}, headers=shop.admin.headers)
    assert await queued(db, shop.workspace_id) == [following]
    assert await assignee_of(db, waiting[2]) is None
