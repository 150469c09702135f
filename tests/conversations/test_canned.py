"""Canned responses through the API: shared ones managed by admins and supervisors,
personal ones by their owner and seen by nobody else; what is refused; audit, events with
their audience; convergence. (Counting their use is tests/replies/test_team_tools.py.)"""

from __future__ import annotations

import pytest

from tests.conversations.conftest import Shop, assert_converges, audits, head, logged, snapshot

EVERYONE = (None, None)
URL = "/api/v1/canned-responses"
BIG = 2**63


async def make(
    shop: Shop, member, shortcut: str, text: str = "Hi {{contact.first_name}}!", shared=False
):
    response = await shop.client.post(
        URL, json={"shortcut": shortcut, "text": text, "shared": shared}, headers=member.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def shortcuts(shop: Shop, member) -> list[str]:
    return [r["shortcut"] for r in (await shop.client.get(URL, headers=member.headers)).json()]


async def test_shared_ones_are_for_staff_to_make_personal_ones_for_anyone(shop, client, db) -> None:
    for member in (shop.admin, shop.supervisor):
        await make(shop, member, f"{member.role}-shared", shared=True)
    refused = await client.post(
        URL, json={"shortcut": "x", "text": "y", "shared": True}, headers=shop.agent.headers
    )
    assert refused.status_code == 403
    assert "managed by admins and supervisors" in refused.json()["error"]["message"]
    mine = await make(shop, shop.agent, "mine", "Thanks, {{agent.first_name}}")
    assert mine["owner_id"] == shop.agent.user_id and mine["usage_count"] == 0
    assert await shortcuts(shop, shop.agent) == ["admin-shared", "mine", "supervisor-shared"]
    assert await shortcuts(shop, shop.agent2) == ["admin-shared", "supervisor-shared"]
    assert await shortcuts(shop, shop.admin) == ["admin-shared", "supervisor-shared"]
    assert await shortcuts(shop, shop.rival) == []
    assert (await client.get(URL)).status_code == 401


async def test_events_go_to_everyone_for_shared_and_to_the_owner_for_personal(shop, client, db):
    seq = await head(db, shop.workspace_id)
    before = {m.user_id: await snapshot(client, m) for m in (shop.agent, shop.agent2, shop.admin)}
    shared = await make(shop, shop.supervisor, "thanks", shared=True)
    mine = await make(shop, shop.agent, "thanks")  # the same shortcut in another scope
    created = await logged(db, shop.workspace_id, seq)
    assert [(e["type"], e["_audience"]) for e in created] == [
        ("canned_response.created", EVERYONE),
        ("canned_response.created", (shop.agent.user_id, None)),
    ]
    assert [e["canned_response"] for e in created] == [shared, mine]
    for member in (shop.agent, shop.agent2, shop.admin):
        await assert_converges(client, db, member, before[member.user_id])
    boot = await snapshot(client, shop.agent)
    assert sorted(r["id"] for r in boot["canned_responses"]) == [shared["id"], mine["id"]]
    assert [r["id"] for r in (await snapshot(client, shop.agent2))["canned_responses"]] == [
        shared["id"]
    ]
    [entry, _] = await audits(db, shop.workspace_id, "canned_response.created")
    assert entry["after"] == {"shortcut": "thanks", "shared": True}


async def test_editing_and_deleting_by_scope(shop, client, db) -> None:
    shared = await make(shop, shop.admin, "hours", "We open at 9.", shared=True)
    mine = await make(shop, shop.agent, "sig", "— Ana")
    cases = [
        (shop.agent, "PATCH", shared, 403),
        (shop.agent, "DELETE", shared, 403),
        (shop.agent2, "PATCH", mine, 404),  # another member's personal one: not even seen
        (shop.admin, "DELETE", mine, 404),
        (shop.rival, "PATCH", shared, 404),
    ]
    for member, method, item, status in cases:
        body = {"text": "changed"} if method == "PATCH" else None
        response = await client.request(
            method, f"{URL}/{item['id']}", json=body, headers=member.headers
        )
        assert response.status_code == status, (member.email, method, response.text)
    before, seq = await snapshot(client, shop.agent2), await head(db, shop.workspace_id)

    edited = await client.patch(
        f"{URL}/{shared['id']}", json={"text": "We open at 8."}, headers=shop.supervisor.headers
    )
    renamed = await client.patch(
        f"{URL}/{mine['id']}", json={"shortcut": "signature"}, headers=shop.agent.headers
    )
    gone = await client.delete(f"{URL}/{shared['id']}", headers=shop.admin.headers)

    assert edited.json()["text"] == "We open at 8." and renamed.json()["shortcut"] == "signature"
    assert gone.status_code == 204
    events = await logged(db, shop.workspace_id, seq)
    assert [(e["type"], e["_audience"]) for e in events] == [
        ("canned_response.updated", EVERYONE),
        ("canned_response.updated", (shop.agent.user_id, None)),
        ("canned_response.deleted", EVERYONE),
    ]
    await assert_converges(client, db, shop.agent2, before)
    entry, _ = await audits(db, shop.workspace_id, "canned_response.updated")
    assert entry["before"] == {"text": "We open at 9."} and entry["after"] == {
        "text": "We open at 8."
    }
    [deleted] = await audits(db, shop.workspace_id, "canned_response.deleted")
    assert deleted["before"] == {"shortcut": "hours", "text": "We open at 8.", "shared": True}


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"shortcut": "", "text": "x"}, 400, "shortcut", "1 to 40 letters"),
        ({"shortcut": "has space", "text": "x"}, 400, "shortcut", "1 to 40 letters"),
        ({"shortcut": "/slash", "text": "x"}, 400, "shortcut", "1 to 40 letters"),
        ({"shortcut": "a" * 41, "text": "x"}, 400, "shortcut", "1 to 40 letters"),
        ({"shortcut": "ok", "text": "  "}, 400, "text", "the text is empty"),
        ({"shortcut": "ok", "text": "a\x00"}, 400, "text", "NUL"),
        ({"shortcut": "ok", "text": "é" * 501}, 400, "text", "1002 bytes"),
        ({"shortcut": "ok", "text": "x" * 5001}, 400, "text", "length <= 5000"),
        (
            {"shortcut": "THANKS", "text": "x"},
            409,
            "shortcut",
            "a personal canned response /THANKS",
        ),
        ({"shortcut": "ok", "text": "x", "owner_id": 1}, 400, "owner_id", "unknown field"),
    ],
)
async def test_bad_canned_responses_are_refused(shop, client, db, body, status, field, message):
    await make(shop, shop.agent, "thanks")
    seq = await head(db, shop.workspace_id)
    response = await client.post(URL, json=body, headers=shop.agent.headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert message in response.json()["error"]["message"]
    assert await head(db, shop.workspace_id) == seq


async def test_ids_past_a_bigint_are_400(shop, client) -> None:
    for method in ("PATCH", "DELETE"):
        body = {"text": "x"} if method == "PATCH" else None
        response = await client.request(
            method, f"{URL}/{BIG}", json=body, headers=shop.admin.headers
        )
        assert response.status_code == 400 and response.json()["error"]["field"] == "canned_id"
