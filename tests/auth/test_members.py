"""Members: the team list, creation with a password or a one-time invitation, role
changes, deactivation cutting sessions and tokens. Each change emits member.updated for the
whole workspace and writes its audit entry."""

from __future__ import annotations

import hashlib
import json

from tests.auth.conftest import CLIENT_ADDR, PASSWORD, audit_rows, invite_secret, login
from wazify.realtime.events import decode_event


async def member_events(db, workspace_id: int) -> list[dict]:
    rows = await db.fetch(
        "SELECT type, payload::text, audience_user_id, audience_roles FROM events"
        " WHERE workspace_id = $1 AND type NOT LIKE 'invitation.%' ORDER BY seq",
        workspace_id,
    )  # invitation.* events are admins' (tests/conversations/test_loose_ends.py)
    assert {row["type"] for row in rows} <= {"member.updated"}
    # member.updated is for everyone in the workspace: no narrowed audience.
    assert all(r["audience_user_id"] is None and r["audience_roles"] is None for r in rows)
    return [json.loads(row["payload"])["member"] for row in rows]


async def test_everyone_lists_the_team_page_by_page(client, world) -> None:
    workspace_id = await world.workspace("acme")
    other = await world.workspace("globex")
    agent = await world.member(workspace_id, "a@example.com", "agent")
    await world.member(workspace_id, "b@example.com", "admin")
    await world.member(workspace_id, "c@example.com", "supervisor")
    await world.member(other, "outsider@example.com", "admin")

    first = await client.get("/api/v1/members?limit=2", headers=agent.headers)
    cursor = first.json()["next_cursor"]
    second = await client.get(f"/api/v1/members?limit=2&cursor={cursor}", headers=agent.headers)

    assert first.status_code == 200 and second.status_code == 200
    assert [m["email"] for m in first.json()["items"]] == ["c@example.com", "b@example.com"]
    assert second.json() == {
        "items": [
            {
                "user_id": agent.user_id,
                "name": "a",
                "email": "a@example.com",
                "role": "agent",
                "active": True,
            }
        ],
        "next_cursor": None,
    }
    bad = await client.get("/api/v1/members?cursor=nonsense", headers=agent.headers)
    assert bad.status_code == 400
    assert bad.json()["error"] == {
        "code": "invalid",
        "message": "the cursor is not one this server gave out",
        "field": "cursor",
    }


async def test_admin_creates_a_member_with_a_password(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")

    response = await client.post(
        "/api/v1/members",
        json={"email": "New@Example.com", "role": "agent", "name": "Nora", "password": PASSWORD},
        headers=admin.headers,
    )

    assert response.status_code == 201
    body = response.json()
    user_id = body["member"]["user_id"]
    assert body == {
        "member": {
            "user_id": user_id,
            "name": "Nora",
            "email": "new@example.com",
            "role": "agent",
            "active": True,
        },
        "invitation": None,
        "invite_url": None,
    }
    assert (await login(client, "new@example.com")).status_code == 200
    assert (await member_events(db, workspace_id))[-1] == body["member"]
    [entry] = [e for e in await audit_rows(db, "member.created") if e["target_id"] == str(user_id)]
    assert (entry["actor_id"], entry["client_addr"]) == (admin.user_id, CLIENT_ADDR)
    assert PASSWORD not in str(entry)


async def test_member_creation_errors(client, world) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")

    async def create(**body):
        return await client.post("/api/v1/members", json=body, headers=admin.headers)

    weak = await create(email="n@example.com", role="agent", password="short")
    twice = await create(email="admin@example.com", role="agent", password=PASSWORD)
    role = await create(email="n@example.com", role="owner")
    email = await create(email="not-an-email", role="agent", password=PASSWORD)

    assert weak.status_code == 400 and weak.json()["error"]["field"] == "password"
    assert weak.json()["error"]["code"] == "weak_password"
    assert twice.status_code == 409
    assert twice.json()["error"] == {
        "code": "conflict",
        "message": "admin@example.com is already a member of this workspace",
        "field": "email",
    }
    assert role.status_code == 400
    assert role.json()["error"] == {
        "code": "invalid",
        "message": "Invalid enum value 'owner'",
        "field": "role",
    }
    assert email.status_code == 400 and email.json()["error"]["field"] == "email"


async def test_invitation_link_is_shown_once_and_accepted_once(client, world, db, settings):
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")

    invited = await client.post(
        "/api/v1/members",
        json={"email": "ivy@example.com", "role": "supervisor"},
        headers=admin.headers,
    )

    assert invited.status_code == 201
    body = invited.json()
    assert body["member"] is None
    assert (body["invitation"]["email"], body["invitation"]["role"]) == (
        "ivy@example.com",
        "supervisor",
    )
    prefix = f"{settings.public_url}/#/invite/"
    assert body["invite_url"].startswith(prefix)
    secret = body["invite_url"].removeprefix(prefix)
    stored = await db.fetchval("SELECT token_hash FROM invitations")
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert len(await member_events(db, workspace_id)) == 1  # the admin only, so far

    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "name": "Ivy", "password": PASSWORD}
    )
    assert accepted.status_code == 201
    assert accepted.json() | {"user_id": 0} == {
        "user_id": 0,
        "name": "Ivy",
        "email": "ivy@example.com",
        "role": "supervisor",
        "active": True,
        "workspace": {"id": workspace_id, "slug": "acme", "name": "Acme"},
    }
    assert (await login(client, "ivy@example.com")).json()["role"] == "supervisor"
    assert (await member_events(db, workspace_id))[-1]["email"] == "ivy@example.com"

    reused = await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "name": "Eve", "password": PASSWORD}
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == {
        "code": "invitation_invalid",
        "message": "this invitation link is invalid, used or expired",
        "field": "token",
    }
    actions = [row["action"] for row in await audit_rows(db)]
    assert actions.count("invitation.created") == 1 and actions.count("invitation.accepted") == 1


async def test_an_invitation_for_an_existing_account_needs_its_password(client, world, db):
    acme = await world.workspace("acme")
    globex = await world.workspace("globex")
    admin = await world.member(acme, "admin@example.com", "admin")
    await world.member(globex, "gus@example.com", "agent", session=False)
    invited = await client.post(
        "/api/v1/members", json={"email": "gus@example.com", "role": "agent"}, headers=admin.headers
    )
    secret = invite_secret(invited)

    takeover = await client.post(
        "/api/v1/invitations/accept",
        json={"token": secret, "password": "an attacker's new password"},
    )
    assert takeover.status_code == 400
    assert takeover.json()["error"]["field"] == "password"
    ok = await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "password": PASSWORD}
    )
    assert ok.status_code == 201
    assert (await login(client, "gus@example.com", PASSWORD, "acme")).status_code == 200


async def test_an_expired_invitation_is_refused(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    invited = await client.post(
        "/api/v1/members",
        json={"email": "late@example.com", "role": "agent"},
        headers=admin.headers,
    )
    secret = invite_secret(invited)
    await db.execute("UPDATE invitations SET expires_at = now() - interval '1 second'")

    response = await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invitation_invalid"


async def test_admin_changes_a_role(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    agent = await world.member(workspace_id, "agent@example.com", "agent")
    assert (await client.get("/api/v1/audit", headers=agent.headers)).status_code == 403

    response = await client.patch(
        f"/api/v1/members/{agent.user_id}", json={"role": "supervisor"}, headers=admin.headers
    )

    assert response.status_code == 200 and response.json()["role"] == "supervisor"
    assert (await client.get("/api/v1/audit", headers=agent.headers)).status_code == 200
    assert (await member_events(db, workspace_id))[-1] == response.json()
    [entry] = await audit_rows(db, "member.role_changed")
    assert (entry["actor_id"], entry["target_id"], entry["before"], entry["after"]) == (
        admin.user_id,
        str(agent.user_id),
        '{"role": "agent"}',
        '{"role": "supervisor"}',
    )


async def test_the_last_admin_keeps_the_role(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")

    demote = await client.patch(
        f"/api/v1/members/{admin.user_id}", json={"role": "agent"}, headers=admin.headers
    )
    leave = await client.post(f"/api/v1/members/{admin.user_id}/deactivate", headers=admin.headers)

    assert demote.status_code == 409 and leave.status_code == 409
    assert demote.json()["error"]["message"] == (
        "the workspace's last active admin cannot lose the admin role"
    )
    # Refused in the transaction: no audit entry, no event.
    assert await audit_rows(db, "member.role_changed") == []
    assert await audit_rows(db, "member.deactivated") == []


async def test_deactivation_cuts_sessions_and_tokens(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    bob = await world.member(workspace_id, "bob@example.com", "agent")
    created = await client.post("/api/v1/tokens", json={"name": "bot"}, headers=bob.headers)
    token = {"Authorization": f"Bearer {created.json()['secret']}"}
    assert (await client.get("/api/v1/me", headers=token)).status_code == 200

    response = await client.post(f"/api/v1/members/{bob.user_id}/deactivate", headers=admin.headers)

    assert response.status_code == 200 and response.json()["active"] is False
    session = await client.get("/api/v1/me", headers=bob.headers)
    assert session.status_code == 401 and session.json()["error"]["code"] == "session_expired"
    by_token = await client.get("/api/v1/me", headers=token)
    assert by_token.status_code == 401 and by_token.json()["error"]["code"] == "invalid_token"
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE ended_at IS NULL") == 1
    assert await db.fetchval("SELECT revoked_at IS NOT NULL FROM api_tokens") is True
    assert (await login(client, "bob@example.com")).status_code == 401
    event = decode_event(
        await db.fetchval("SELECT payload::text FROM events ORDER BY seq DESC LIMIT 1")
    )
    assert event.member.active is False  # type: ignore[union-attr]
    [entry] = await audit_rows(db, "member.deactivated")
    assert (entry["actor_id"], entry["client_addr"]) == (admin.user_id, CLIENT_ADDR)
