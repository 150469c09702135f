"""An account that exists joins another workspace only when its holder accepts: with its
own password or its own signed-in session. An admin elsewhere can neither attach it (with
a role of their choosing and the holder's password), nor learn anything about it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.auth.conftest import PASSWORD, SYSTEM, Member, audit_rows, invite_secret, login
from wazify.actions.members import do_create_member
from wazify.actions.uow import unit_of_work

SECRET_NAME = "Bertha Secretname"
CHOSEN = "a password the other admin chose"


@dataclass
class Scene:
    """acme's admin Ann (A) and globex's admin Bertha (B), each in one workspace."""

    acme: int
    globex: int
    ann: Member
    bertha: Member


async def scene(world, db) -> Scene:
    acme = await world.workspace("acme")
    globex = await world.workspace("globex")
    ann = await world.member(acme, "ann@example.com", "admin")
    bertha = await world.member(globex, "bertha@example.org", "admin")
    await db.execute("UPDATE users SET name = $2 WHERE id = $1", bertha.user_id, SECRET_NAME)
    return Scene(acme, globex, ann, bertha)


async def memberships(db, user_id: int) -> dict[str, str]:
    rows = await db.fetch(
        "SELECT w.slug, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id"
        " WHERE m.user_id = $1",
        user_id,
    )
    return {row["slug"]: row["role"] for row in rows}


async def test_an_admin_cannot_attach_another_workspaces_admin(client, world, db) -> None:
    s = await scene(world, db)
    stored = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", s.bertha.user_id)

    response = await client.post(
        "/api/v1/members",
        json={"email": "Bertha@example.org", "role": "admin", "name": "B", "password": CHOSEN},
        headers=s.ann.headers,
    )

    # An invitation, as if no password had been given; nothing about Bertha's account.
    assert response.status_code == 201
    body = response.json()
    assert body["member"] is None
    assert body["invitation"] | {"id": 0, "expires_at": ""} == {
        "id": 0,
        "email": "bertha@example.org",
        "role": "admin",
        "expires_at": "",
    }
    assert body["invite_url"].startswith("http://localhost:8000/#/invite/")
    for leak in (SECRET_NAME, "globex", "Globex"):
        assert leak not in response.text.replace(invite_secret(response), "")
    assert await memberships(db, s.bertha.user_id) == {"globex": "admin"}
    assert (
        await db.fetchval("SELECT password_hash FROM users WHERE id = $1", s.bertha.user_id)
        == stored
    )
    assert (await login(client, "bertha@example.org", CHOSEN)).status_code == 401
    assert (await login(client, "bertha@example.org", PASSWORD, "acme")).status_code == 401
    # Nothing in acme's events or audit names her either, but the invitation acme's admin
    # made (the email they typed, shown to acme's admins).
    payloads = await db.fetch("SELECT payload::text FROM events WHERE workspace_id = $1", s.acme)
    assert [
        json.loads(row["payload"])["type"] for row in payloads if "bertha" in row["payload"]
    ] == ["invitation.created"]
    assert all(SECRET_NAME not in row["payload"] for row in payloads)
    entries = await db.fetch(
        "SELECT action, after::text FROM audit_entries WHERE workspace_id = $1", s.acme
    )
    assert [e["action"] for e in entries if "bertha" in (e["after"] or "")] == [
        "invitation.created"
    ]
    assert all(SECRET_NAME not in (e["after"] or "") for e in entries)


async def test_nor_pull_another_workspaces_member_in(client, world, db) -> None:
    s = await scene(world, db)
    agent = await world.member(s.acme, "arno@example.net", "agent", session=False)
    await db.execute("UPDATE users SET name = 'Arno Privatename' WHERE id = $1", agent.user_id)

    response = await client.post(
        "/api/v1/members",
        json={"email": "arno@example.net", "role": "supervisor", "password": CHOSEN},
        headers=s.bertha.headers,
    )

    assert response.status_code == 201 and response.json()["member"] is None
    for leak in ("Privatename", "acme", "Acme"):
        assert leak not in response.text.replace(invite_secret(response), "")
    assert set(response.json()["invitation"]) == {"id", "email", "role", "expires_at"}
    assert await memberships(db, agent.user_id) == {"acme": "agent"}
    # The team of globex does not list him.
    team = await client.get("/api/v1/members", headers=s.bertha.headers)
    assert [m["email"] for m in team.json()["items"]] == ["bertha@example.org"]


async def test_the_holder_joins_with_their_own_password(client, world, db) -> None:
    s = await scene(world, db)
    invited = await client.post(
        "/api/v1/members",
        json={"email": "bertha@example.org", "role": "supervisor", "password": CHOSEN},
        headers=s.ann.headers,
    )
    secret = invite_secret(invited)
    client.cookies.clear()

    chosen = await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "password": CHOSEN}
    )
    none = await client.post("/api/v1/invitations/accept", json={"token": secret})
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "password": PASSWORD, "name": "X"}
    )

    assert chosen.status_code == 400 and chosen.json()["error"]["code"] == "wrong_password"
    assert none.status_code == 400
    assert none.json()["error"] == {
        "code": "password_required",
        "message": "this email already has an account: sign in to it, or enter its password",
        "field": "password",
    }
    assert accepted.status_code == 201
    assert accepted.json() == {
        "user_id": s.bertha.user_id,
        "name": SECRET_NAME,  # her own name, now that she joined
        "email": "bertha@example.org",
        "role": "supervisor",
        "active": True,
        "workspace": {"id": s.acme, "slug": "acme", "name": "Acme"},
    }
    assert await memberships(db, s.bertha.user_id) == {"globex": "admin", "acme": "supervisor"}
    signed_in = await login(client, "bertha@example.org", PASSWORD, "acme")
    assert signed_in.status_code == 200 and signed_in.json()["role"] == "supervisor"
    [entry] = await audit_rows(db, "invitation.accepted")
    assert entry["workspace_id"] == s.acme
    assert entry["after"] == (
        f'{{"role": "supervisor", "proof": "password", "user_id": {s.bertha.user_id}}}'
    )


async def test_the_holder_joins_from_a_signed_in_session(client, world, db) -> None:
    s = await scene(world, db)
    invited = await client.post(
        "/api/v1/members",
        json={"email": "bertha@example.org", "role": "agent"},
        headers=s.ann.headers,
    )
    secret = invite_secret(invited)
    url = "/api/v1/invitations/accept"

    # The inviter's own session proves nothing about Bertha.
    inviter = await client.post(url, json={"token": secret}, headers=s.ann.headers)
    # A session without its CSRF header could be a page of the inviter's riding the cookie.
    no_csrf = await client.post(url, json={"token": secret}, headers=s.bertha.cookie_only)
    joined = await client.post(url, json={"token": secret}, headers=s.bertha.headers)

    assert inviter.status_code == 400
    assert inviter.json()["error"]["code"] == "password_required"
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf_failed"
    assert joined.status_code == 201
    assert (joined.json()["role"], joined.json()["workspace"]["slug"]) == ("agent", "acme")
    assert await memberships(db, s.bertha.user_id) == {"globex": "admin", "acme": "agent"}
    [entry] = await audit_rows(db, "invitation.accepted")
    assert (entry["actor_id"], '"proof": "session"' in entry["after"]) == (s.bertha.user_id, True)
    # Her session is still the globex one; signing in to acme is her choice.
    me = await client.get("/api/v1/me", headers=s.bertha.cookie_only)
    assert me.json()["workspace"]["slug"] == "globex"


async def test_a_link_cannot_claim_an_account_without_a_password(
    client, world, db, runtime
) -> None:
    s = await scene(world, db)
    # A member of globex who has no password yet (made by a script, say): the link's holder
    # must not get to set it.
    async with unit_of_work(runtime, SYSTEM) as uow:
        gus = await do_create_member(uow, s.globex, email="gus@example.org", role="agent")
    invited = await client.post(
        "/api/v1/members",
        json={"email": "gus@example.org", "role": "admin"},
        headers=s.ann.headers,
    )
    secret = invite_secret(invited)

    taken = await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "password": CHOSEN}
    )

    assert taken.status_code == 400 and taken.json()["error"]["field"] == "password"
    assert await db.fetchval("SELECT password_hash FROM users WHERE id = $1", gus.user_id) is None
    assert await memberships(db, gus.user_id) == {"globex": "agent"}


async def test_an_account_nobody_holds_takes_the_new_password(client, world, db) -> None:
    s = await scene(world, db)
    await db.execute("INSERT INTO users (email) VALUES ('nora@example.com')")
    invited = await client.post(
        "/api/v1/members",
        json={"email": "nora@example.com", "role": "agent"},
        headers=s.ann.headers,
    )

    accepted = await client.post(
        "/api/v1/invitations/accept",
        json={"token": invite_secret(invited), "password": CHOSEN, "name": "Nora"},
    )

    assert accepted.status_code == 201
    assert (await login(client, "nora@example.com", CHOSEN)).status_code == 200
