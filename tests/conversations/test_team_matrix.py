"""Every route of the notes, labels, canned responses and auto-assignment modules x every
role (by session), an agent's API token and nobody, with the exact answer; and every such
route has a row."""

from __future__ import annotations

import pytest
from litestar.routes import HTTPRoute

from tests.conversations.conftest import Shop
from tests.conversations.test_matrix import fill, shape
from wazify.assignment.routes import assignment_router
from wazify.canned.routes import canned_router
from wazify.labels.routes import labels_router
from wazify.notes.routes import notes_router

WHO = ("admin", "supervisor", "agent", "agent_token", "anonymous")


def expect(allowed: dict[str, int], refused: int = 403) -> dict[str, int]:
    return {who: allowed.get(who, refused) for who in WHO} | {"anonymous": 401}


def everyone(status: int) -> dict[str, int]:
    return expect(dict.fromkeys(WHO[:4], status))


def staff(status: int) -> dict[str, int]:
    return expect({"admin": status, "supervisor": status})


C, N, CR = "/api/v1/conversations/{c}", "/api/v1/notes", "/api/v1/canned-responses"
# {c}: a conversation; {own_note} / {own_canned}: the caller's; {others_note}: another
# member's; {label}: a label; {shared}: a shared canned response.
ROUTES: list[tuple[str, str, dict | None, dict[str, int]]] = [
    ("GET", C + "/notes", None, everyone(200)),
    ("POST", C + "/notes", {"text": "x"}, everyone(201)),
    ("PATCH", N + "/{own_note}", {"text": "y"}, everyone(200)),
    ("PATCH", N + "/{others_note}", {"text": "y"}, expect({})),
    ("DELETE", N + "/{own_note}", None, everyone(200)),
    ("DELETE", N + "/{others_note}", None, expect({})),
    ("GET", "/api/v1/mentions", None, everyone(200)),
    ("POST", "/api/v1/mentions/read", {}, everyone(200)),
    ("GET", "/api/v1/labels", None, everyone(200)),
    ("POST", "/api/v1/labels", {"name": "New {n}"}, expect({"admin": 201})),
    ("PATCH", "/api/v1/labels/{label}", {"color": "red"}, expect({"admin": 200})),
    ("DELETE", "/api/v1/labels/{label}", None, expect({"admin": 204})),
    ("POST", C + "/labels", {"label_id": "{label}"}, everyone(200)),
    ("DELETE", C + "/labels/{label}", None, everyone(200)),
    ("GET", CR, None, everyone(200)),
    ("POST", CR, {"shortcut": "s{n}", "text": "t", "shared": True}, staff(201)),
    ("POST", CR, {"shortcut": "s{n}", "text": "t"}, everyone(201)),
    ("PATCH", CR + "/{shared}", {"text": "u"}, staff(200)),
    ("DELETE", CR + "/{shared}", None, staff(204)),
    ("PATCH", CR + "/{own_canned}", {"text": "u"}, everyone(200)),
    ("DELETE", CR + "/{own_canned}", None, everyone(204)),
    ("GET", "/api/v1/assignment", None, everyone(200)),
    ("PATCH", "/api/v1/assignment/settings", {"strategy": "round_robin"}, staff(200)),
    ("PUT", "/api/v1/assignment/members/{member}/capacity", {"capacity": 3}, staff(200)),
    ("PUT", "/api/v1/assignment/accounts/{account}", {"enabled": False}, staff(200)),
]


async def scene(shop: Shop, who: str, n: int) -> tuple[dict[str, object], dict[str, str]]:
    """Fresh rows for one caller (`n` keeps names apart within one workspace)."""
    client = shop.client
    caller = shop.members.get(who.removesuffix("_token"), shop.agent)
    cid = await shop.conversation()

    async def made(member, path: str, body: dict) -> int:
        response = await client.post(path, json=body, headers=member.headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    values = {
        "n": n,
        "c": cid,
        "member": shop.agent2.user_id,
        "account": shop.account_id,
        "own_note": await made(caller, f"/api/v1/conversations/{cid}/notes", {"text": "mine"}),
        "others_note": await made(shop.agent2, f"/api/v1/conversations/{cid}/notes", {"text": "b"}),
        "label": await made(shop.admin, "/api/v1/labels", {"name": f"VIP {n}"}),
        "shared": await made(shop.admin, CR, {"shortcut": f"hi{n}", "text": "Hi", "shared": True}),
        "own_canned": await made(caller, CR, {"shortcut": f"me{n}", "text": "Me"}),
    }
    if who == "anonymous":
        return values, {}
    if who == "agent_token":
        token = await client.post("/api/v1/tokens", json={"name": "s"}, headers=shop.agent.headers)
        return values, {"Authorization": f"Bearer {token.json()['secret']}"}
    return values, shop.members[who].headers


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [pytest.param(*route, id=f"{route[0]} {route[1]} {route[2]}") for route in ROUTES],
)
async def test_team_route_matrix(shop, client, method, path, body, expected) -> None:
    """Each caller in turn, on rows of its own (one workspace per route: building one
    costs more than all five calls)."""
    answers = {}
    for n, who in enumerate(WHO):
        values, headers = await scene(shop, who, n)
        payload = None if body is None else {key: fill(v, values) for key, v in body.items()}
        response = await client.request(method, fill(path, values), json=payload, headers=headers)
        answers[who] = response.status_code
    assert answers == expected


def test_every_team_route_has_a_guard_and_a_row_in_the_matrix(app) -> None:
    covered = {(method, shape(path)) for method, path, _, _ in ROUTES}
    ours = {
        handler.handler_name
        for router in (notes_router, labels_router, canned_router, assignment_router)
        for route in router.routes
        for handler in route.route_handlers
    }
    seen = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.handler_name in ours and handler.http_methods - {"HEAD", "OPTIONS"}:
                assert handler.resolve_guards(), f"{route.path} has no guard"
                seen |= {(method, shape(route.path)) for method in handler.http_methods}
    assert seen == covered
