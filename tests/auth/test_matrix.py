"""The role x route matrix: every route of the auth, members and audit modules, called as
each role (by session), as an admin's API token and anonymously, with the exact answer.

Each case builds its own workspace, so an allowed change never affects another case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from litestar.routes import HTTPRoute

from tests.auth.conftest import PASSWORD, Member, World, invite_secret
from wazify.audit.routes import audit_router
from wazify.auth.routes import auth_router
from wazify.members.routes import members_router

WHO = ("admin", "supervisor", "agent", "admin_token", "anonymous")
ALL = dict.fromkeys(WHO)


def only(allowed: dict[str, int], refused: int = 403, anonymous: int = 401) -> dict[str, int]:
    return {who: allowed.get(who, refused) for who in WHO} | {"anonymous": anonymous}


MEMBER_OK = {"admin": 200, "supervisor": 200, "agent": 200, "admin_token": 200}
SESSION_ONLY = {"admin": 200, "supervisor": 200, "agent": 200}

# (method, path, body, expected status per caller)
ROUTES: list[tuple[str, str, dict | None, dict[str, int]]] = [
    (
        "POST",
        "/api/v1/auth/login",
        {"email": "{target_email}", "password": PASSWORD},
        dict.fromkeys(WHO, 200),
    ),
    ("POST", "/api/v1/auth/logout", None, dict.fromkeys(WHO, 204)),
    ("GET", "/api/v1/me", None, only(MEMBER_OK)),
    (
        "POST",
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": "a different passphrase"},
        only(dict.fromkeys(SESSION_ONLY, 204)),
    ),
    ("GET", "/api/v1/tokens", None, only(MEMBER_OK)),
    ("POST", "/api/v1/tokens", {"name": "ci"}, only(dict.fromkeys(SESSION_ONLY, 201))),
    ("DELETE", "/api/v1/tokens/{own_token}", None, only(SESSION_ONLY)),
    (
        "DELETE",
        "/api/v1/tokens/{target_token}",
        None,
        only({"admin": 200, "supervisor": 404, "agent": 404}),
    ),
    ("GET", "/api/v1/members", None, only(MEMBER_OK)),
    ("GET", "/api/v1/members/{target}", None, only(MEMBER_OK)),
    (
        "POST",
        "/api/v1/members",
        {"email": "new@example.com", "role": "agent"},
        only({"admin": 201, "admin_token": 201}),
    ),
    (
        "PATCH",
        "/api/v1/members/{target}",
        {"role": "supervisor"},
        only({"admin": 200, "admin_token": 200}),
    ),
    ("POST", "/api/v1/members/{target}/deactivate", None, only({"admin": 200, "admin_token": 200})),
    ("GET", "/api/v1/invitations", None, only({"admin": 200, "admin_token": 200})),
    (
        "DELETE",
        "/api/v1/invitations/{invitation_id}",
        None,
        only({"admin": 204, "admin_token": 204}),
    ),
    (
        "POST",
        "/api/v1/invitations/accept",
        {"token": "{invitation}", "password": PASSWORD},
        dict.fromkeys(WHO, 201),
    ),
    ("GET", "/api/v1/audit", None, only({"admin": 200, "supervisor": 200, "admin_token": 200})),
    (
        "GET",
        "/api/v1/audit/{entry}",
        None,
        only({"admin": 200, "supervisor": 200, "admin_token": 200}),
    ),
]

REFUSALS = {
    "anonymous": {
        "code": "unauthorized",
        "message": "sign in, or send an API token as `Authorization: Bearer ...`",
    },
    "token": {
        "code": "forbidden",
        "message": "this needs a signed-in session; API tokens cannot do it",
    },
}


@dataclass
class Scene:
    members: dict[str, Member]
    target: Member
    tokens: dict[str, tuple[int, str]]  # who -> (token id, secret)
    invitation: str
    invitation_id: int
    entry: int

    def headers(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        if who == "admin_token":
            return {"Authorization": f"Bearer {self.tokens['admin'][1]}"}
        return self.members[who].headers

    def fill(self, text: str, who: str) -> str:
        own = self.tokens.get("admin" if who in ("admin_token", "anonymous") else who)
        return text.format(
            target=self.target.user_id,
            target_email=self.target.email,
            target_token=self.tokens["target"][0],
            own_token=own[0] if own else 0,
            invitation=self.invitation,
            invitation_id=self.invitation_id,
            entry=self.entry,
        )


async def build_scene(client, world: World) -> Scene:
    workspace_id = await world.workspace("acme")
    members = {
        role: await world.member(workspace_id, f"{role}@example.com", role)
        for role in ("admin", "supervisor", "agent")
    }
    target = await world.member(workspace_id, "target@example.com", "agent")
    tokens = {}
    for who, member in [*members.items(), ("target", target)]:
        made = await client.post("/api/v1/tokens", json={"name": who}, headers=member.headers)
        tokens[who] = (made.json()["token"]["id"], made.json()["secret"])
    invited = await client.post(
        "/api/v1/members",
        json={"email": "ivy@example.com", "role": "agent"},
        headers=members["admin"].headers,
    )
    entries = await client.get("/api/v1/audit", headers=members["admin"].headers)
    return Scene(
        members=members,
        target=target,
        tokens=tokens,
        invitation=invite_secret(invited),
        invitation_id=invited.json()["invitation"]["id"],
        entry=entries.json()["items"][0]["id"],
    )


def refusal(status: int, who: str, path: str) -> dict | None:
    if status == 401:
        return {"error": REFUSALS["anonymous"]}
    if status == 403 and who == "admin_token":
        return {"error": REFUSALS["token"]}
    if status == 403:
        needs = "admin or supervisor" if "/audit" in path else "admin"
        return {
            "error": {"code": "forbidden", "message": f"this needs the {needs} role; you are {who}"}
        }
    return None


CASES = [
    pytest.param(method, path, body, who, expected[who], id=f"{method} {path} as {who}")
    for method, path, body, expected in ROUTES
    for who in WHO
]


@pytest.mark.parametrize(("method", "path", "body", "who", "status"), CASES)
async def test_role_route_matrix(client, world, method, path, body, who, status) -> None:
    scene = await build_scene(client, world)
    url = scene.fill(path, who)
    payload = None
    if body is not None:
        payload = {key: scene.fill(value, who) for key, value in body.items()}

    response = await client.request(method, url, json=payload, headers=scene.headers(who))

    assert response.status_code == status, response.text
    expected = refusal(status, who, path)
    if expected is not None:
        assert response.json() == expected


def shape(path: str) -> str:
    """/api/v1/members/{user_id:int} and /api/v1/members/{target} -> /api/v1/members/{}"""
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_api_route_has_a_guard_and_a_row_in_the_matrix(app) -> None:
    covered = {(method, shape(path)) for method, path, _, _ in ROUTES}
    ours = {
        shape(path)
        for router in (auth_router, members_router, audit_router)
        for route in router.routes
        for path in [route.path]
    }
    seen = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            methods = handler.http_methods - {"HEAD", "OPTIONS"}
            if not methods:  # Litestar's generated OPTIONS handler (CORS preflight)
                continue
            assert handler.resolve_guards(), f"{route.path} has no guard"
            if shape(route.path) in ours:
                seen |= {(method, shape(route.path)) for method in methods}
    assert seen == covered
