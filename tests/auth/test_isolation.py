"""Workspace isolation: every query is scoped to the principal's workspace, so another
workspace's member, token or audit entry is a 404 (never a 403, never a leak), and lists
never show another workspace's rows, even to a person who belongs to both."""

from __future__ import annotations

import pytest

from tests.auth.conftest import World


@pytest.fixture
async def two(world: World, db):
    acme = await world.workspace("acme")
    globex = await world.workspace("globex")
    admin = await world.member(acme, "admin@example.com", "admin")
    # The same person is an admin in globex too: the session decides, not the person.
    await world.member(globex, "admin@example.com", "admin", session=False)
    outsider = await world.member(globex, "gina@example.com", "agent")
    await world.open_session(outsider)
    return admin, outsider, globex


def not_found(message: str) -> dict:
    return {"error": {"code": "not_found", "message": message}}


async def test_another_workspaces_member_is_not_found(client, two, db) -> None:
    admin, outsider, _ = two
    path = f"/api/v1/members/{outsider.user_id}"
    expected = not_found(f"no member {outsider.user_id} in this workspace")

    responses = [
        await client.get(path, headers=admin.headers),
        await client.patch(path, json={"role": "admin"}, headers=admin.headers),
        await client.post(f"{path}/deactivate", headers=admin.headers),
    ]

    for response in responses:
        assert response.status_code == 404 and response.json() == expected
    role, active = await db.fetchrow(
        "SELECT role, active FROM memberships WHERE user_id = $1", outsider.user_id
    )
    assert (role, active) == ("agent", True)
    assert (await client.get("/api/v1/me", headers=outsider.headers)).status_code == 200
    listed = await client.get("/api/v1/members", headers=admin.headers)
    assert [m["email"] for m in listed.json()["items"]] == ["admin@example.com"]


async def test_another_workspaces_token_is_not_found(client, two, db) -> None:
    admin, outsider, _ = two
    created = await client.post("/api/v1/tokens", json={"name": "g"}, headers=outsider.headers)
    token_id = created.json()["token"]["id"]

    response = await client.delete(f"/api/v1/tokens/{token_id}", headers=admin.headers)

    assert response.status_code == 404
    assert response.json() == not_found(f"no token {token_id} in this workspace")
    assert await db.fetchval("SELECT revoked_at FROM api_tokens") is None
    listed = await client.get("/api/v1/tokens", headers=admin.headers)
    assert listed.json() == {"items": [], "next_cursor": None}


async def test_another_workspaces_audit_entry_is_not_found(client, two, db) -> None:
    admin, _, globex = two
    entry_id = await db.fetchval(
        "SELECT max(id) FROM audit_entries WHERE workspace_id = $1", globex
    )

    response = await client.get(f"/api/v1/audit/{entry_id}", headers=admin.headers)

    assert response.status_code == 404
    assert response.json() == not_found(f"no audit entry {entry_id} in this workspace")
    listed = (await client.get("/api/v1/audit?limit=200", headers=admin.headers)).json()
    own = await db.fetchval("SELECT count(*) FROM audit_entries WHERE workspace_id <> $1", globex)
    assert len(listed["items"]) == own
    assert all(item["target_id"] != str(two[1].user_id) for item in listed["items"])
