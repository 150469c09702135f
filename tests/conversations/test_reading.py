"""Reading: the list with its filters and search, a conversation, its history."""

from __future__ import annotations

import pytest

from tests.conversations.conftest import new_igsid
from tests.webhooks.conftest import post_webhook, settle
from wazify.actions.accounts import do_register_account
from wazify.actions.conversations import do_assign, do_set_status
from wazify.actions.uow import Actor, unit_of_work
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ACCOUNT_B,
    TS_MS,
    body,
    entry,
    make_mid,
    postback,
    reaction,
    reply_message,
    text_message,
)

SYSTEM = Actor.system("test")
OTHER_IG = "17841400000000042"
RIVAL_IG = ACCOUNT_B


async def listing(client, member, query: str = "") -> list[int]:
    response = await client.get(f"/api/v1/conversations?limit=200&{query}", headers=member.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_the_list_is_most_recent_first_with_filters(shop, client) -> None:
    async with unit_of_work(shop.runtime, SYSTEM) as uow:
        other = await do_register_account(uow, shop.workspace_id, ig_id=OTHER_IG, username="b")
    old = await shop.conversation(ts_ms=TS_MS)
    mid = await shop.conversation(ts_ms=TS_MS + 1000)
    new = await shop.conversation(ts_ms=TS_MS + 2000)
    side = await shop.conversation(ts_ms=TS_MS + 500, account=OTHER_IG)
    rival = await shop.conversation(account=RIVAL_IG)
    async with unit_of_work(shop.runtime, SYSTEM) as uow:
        await do_assign(uow, shop.workspace_id, old, shop.agent.user_id, by=None)
        await do_assign(uow, shop.workspace_id, new, shop.agent2.user_id, by=None)
        await do_set_status(uow, shop.workspace_id, mid, "resolved")

    assert rival not in await listing(client, shop.agent)
    assert await listing(client, shop.agent) == [new, mid, side, old]
    assert await listing(client, shop.agent, "assignee=all") == [new, mid, side, old]
    assert await listing(client, shop.agent, "assignee=mine") == [old]
    assert await listing(client, shop.agent2, "assignee=mine") == [new]
    assert await listing(client, shop.agent, f"assignee={shop.agent2.user_id}") == [new]
    assert await listing(client, shop.agent, "assignee=unassigned") == [mid, side]
    assert await listing(client, shop.agent, "status=resolved") == [mid]
    assert await listing(client, shop.agent, "status=open,pending") == [new, side, old]
    assert await listing(client, shop.agent, f"account={other.id}") == [side]
    assert await listing(client, shop.agent, f"account={shop.account_id}&status=open") == [
        new,
        old,
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("assignee=someone", "assignee"),
        ("status=snoozed", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
async def test_bad_list_parameters_are_refused(shop, client, query, field) -> None:
    response = await client.get(f"/api/v1/conversations?{query}", headers=shop.agent.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field


async def test_search_by_name_username_display_name_and_text(shop, client) -> None:
    alice = await shop.conversation("where is my parcel?")
    bob = await shop.conversation("Do you ship to Zürich?")
    carol = await shop.conversation("hello")
    await shop.conversation("parcel parcel", account=RIVAL_IG)
    await shop.name_contact(alice, "Alice Martin", "alice.martin")
    await shop.name_contact(bob, "Bob Stone", "bobby_s")
    await client.patch(
        f"/api/v1/contacts/{await shop.contact_of(carol)}",
        json={"display_name": "Carol from Acme"},
        headers=shop.agent.headers,
    )

    def search(q: str):
        return listing(client, shop.agent, "q=" + q)

    assert await search("alice") == [alice]  # name
    assert await search("ALI mar") == [alice]  # every word, each a prefix
    assert await search("alice.martin") == [alice]  # the username as written
    assert await search("martin") == [alice]
    assert await search("bobby") == [bob]  # username
    assert await search("stone") == [bob]
    assert await search("acme") == [carol]  # display name
    assert await search("parcel") == [alice]  # message text, not the rival's
    assert await search("zurich") == []  # the simple configuration keeps accents
    assert await search("zür") == [bob]
    assert await search("ship%20zür") == [bob]
    assert await search("alice%20ship") == []
    assert await search("nobody") == []
    assert await search("%27%20%26%20!") == [carol, bob, alice]  # no words: no filter
    assert await search("o%27brien%3A*%20%7C") == []  # tsquery syntax is text, not syntax


async def test_a_conversation_and_its_history(shop, client) -> None:
    igsid = new_igsid()
    first_mid, second_mid = make_mid(ACCOUNT, 900_001), make_mid(ACCOUNT, 900_002)
    items = [
        text_message(ACCOUNT, igsid, "first", mid=first_mid, ts_ms=TS_MS),
        reply_message(ACCOUNT, igsid, "about that", first_mid, mid=second_mid, ts_ms=TS_MS + 1),
        postback(ACCOUNT, igsid, "Order status", "ORDER_STATUS", ts_ms=TS_MS + 2),
        reaction(ACCOUNT, igsid, first_mid, ts_ms=TS_MS + 3),
    ]
    response = await post_webhook(client, body([entry(ACCOUNT, items)]))
    assert response.status_code == 200
    await settle(shop.runtime)
    cid = await shop.runtime.engine.pool.fetchval(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
        " WHERE ct.igsid = $1",
        igsid,
    )

    detail = await client.get(f"/api/v1/conversations/{cid}", headers=shop.agent.headers)
    assert detail.status_code == 200
    view = detail.json()
    assert view["contact"]["igsid"] == igsid
    assert (view["status"], view["assignee_id"], view["unread_count"]) == ("open", None, 3)
    assert view["window_ends_at"] is not None
    assert {"snoozed_until", "human_agent_ends_at", "referral"} <= set(view)

    history = await client.get(
        f"/api/v1/conversations/{cid}/messages?limit=2", headers=shop.agent.headers
    )
    page = history.json()
    assert [m["kind"] for m in page["items"]] == ["postback", "message"]
    assert page["items"][1]["reply_to_mid"] == first_mid
    older = await client.get(
        f"/api/v1/conversations/{cid}/messages?limit=2&cursor={page['next_cursor']}",
        headers=shop.agent.headers,
    )
    [first] = older.json()["items"]
    assert older.json()["next_cursor"] is None
    assert first["text"] == "first"
    assert [r["reaction"] for r in first["reactions"]] == ["love"]
    assert {"status", "edits", "edit_count", "attachments", "deleted"} <= set(first)


async def test_missing_rows_are_not_found(shop, client) -> None:
    for path in ("/api/v1/conversations/424242", "/api/v1/conversations/424242/messages"):
        response = await client.get(path, headers=shop.agent.headers)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "no conversation 424242 in this workspace"
