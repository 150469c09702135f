"""Labels through the API: admins manage them, anyone applies them; what is refused; rows,
audit and events; the list filter and `label:` in the search; convergence."""

from __future__ import annotations

import pytest

from tests.conversations.conftest import Shop, assert_converges, audits, head, logged, snapshot
from wazify.fakemeta.webhooks import ACCOUNT_B

EVERYONE = (None, None)
BIG = 2**63


async def make_label(shop: Shop, name: str, color: str = "blue", member=None) -> dict:
    response = await shop.client.post(
        "/api/v1/labels",
        json={"name": name, "color": color},
        headers=(member or shop.admin).headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def apply(shop: Shop, member, cid: int, label_id: int):
    return await shop.client.post(
        f"/api/v1/conversations/{cid}/labels", json={"label_id": label_id}, headers=member.headers
    )


async def listed(shop: Shop, **params) -> list[int]:
    response = await shop.client.get(
        "/api/v1/conversations", params=params, headers=shop.agent.headers
    )
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


async def test_admins_manage_labels_others_are_refused(shop, client, db) -> None:
    for member in (shop.supervisor, shop.agent):
        refused = await client.post("/api/v1/labels", json={"name": "VIP"}, headers=member.headers)
        assert refused.status_code == 403, refused.text
    assert (await client.post("/api/v1/labels", json={"name": "VIP"})).status_code == 401
    before, seq = await snapshot(client, shop.agent), await head(db, shop.workspace_id)

    label = await make_label(shop, "  VIP   customer ", "red")
    renamed = await client.patch(
        f"/api/v1/labels/{label['id']}",
        json={"name": "VIP", "color": "violet"},
        headers=shop.admin.headers,
    )

    assert label["name"] == "VIP customer" and renamed.json() == {
        "id": label["id"],
        "name": "VIP",
        "color": "violet",
    }
    for member in (shop.supervisor, shop.agent):
        patch = await client.patch(
            f"/api/v1/labels/{label['id']}", json={"color": "red"}, headers=member.headers
        )
        delete = await client.delete(f"/api/v1/labels/{label['id']}", headers=member.headers)
        assert (patch.status_code, delete.status_code) == (403, 403)
    events = await logged(db, shop.workspace_id, seq)
    assert [(e["type"], e["_audience"]) for e in events] == [
        ("label.created", EVERYONE),
        ("label.updated", EVERYONE),
    ]
    assert events[1]["label"] == renamed.json()
    [entry] = await audits(db, shop.workspace_id, "label.updated")
    assert entry["before"] == {"name": "VIP customer", "color": "red"}
    assert entry["after"] == {"name": "VIP", "color": "violet"}
    await assert_converges(client, db, shop.agent, before)
    everyone_sees = await client.get("/api/v1/labels", headers=shop.agent.headers)
    assert everyone_sees.json() == [renamed.json()]


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"name": ""}, 400, "name", "the name is empty"),
        ({"name": "x" * 41}, 400, "name", "at most 40"),
        ({"name": "a\x00b"}, 400, "name", "NUL"),
        ({"name": 'say "hi"'}, 400, "name", "double quote"),
        ({"name": "Urgent", "color": "chartreuse"}, 400, "color", "use one of gray, red"),
        ({"name": "vip"}, 409, "name", "a label named 'vip' already exists"),
        ({"name": "Urgent", "extra": 1}, 400, "extra", "unknown field"),
    ],
)
async def test_bad_labels_are_refused(shop, client, db, body, status, field, message) -> None:
    await make_label(shop, "VIP")
    seq = await head(db, shop.workspace_id)
    response = await client.post("/api/v1/labels", json=body, headers=shop.admin.headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
    assert message in response.json()["error"]["message"]
    assert await head(db, shop.workspace_id) == seq


async def test_renaming_onto_another_label_is_a_conflict(shop, client) -> None:
    await make_label(shop, "VIP")
    other = await make_label(shop, "Refund")
    response = await client.patch(
        f"/api/v1/labels/{other['id']}", json={"name": "vip"}, headers=shop.admin.headers
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "name_taken"
    same = await client.patch(
        f"/api/v1/labels/{other['id']}", json={"name": "REFUND"}, headers=shop.admin.headers
    )
    assert same.status_code == 200 and same.json()["name"] == "REFUND"  # its own name, recased


async def test_anyone_applies_and_removes_labels(shop, client, db) -> None:
    cid = await shop.conversation()
    vip, refund = await make_label(shop, "VIP"), await make_label(shop, "Refund")
    before, seq = await snapshot(client, shop.agent2), await head(db, shop.workspace_id)
    for member, label in ((shop.agent, refund), (shop.supervisor, vip)):
        response = await apply(shop, member, cid, label["id"])
        assert response.status_code == 200, response.text
    assert response.json()["labels"] == sorted([vip["id"], refund["id"]])
    again = await apply(shop, shop.agent2, cid, vip["id"])  # already there: no change
    assert again.status_code == 200
    events = await logged(db, shop.workspace_id, seq)
    assert [(e["type"], e["_audience"]) for e in events] == [("conversation.updated", EVERYONE)] * 2
    assert events[-1]["conversation"]["labels"] == sorted([vip["id"], refund["id"]])
    await assert_converges(client, db, shop.agent2, before)

    removed = await client.delete(
        f"/api/v1/conversations/{cid}/labels/{vip['id']}", headers=shop.agent2.headers
    )
    assert removed.status_code == 200 and removed.json()["labels"] == [refund["id"]]
    [added, _] = await audits(db, shop.workspace_id, "conversation.labelled")
    [taken] = await audits(db, shop.workspace_id, "conversation.unlabelled")
    assert (added["actor_id"], added["after"]) == (shop.agent.user_id, {"label_id": refund["id"]})
    assert (taken["actor_id"], taken["after"]) == (shop.agent2.user_id, {"label_id": vip["id"]})


async def test_deleting_a_label_removes_it_from_every_conversation(shop, client, db) -> None:
    first, second = await shop.conversation(), await shop.conversation()
    vip, keep = await make_label(shop, "VIP"), await make_label(shop, "Keep")
    for cid in (first, second):
        await apply(shop, shop.agent, cid, vip["id"])
    await apply(shop, shop.agent, second, keep["id"])
    before, seq = await snapshot(client, shop.agent), await head(db, shop.workspace_id)

    response = await client.delete(f"/api/v1/labels/{vip['id']}", headers=shop.admin.headers)

    assert response.status_code == 204
    [event] = await logged(db, shop.workspace_id, seq)
    assert (event["type"], event["label_id"], event["_audience"]) == (
        "label.deleted",
        vip["id"],
        EVERYONE,
    )
    assert (
        await db.fetchval("SELECT count(*) FROM conversation_labels WHERE label_id = $1", vip["id"])
        == 0
    )
    await assert_converges(client, db, shop.agent, before)
    [entry] = await audits(db, shop.workspace_id, "label.deleted")
    assert entry["before"] == {"name": "VIP", "color": "blue", "conversations": 2}
    assert (await client.get(f"/api/v1/conversations/{second}", headers=shop.agent.headers)).json()[
        "labels"
    ] == [keep["id"]]


async def test_unknown_and_foreign_labels_and_conversations(shop, client, db) -> None:
    cid = await shop.conversation()
    foreign_cid = await shop.conversation(account=ACCOUNT_B)
    ours = await make_label(shop, "VIP")
    theirs = await make_label(shop, "Theirs", member=shop.rival)
    seq = await head(db, shop.workspace_id)
    cases = [
        (
            "POST",
            f"/api/v1/conversations/{cid}/labels",
            {"label_id": theirs["id"]},
            400,
            "label_id",
        ),
        ("POST", f"/api/v1/conversations/{cid}/labels", {"label_id": 999}, 400, "label_id"),
        ("POST", f"/api/v1/conversations/{cid}/labels", {"label_id": BIG}, 400, "label_id"),
        ("POST", f"/api/v1/conversations/{cid}/labels", {"label_id": None}, 400, "label_id"),
        (
            "POST",
            f"/api/v1/conversations/{BIG}/labels",
            {"label_id": ours["id"]},
            400,
            "conversation_id",
        ),
        (
            "POST",
            f"/api/v1/conversations/{foreign_cid}/labels",
            {"label_id": ours["id"]},
            404,
            None,
        ),
        ("DELETE", f"/api/v1/conversations/{cid}/labels/{theirs['id']}", None, 404, None),
        ("DELETE", f"/api/v1/conversations/{cid}/labels/{BIG}", None, 400, "label_id"),
        ("DELETE", f"/api/v1/conversations/{foreign_cid}/labels/{ours['id']}", None, 404, None),
        ("PATCH", f"/api/v1/labels/{theirs['id']}", {"color": "red"}, 404, None),
        ("DELETE", f"/api/v1/labels/{theirs['id']}", None, 404, None),
        ("PATCH", f"/api/v1/labels/{BIG}", {"color": "red"}, 400, "label_id"),
    ]
    for method, path, body, status, field in cases:
        response = await client.request(method, path, json=body, headers=shop.admin.headers)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["error"].get("field") == field, (path, response.json())
    assert await head(db, shop.workspace_id) == seq
    assert await db.fetchval("SELECT count(*) FROM conversation_labels") == 0
    assert (await client.get("/api/v1/labels", headers=shop.rival.headers)).json() == [theirs]


async def test_the_list_filters_by_labels_and_the_search_by_label_names(shop, client) -> None:
    vip, big = await make_label(shop, "VIP"), await make_label(shop, "big order")
    both, only_vip, none = [await shop.conversation(f"hello {i}") for i in range(3)]
    for cid, labels in ((both, (vip, big)), (only_vip, (vip,))):
        for label in labels:
            await apply(shop, shop.agent, cid, label["id"])

    assert await listed(shop, label=str(vip["id"])) == [only_vip, both]
    assert await listed(shop, label=f"{vip['id']},{big['id']}") == [both]  # all of them
    assert await listed(shop, q="label:vip") == [only_vip, both]
    assert await listed(shop, q='label:"BIG  order" label:VIP') == [both]
    assert await listed(shop, q="hello 2") == [none]
    assert await listed(shop, q="label:vip hello 0") == [both]
    assert await listed(shop, q="label:nosuch") == []  # a search: nothing matches
    for bad, message in (
        ("abc", "label 'abc'"),
        (str(BIG), "give label ids"),
        ("999", "no label 999"),
    ):
        response = await client.get(
            "/api/v1/conversations", params={"label": bad}, headers=shop.agent.headers
        )
        assert response.status_code == 400 and response.json()["error"]["field"] == "label"
        assert message in response.json()["error"]["message"]


async def test_label_routes_guard_every_handler(app) -> None:
    from litestar.routes import HTTPRoute

    from wazify.labels.routes import labels_router

    ours = {h.handler_name for route in labels_router.routes for h in route.route_handlers}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.handler_name in ours and handler.http_methods - {"HEAD", "OPTIONS"}:
                    assert handler.resolve_guards(), f"{route.path} has no guard"
