"""API tokens: created (secret shown once, only its hash stored), used as the creator in one
workspace, listed without secrets, revoked; what a token may not do."""

from __future__ import annotations

import hashlib

from tests.auth.conftest import SYSTEM, audit_rows
from wazify.actions.members import do_set_role
from wazify.actions.uow import unit_of_work

INVALID_TOKEN = {
    "error": {"code": "invalid_token", "message": "the API token is unknown or revoked"}
}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def create(client, member, name: str = "ci") -> dict:
    response = await client.post("/api/v1/tokens", json={"name": name}, headers=member.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_shows_the_secret_once_and_stores_its_hash(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com", "agent")

    body = await create(client, alice, "deploy bot")

    secret = body["secret"]
    assert secret.startswith("wz_") and len(secret) >= 40
    token = body["token"]
    assert set(token) == {
        "id",
        "name",
        "prefix",
        "user_id",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    assert (token["name"], token["prefix"], token["user_id"]) == (
        "deploy bot",
        secret[:11],
        alice.user_id,
    )
    row = await db.fetchrow("SELECT * FROM api_tokens")
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in [str(value) for value in row.values()]
    listed = await client.get("/api/v1/tokens", headers=alice.headers)
    assert listed.status_code == 200
    assert listed.json() == {"items": [token], "next_cursor": None}
    assert secret not in listed.text
    [entry] = await audit_rows(db, "token.created")
    assert secret not in str(entry)
    assert (entry["actor_id"], entry["target_id"]) == (alice.user_id, str(token["id"]))


async def test_a_token_acts_as_its_creator_in_its_workspace(client, world, db) -> None:
    acme = await world.workspace("acme")
    globex = await world.workspace("globex")
    alice = await world.member(acme, "alice@example.com", "supervisor")
    await world.member(globex, "alice@example.com", "admin")
    await world.member(globex, "gina@example.com")
    secret = (await create(client, alice))["secret"]

    me = await client.get("/api/v1/me", headers=bearer(secret))
    members = await client.get("/api/v1/members", headers=bearer(secret))

    assert me.status_code == 200
    assert (me.json()["via"], me.json()["role"], me.json()["csrf_token"]) == (
        "token",
        "supervisor",
        None,
    )
    assert me.json()["workspace"]["slug"] == "acme"
    assert [m["email"] for m in members.json()["items"]] == ["alice@example.com"]
    assert await db.fetchval("SELECT last_used_at IS NOT NULL FROM api_tokens") is True


async def test_a_token_takes_the_creators_current_role(client, world, runtime) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "root@example.com", "admin")
    alice = await world.member(workspace_id, "alice@example.com", "admin")
    secret = (await create(client, alice))["secret"]
    assert (await client.get("/api/v1/audit", headers=bearer(secret))).status_code == 200

    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_set_role(uow, workspace_id, alice.user_id, "agent")

    assert (await client.get("/api/v1/audit", headers=bearer(secret))).status_code == 403


async def test_revoke_stops_the_token_at_once(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")
    body = await create(client, alice)
    token_id, secret = body["token"]["id"], body["secret"]
    assert (await client.get("/api/v1/me", headers=bearer(secret))).status_code == 200

    revoked = await client.delete(f"/api/v1/tokens/{token_id}", headers=alice.headers)
    again = await client.delete(f"/api/v1/tokens/{token_id}", headers=alice.headers)

    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert again.status_code == 200 and again.json() == revoked.json()
    refused = await client.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401 and refused.json() == INVALID_TOKEN
    [entry] = await audit_rows(db, "token.revoked")  # the repeat wrote nothing
    assert (entry["actor_id"], entry["target_id"], entry["before"]) == (
        alice.user_id,
        str(token_id),
        '{"revoked": false}',
    )


async def test_a_token_cannot_mint_tokens_or_change_the_password(client, world) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com", "admin")
    body = await create(client, alice)
    headers = bearer(body["secret"])
    refusal = {
        "error": {
            "code": "forbidden",
            "message": "this needs a signed-in session; API tokens cannot do it",
        }
    }

    minted = await client.post("/api/v1/tokens", json={"name": "more"}, headers=headers)
    password = await client.post(
        "/api/v1/me/password",
        json={"current_password": "x" * 12, "new_password": "y" * 12},
        headers=headers,
    )
    revoke = await client.delete(f"/api/v1/tokens/{body['token']['id']}", headers=headers)

    for response in (minted, password, revoke):
        assert response.status_code == 403 and response.json() == refusal


async def test_who_sees_and_revokes_which_token(client, world) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    supervisor = await world.member(workspace_id, "sup@example.com", "supervisor")
    agent = await world.member(workspace_id, "agent@example.com", "agent")
    other = await world.member(workspace_id, "other@example.com", "agent")
    others_token = (await create(client, other))["token"]["id"]
    agents_token = (await create(client, agent))["token"]["id"]

    def ids(response) -> list[int]:
        return [item["id"] for item in response.json()["items"]]

    assert ids(await client.get("/api/v1/tokens", headers=agent.headers)) == [agents_token]
    assert ids(await client.get("/api/v1/tokens", headers=supervisor.headers)) == [
        agents_token,
        others_token,
    ]
    for member in (agent, supervisor):
        response = await client.delete(f"/api/v1/tokens/{others_token}", headers=member.headers)
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": f"no token {others_token} in this workspace"}
        }
    by_admin = await client.delete(f"/api/v1/tokens/{others_token}", headers=admin.headers)
    assert by_admin.status_code == 200 and by_admin.json()["revoked_at"] is not None


async def test_bad_bearer_and_other_schemes(client, world) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")

    unknown = await client.get("/api/v1/me", headers=bearer("wz_not-a-real-token"))
    garbage = await client.get("/api/v1/me", headers=bearer("hello"))
    # A proxy's Basic credentials in front of the app do not hide the session cookie.
    basic = await client.get(
        "/api/v1/me", headers={**alice.cookie_only, "Authorization": "Basic dXNlcjpwYXNz"}
    )

    for response in (unknown, garbage):
        assert response.status_code == 401 and response.json() == INVALID_TOKEN
    assert basic.status_code == 200 and basic.json()["via"] == "session"


async def test_token_list_pages(client, world) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")
    made = [(await create(client, alice, f"t{n}"))["token"]["id"] for n in range(3)]

    first = await client.get("/api/v1/tokens?limit=2", headers=alice.headers)
    cursor = first.json()["next_cursor"]
    second = await client.get(f"/api/v1/tokens?limit=2&cursor={cursor}", headers=alice.headers)

    assert [t["id"] for t in first.json()["items"]] == made[::-1][:2]
    assert cursor is not None
    assert [t["id"] for t in second.json()["items"]] == [made[0]]
    assert second.json()["next_cursor"] is None
