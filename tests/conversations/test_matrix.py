"""Every conversation route x every role (by session), an agent's API token and nobody,
with the exact answer; and every route against another workspace's rows: a 404."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from tests.conversations.conftest import Shop
from wazify.actions.conversations import do_assign
from wazify.actions.uow import Actor, unit_of_work
from wazify.contacts.routes import contacts_router
from wazify.conversations.routes import conversations_router
from wazify.fakemeta.webhooks import ACCOUNT_B

WHO = ("admin", "supervisor", "agent", "agent_token", "anonymous")
ALL_OK = {"admin": 200, "supervisor": 200, "agent": 200, "agent_token": 200}
STAFF_OK = {"admin": 200, "supervisor": 200}
CONV = "/api/v1/conversations"


def expect(allowed: dict[str, int], refused: int = 403) -> dict[str, int]:
    return {who: allowed.get(who, refused) for who in WHO} | {"anonymous": 401}


# (method, path, body, expected status per caller). {free}: unassigned; {taken}: assigned
# to another agent; {own}: assigned to the caller; {contact}: the contact of {free}.
ROUTES: list[tuple[str, str, dict | None, dict[str, int]]] = [
    ("GET", CONV, None, expect(ALL_OK)),
    ("GET", CONV + "/{free}", None, expect(ALL_OK)),
    ("GET", CONV + "/{free}/messages", None, expect(ALL_OK)),
    ("GET", CONV + "/{free}/status-changes", None, expect(ALL_OK)),
    ("POST", CONV + "/{free}/assign", {"user_id": "{agent2}"}, expect(STAFF_OK)),
    ("POST", CONV + "/{taken}/assign", {"user_id": "{agent2}"}, expect(STAFF_OK)),
    ("POST", CONV + "/{free}/claim", None, expect(ALL_OK)),
    ("POST", CONV + "/{taken}/claim", None, expect({}, refused=409)),
    ("POST", CONV + "/{own}/unassign", None, expect(ALL_OK)),
    ("POST", CONV + "/{taken}/unassign", None, expect(STAFF_OK)),
    ("POST", CONV + "/{free}/status", {"status": "resolved"}, expect(ALL_OK)),
    (
        "POST",
        CONV + "/{free}/status",
        {"status": "pending", "snoozed_until": "2999-01-01T00:00:00Z"},
        expect(ALL_OK),
    ),
    ("POST", CONV + "/{free}/read", None, expect(ALL_OK)),
    ("GET", "/api/v1/contacts/{contact}", None, expect(ALL_OK)),
    ("PATCH", "/api/v1/contacts/{contact}", {"notes": "vip"}, expect(ALL_OK)),
]

ROLE_REFUSAL = "this needs the admin or supervisor role; you are agent"


async def scene(shop: Shop, who: str) -> tuple[dict[str, object], dict[str, str]]:
    free, taken, own = [await shop.conversation() for _ in range(3)]
    caller = shop.members.get(who.removesuffix("_token"))
    async with unit_of_work(shop.runtime, Actor.system("test")) as uow:
        await do_assign(uow, shop.workspace_id, taken, shop.agent2.user_id, by=None)
        if caller is not None:
            await do_assign(uow, shop.workspace_id, own, caller.user_id, by=None)
    values = {
        "free": free,
        "taken": taken,
        "own": own,
        "contact": await shop.contact_of(free),
        "agent2": shop.agent2.user_id,
    }
    if who == "anonymous":
        return values, {}
    if who == "agent_token":
        made = await shop.client.post(
            "/api/v1/tokens", json={"name": "script"}, headers=shop.agent.headers
        )
        return values, {"Authorization": f"Bearer {made.json()['secret']}"}
    return values, shop.members[who].headers


def fill(template, values: dict[str, object]):
    if isinstance(template, str):
        whole = re.fullmatch(r"\{(\w+)\}", template)
        return values[whole.group(1)] if whole else template.format(**values)
    return template


CASES = [
    pytest.param(method, path, body, who, expected[who], id=f"{method} {path} {body} as {who}")
    for method, path, body, expected in ROUTES
    for who in WHO
]


@pytest.mark.parametrize(("method", "path", "body", "who", "status"), CASES)
async def test_role_route_matrix(shop, client, method, path, body, who, status) -> None:
    values, headers = await scene(shop, who)
    payload = None if body is None else {key: fill(v, values) for key, v in body.items()}

    response = await client.request(method, fill(path, values), json=payload, headers=headers)

    assert response.status_code == status, response.text
    if status == 403 and "/assign" in path:
        assert response.json()["error"]["message"] == ROLE_REFUSAL
    if status == 401:
        assert response.json()["error"]["code"] == "unauthorized"


def shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_route_has_a_guard_and_a_row_in_the_matrix(app) -> None:
    covered = {(method, shape(path)) for method, path, _, _ in ROUTES}
    ours = {
        handler.handler_name
        for router in (conversations_router, contacts_router)
        for route in router.routes
        for handler in route.route_handlers
    }
    seen = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            # Others' handlers may share a path (the replies' POST .../messages).
            if handler.handler_name in ours and handler.http_methods - {"HEAD", "OPTIONS"}:
                assert handler.resolve_guards(), f"{route.path} has no guard"
                seen |= {(method, shape(route.path)) for method in handler.http_methods}
    assert seen == covered


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("GET", CONV + "/{c}", None, "no conversation {c} in this workspace"),
        ("GET", CONV + "/{c}/messages", None, "no conversation {c} in this workspace"),
        ("GET", CONV + "/{c}/status-changes", None, "no conversation {c} in this workspace"),
        (
            "POST",
            CONV + "/{c}/assign",
            {"user_id": "{me}"},
            "no conversation {c} in this workspace",
        ),
        ("POST", CONV + "/{c}/claim", None, "no conversation {c} in this workspace"),
        ("POST", CONV + "/{c}/unassign", None, "no conversation {c} in this workspace"),
        (
            "POST",
            CONV + "/{c}/status",
            {"status": "resolved"},
            "no conversation {c} in this workspace",
        ),
        ("POST", CONV + "/{c}/read", None, "no conversation {c} in this workspace"),
        ("GET", "/api/v1/contacts/{ct}", None, "no contact {ct} in this workspace"),
        ("PATCH", "/api/v1/contacts/{ct}", {"notes": "x"}, "no contact {ct} in this workspace"),
    ],
)
async def test_another_workspaces_rows_are_not_found(shop, client, db, method, path, body, message):
    """The rival's conversation, as seen by each role of the shop: a 404, nothing changes."""
    foreign = await shop.conversation(account=ACCOUNT_B)
    contact = await shop.contact_of(foreign)
    assert await db.fetchval("SELECT workspace_id FROM conversations WHERE id = $1", foreign) == (
        shop.rival_id
    )
    seq = await db.fetchval("SELECT max(seq) FROM events")
    for member in (shop.admin, shop.supervisor, shop.agent):
        values = {"c": foreign, "ct": contact, "me": member.user_id}
        payload = None if body is None else {k: fill(v, values) for k, v in body.items()}
        if method == "POST" and "/assign" in path and member.role == "agent":
            continue  # the role guard answers first (403), as for any conversation
        response = await client.request(
            method, path.format(**values), json=payload, headers=member.headers
        )
        assert response.status_code == 404, response.text
        assert response.json()["error"] == {
            "code": "not_found",
            "message": message.format(**values),
        }
    assert await db.fetchval("SELECT max(seq) FROM events") == seq
